/** Loaded collections and many-to-many links: what changed in memory, turned into foreign keys and join-table rows at flush. */
import type { DefaultCompiler } from '../sql/compiler.js'
import { sql } from '../sql/nodes.js'
import type { Relationship } from './mapper.js'
import type { Model } from './model.js'
import type { Session } from './session.js'
import type { SessionTransaction } from './session-transaction.js'
import { stateOf, type InstanceState } from './state.js'

/** One pending change to an implicit many-to-many join table. */
interface LinkChange {
  readonly relationship: Relationship
  readonly owner: InstanceState
  readonly target: InstanceState
  readonly insert: boolean
}

/** Where a tracked list reports that it was changed. */
type ChangeListener = (list: TrackedList) => void

const MUTATORS = ['push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin'] as const

/**
 * A loaded to-many collection: a real array whose mutating methods (push, splice, ...) tell the
 * session, like SQLAlchemy's InstrumentedList, so a flush diffs only the lists that changed.
 * Element assignment by index (`list[0] = x`) is not seen: use the methods.
 * @internal
 */
export class TrackedList extends Array<Model> {
  /** Methods like map() and filter() return plain arrays. */
  static override get [Symbol.species](): ArrayConstructor {
    return Array
  }
}

/** Each list's listener, kept off the array itself so the list stays a plain array to look at. */
const listeners = new WeakMap<TrackedList, ChangeListener>()

for (const name of MUTATORS) {
  const original = Array.prototype[name] as (...args: unknown[]) => unknown
  Object.defineProperty(TrackedList.prototype, name, {
    configurable: true,
    writable: true,
    value(this: TrackedList, ...args: unknown[]) {
      // Told before the change, so the tracker can keep the contents the database matches.
      listeners.get(this)?.(this)
      return original.apply(this, args)
    },
  })
}

/** The owner and relationship of a tracked list, and its contents before the first unflushed change. */
interface Tracked {
  readonly owner: InstanceState
  readonly relationship: Relationship
  snapshot: Model[] | undefined
}

/**
 * Per session: loaded to-many collections (so `(await role.users).push(user)` is noticed at
 * flush) and the many-to-many links to write.
 * @internal
 */
export class CollectionTracker {
  private readonly tracked = new WeakMap<TrackedList, Tracked>()
  private readonly changed = new Set<TrackedList>()
  private links: LinkChange[] = []
  private readonly listener: ChangeListener = (list) => {
    const entry = this.tracked.get(list)
    if (entry === undefined) return
    // Copied only when a list is first changed: most loaded lists are never changed.
    entry.snapshot ??= [...list]
    this.changed.add(list)
  }

  constructor(private readonly session: Session) {}

  /** Wraps a freshly loaded collection so its changes reach the next flush; store the returned list. */
  track(owner: InstanceState, relationship: Relationship, items: readonly Model[]): Model[] {
    const list = new TrackedList()
    for (let i = 0; i < items.length; i++) list[i] = items[i]
    listeners.set(list, this.listener)
    this.tracked.set(list, { owner, relationship, snapshot: undefined })
    return list
  }

  /** Records a many-to-many link to add (`insert`) or remove, written at the next flush. */
  link(relationship: Relationship, owner: InstanceState, target: InstanceState, insert: boolean): void {
    this.links.push({ relationship, owner, target, insert })
    if (insert && target.session === null && owner.session !== null) owner.session.add(target.obj)
  }

  /** True when links are waiting to be written. */
  get hasLinkChanges(): boolean {
    return this.links.length > 0
  }

  /**
   * Compares each changed collection with its load-time contents: an added object gets its side of
   * the relationship set (its foreign key, or a join-table link), a removed one loses it.
   */
  collectChanges(): void {
    if (this.changed.size === 0) return
    const lists = [...this.changed]
    this.changed.clear()
    for (const list of lists) {
      const entry = this.tracked.get(list)!
      const { owner, relationship } = entry
      // A list no longer held by its owner (reloaded, expired) or by this session is history.
      if (owner.session !== this.session || owner.related[relationship.name] !== list || entry.snapshot === undefined) continue
      const before = new Set(entry.snapshot)
      const now = new Set<Model>(list)
      for (const obj of now) if (!before.has(obj)) this.added(owner, relationship, stateOf(obj)!)
      for (const obj of before) if (!now.has(obj)) this.removed(owner, relationship, stateOf(obj)!)
      entry.snapshot = undefined
    }
  }

  /** Writes join-table rows: deletions first, then insertions, each pair once. */
  async writeLinks(transaction: SessionTransaction, compiler: DefaultCompiler): Promise<void> {
    const pending = this.links
    this.links = []
    const net = new Map<string, LinkChange>()
    for (const change of pending) {
      const key = `${change.relationship.secondary!.table}\u001f${String(keyOf(change.owner, change.relationship))}\u001f${String(targetKeyOf(change.target, change.relationship))}`
      const earlier = net.get(key)
      // An insert and a delete of the same pair in one flush cancel out.
      if (earlier !== undefined && earlier.insert !== change.insert) net.delete(key)
      else net.set(key, change)
    }
    try {
      for (const change of net.values()) {
        const secondary = change.relationship.secondary!
        const ownerKey = keyOf(change.owner, change.relationship)
        const targetKey = targetKeyOf(change.target, change.relationship)
        const ownerType = change.relationship.local[0].type
        const targetType = change.relationship.remote[0].type
        const table = sql.table(secondary.table)
        const node = change.insert
          ? {
              kind: 'insert' as const,
              into: table,
              columns: [sql.column(secondary.localColumn), sql.column(secondary.remoteColumn)],
              rows: [[sql.value(ownerKey, ownerType), sql.value(targetKey, targetType)]],
            }
          : {
              kind: 'delete' as const,
              from: table,
              where: sql.and([
                sql.binary(sql.column(secondary.localColumn), '=', sql.value(ownerKey, ownerType)),
                sql.binary(sql.column(secondary.remoteColumn), '=', sql.value(targetKey, targetType)),
              ]),
            }
        await transaction.execute(compiler.compile(node))
      }
    } catch (error) {
      // Keep them for the retry after rollback() and a new flush.
      this.links = [...pending, ...this.links]
      throw error
    }
  }

  /** Forgets pending links and collection changes (rollback). */
  reset(): void {
    this.links = []
    this.changed.clear()
  }

  private added(owner: InstanceState, relationship: Relationship, target: InstanceState): void {
    if (relationship.secondary !== undefined) this.link(relationship, owner, target, true)
    else if (relationship.backPopulates !== undefined) {
      target.setRelated(relationship.backPopulates, owner.obj)
      if (target.session === null && owner.session !== null) owner.session.add(target.obj)
    }
  }

  private removed(owner: InstanceState, relationship: Relationship, target: InstanceState): void {
    if (relationship.secondary !== undefined) this.link(relationship, owner, target, false)
    else if (relationship.backPopulates !== undefined) {
      const back = relationship.backPopulates
      // Only if it still points here: it may have been moved to another owner already.
      const pointsHere = back in target.related ? target.related[back] === owner.obj : relationship.remote.every((column, i) => target.dict[column.name] === owner.dict[relationship.local[i].name])
      if (pointsHere) target.setRelated(back, null)
    }
  }
}

function keyOf(owner: InstanceState, relationship: Relationship): unknown {
  return owner.dict[relationship.local[0].name]
}

function targetKeyOf(target: InstanceState, relationship: Relationship): unknown {
  return target.dict[relationship.remote[0].name]
}

