// TrackedList and CollectionTracker without a database: what each array mutation reports, and the many-to-many links a flush writes from what changed in memory.
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Model } from 'prismalchemy'
import { CollectionTracker, listenedList, TrackedList } from '../../runtime/orm/collections.js'
import type { Relationship } from '../../runtime/orm/mapper.js'
import { stateOf, type InstanceState } from '../../runtime/orm/state.js'
import type { StatementNode } from '../../runtime/sql/nodes.js'
import { importInlineModels, type InlineRegistry } from '../helpers/inline-models.js'
import { POST_TAG_MODELS, ROLE_USER_MODELS, sqliteSchema } from '../helpers/schemas.js'

/** Stand-ins for model objects: a tracked list only compares members by identity. */
const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => ({ name }) as unknown as Model)

/** A tracked list of `items` and the (added, removed) pairs its mutations reported. */
function tracked(items: readonly Model[]): { list: TrackedList; reports: [Model[], Model[]][] } {
  const reports: [Model[], Model[]][] = []
  const list = listenedList(items, (_list, added, removed) => reports.push([[...added], [...removed]]))
  return { list, reports }
}

describe('TrackedList', () => {
  it('is a real array holding the items', () => {
    const { list } = tracked([a, b])
    expect(Array.isArray(list)).toBe(true)
    expect(list).toBeInstanceOf(TrackedList)
    expect([...list]).toEqual([a, b])
  })

  it('reports what push and unshift added, and returns the new length', () => {
    const { list, reports } = tracked([a])
    expect(list.push(b, c)).toBe(3)
    expect(list.unshift(d)).toBe(4)
    expect(reports).toEqual([
      [[b, c], []],
      [[d], []],
    ])
    expect([...list]).toEqual([d, a, b, c])
  })

  it('reports what pop and shift removed, and nothing when the list was empty', () => {
    const { list, reports } = tracked([a, b])
    expect(list.pop()).toBe(b)
    expect(list.shift()).toBe(a)
    expect(list.pop()).toBeUndefined()
    expect(reports).toEqual([
      [[], [b]],
      [[], [a]],
    ])
  })

  it('reports what splice inserted and removed, and returns the removed items', () => {
    const { list, reports } = tracked([a, b, c])
    expect(list.splice(1, 1, d)).toEqual([b])
    expect(reports).toEqual([[[d], [b]]])
    expect([...list]).toEqual([a, d, c])
  })

  it('reports nothing added or removed for sort and reverse, and what fill replaced', () => {
    const { list, reports } = tracked([b, a])
    list.reverse()
    list.sort((x, y) => String((x as unknown as { name: string }).name).localeCompare(String((y as unknown as { name: string }).name)))
    list.fill(c, 1)
    expect(reports).toEqual([
      [[], []],
      [[], []],
      [[c], [b]],
    ])
    expect([...list]).toEqual([a, c])
  })

  it('returns plain arrays from map, filter and slice, which report nothing', () => {
    const { list, reports } = tracked([a, b])
    for (const copy of [list.map((item) => item), list.filter(() => true), list.slice()]) {
      expect(copy).not.toBeInstanceOf(TrackedList)
      copy.push(c)
    }
    expect(reports).toEqual([])
  })

  it('does not see an assignment by index (use the methods)', () => {
    const { list, reports } = tracked([a])
    list[0] = b
    expect([[...list], reports]).toEqual([[b], []])
  })

  it('works as a plain array without a listener', () => {
    const list = new TrackedList()
    list.push(a, b)
    expect(list.splice(0, 1)).toEqual([a])
    expect([...list]).toEqual([b])
  })
})

describe('CollectionTracker', () => {
  let models: InlineRegistry
  let postTags: Relationship
  let tagPosts: Relationship
  let roleUsers: Relationship

  beforeAll(async () => {
    models = await importInlineModels('collections-unit', sqliteSchema(ROLE_USER_MODELS, POST_TAG_MODELS))
    postTags = models.registry.mappers.get('Post')!.relationships.get('tags')!
    tagPosts = models.registry.mappers.get('Tag')!.relationships.get('posts')!
    roleUsers = models.registry.mappers.get('Role')!.relationships.get('users')!
  }, 60_000)

  afterAll(() => rmSync(models.dir, { recursive: true, force: true }))

  const stateFor = (model: string, init: object): InstanceState => stateOf(new models.classes[model](init))!

  /** The statements writeLinks hands to `write`, with their relationships. */
  async function writtenLinks(tracker: CollectionTracker, belongs: (relationship: Relationship) => boolean = () => true): Promise<[Relationship, StatementNode][]> {
    const written: [Relationship, StatementNode][] = []
    await tracker.writeLinks(async (relationship, node) => void written.push([relationship, node]), belongs)
    return written
  }

  it('writes an INSERT into the join table per link added, A being the model that sorts first, whichever side recorded it', async () => {
    const tracker = new CollectionTracker()
    const [post, tag] = [stateFor('Post', { id: 1, title: 'p' }), stateFor('Tag', { id: 2, name: 't' })]
    tracker.link(tagPosts, tag, post, true)
    expect(tracker.hasLinkChanges).toBe(true)
    const written = await writtenLinks(tracker)
    expect(written).toHaveLength(1)
    expect(written[0][0]).toBe(tagPosts)
    expect(written[0][1]).toMatchObject({
      kind: 'insert',
      into: { kind: 'table', name: '_PostToTag' },
      columns: [
        { kind: 'column', name: 'B' },
        { kind: 'column', name: 'A' },
      ],
      rows: [[{ kind: 'value', value: 2 }, { kind: 'value', value: 1 }]],
    })
    expect(tracker.hasLinkChanges).toBe(false)
  })

  it('writes a DELETE for a link removed, and nothing for a pair linked and unlinked in one flush', async () => {
    const tracker = new CollectionTracker()
    const [post, tag, other] = [stateFor('Post', { id: 1, title: 'p' }), stateFor('Tag', { id: 2, name: 't' }), stateFor('Tag', { id: 3, name: 'u' })]
    tracker.link(postTags, post, tag, false)
    tracker.link(postTags, post, other, true)
    tracker.link(tagPosts, other, post, false) // the same pair, recorded from the other side: cancels the insert
    const written = await writtenLinks(tracker)
    expect(written.map(([, node]) => node.kind)).toEqual(['delete'])
    expect(written[0][1]).toMatchObject({
      kind: 'delete',
      from: { kind: 'table', name: '_PostToTag' },
      where: {
        kind: 'and',
        operands: [
          { kind: 'binary', op: '=', left: { name: 'A' }, right: { value: 1 } },
          { kind: 'binary', op: '=', left: { name: 'B' }, right: { value: 2 } },
        ],
      },
    })
  })

  it("keeps the links of another bind's relationships for that bind's turn", async () => {
    const tracker = new CollectionTracker()
    tracker.link(postTags, stateFor('Post', { id: 1, title: 'p' }), stateFor('Tag', { id: 2, name: 't' }), true)
    expect(await writtenLinks(tracker, () => false)).toEqual([])
    expect(tracker.hasLinkChanges).toBe(true)
    tracker.reset()
    expect(tracker.hasLinkChanges).toBe(false)
  })

  it("reports one owner's unflushed link changes from either side, an unlink cancelling an earlier link", () => {
    const tracker = new CollectionTracker()
    const post = stateFor('Post', { id: 1, title: 'p' })
    const [t1, t2, t3] = [2, 3, 4].map((id) => stateFor('Tag', { id, name: `t${id}` }))
    tracker.link(postTags, post, t1, true)
    tracker.link(tagPosts, t2, post, true)
    tracker.link(postTags, post, t3, false)
    tracker.link(tagPosts, t1, post, false)
    tracker.link(postTags, stateFor('Post', { id: 9, title: 'other' }), t3, true) // another owner
    const { added, removed } = tracker.linkChangesOf(postTags, post)
    expect(added).toEqual([t2.obj])
    expect([...removed]).toEqual([t3.obj])
  })

  it('pointsAt: a child belongs to the owner through the assigned object when set, else through the key', () => {
    const role = stateFor('Role', { id: 1, name: 'r' })
    const byKey = stateFor('User', { name: 'u', roleId: 1 })
    expect(CollectionTracker.pointsAt(role, roleUsers, byKey)).toBe(true)
    expect(CollectionTracker.pointsAt(role, roleUsers, stateFor('User', { name: 'v', roleId: 2 }))).toBe(false)
    const assignedElsewhere = stateFor('User', { name: 'w', roleId: 1 })
    assignedElsewhere.related.role = new models.classes.Role({ id: 2, name: 's' })
    expect(CollectionTracker.pointsAt(role, roleUsers, assignedElsewhere)).toBe(false)
  })

  it('invalidMember: the first collection noted that still holds a non-model value, once', () => {
    const tracker = new CollectionTracker()
    const [fixed, broken] = [stateFor('Role', { id: 1, name: 'r' }), stateFor('Role', { id: 2, name: 's' })]
    fixed.related.users = [new models.classes.User({ name: 'u' })]
    broken.related.users = [null]
    tracker.noteInvalidMember(fixed, roleUsers)
    tracker.noteInvalidMember(broken, roleUsers)
    expect(tracker.invalidMember()).toEqual({ owner: broken, relationship: roleUsers })
    expect(tracker.invalidMember()).toBeUndefined() // the notes are read once
  })
})
