// InstanceState without a database: the five object states as derived from identity, session and deletion, and the bookkeeping of changes a flush reads.
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Model } from 'prismalchemy'
import { groupByMapper, relatedObjects, stateOf, type InstanceState } from '../../runtime/orm/state.js'
import { importInlineModels, type InlineRegistry } from '../helpers/inline-models.js'
import { ROLE_USER_MODELS, sqliteSchema } from '../helpers/schemas.js'

let models: InlineRegistry

beforeAll(async () => {
  models = await importInlineModels('state-unit', sqliteSchema(ROLE_USER_MODELS))
}, 60_000)

afterAll(() => rmSync(models.dir, { recursive: true, force: true }))

/** A new object's state. */
function newState(model: 'Role' | 'User', init: object = {}): InstanceState {
  return stateOf(new models.classes[model](init))!
}

/** The session an object belongs to, as far as its state sees it: a stand-in that records what it was told. */
function fakeSession(): { session: NonNullable<InstanceState['session']>; modified: InstanceState[] } {
  const modified: InstanceState[] = []
  const session = { markModified: (state: InstanceState) => modified.push(state), add: () => undefined }
  return { session: session as unknown as NonNullable<InstanceState['session']>, modified }
}

/** A state as if loaded from the row `dict` (an identity key, nothing modified). */
function loadedState(model: 'Role' | 'User', dict: Record<string, unknown>): InstanceState {
  const state = newState(model)
  Object.assign(state.dict, dict)
  state.key = dict.id
  state.clearModifications()
  return state
}

describe('objectState', () => {
  it('is transient without identity or session, pending with a session, persistent with both, deleted once its DELETE ran, detached without a session', () => {
    const state = newState('User', { name: 'ann' })
    expect(state.objectState).toBe('transient')
    state.session = fakeSession().session
    expect(state.objectState).toBe('pending')
    state.key = 1
    expect(state.objectState).toBe('persistent')
    state.deleted = true
    expect(state.objectState).toBe('deleted')
    state.session = null
    expect(state.objectState).toBe('detached') // a deleted row's object leaves the session detached
    state.deleted = false
    expect(state.objectState).toBe('detached')
  })
})

describe('modified', () => {
  it('is true for an object without a row once anything is set, false for an empty one', () => {
    expect(newState('User', { name: 'ann' }).modified).toBe(true)
    expect(newState('User').modified).toBe(false)
  })

  it('is false for a loaded object until a column, a to-one relationship or a collection changes', () => {
    const column = loadedState('User', { id: 1, name: 'ann', roleId: null })
    expect(column.modified).toBe(false)
    column.setColumn('name', 'bob')
    expect(column.modified).toBe(true)
    const relationship = loadedState('User', { id: 2, name: 'cy', roleId: null })
    relationship.setRelated('role', null)
    expect(relationship.modified).toBe(true)
    const collection = loadedState('Role', { id: 1, name: 'r' })
    collection.collectionChanged('users')
    expect(collection.modified).toBe(true)
    collection.clearModifications()
    expect(collection.modified).toBe(false)
  })
})

describe('changes to a loaded object', () => {
  it('keep the value from before the first change as the stored value, and name the columns that differ', () => {
    const state = loadedState('User', { id: 1, name: 'ann', roleId: null })
    state.setColumn('name', 'bob')
    state.setColumn('name', 'cy')
    expect(state.committed).toEqual({ name: 'ann' })
    expect([state.dict.name, state.storedValue('name'), state.storedValue('id')]).toEqual(['cy', 'ann', 1])
    expect(state.changedColumns()).toEqual(['name'])
    state.setColumn('name', 'ann')
    expect(state.changedColumns()).toEqual([]) // back to the stored value: nothing to UPDATE
  })

  it('record no original for an object without a row', () => {
    const state = newState('User', { name: 'ann' })
    state.setColumn('name', 'bob')
    expect([state.committed, state.changedColumns()]).toEqual([null, []])
  })

  it('count every change in version and tell the session of each', () => {
    const state = loadedState('User', { id: 1, name: 'ann', roleId: null })
    const { session, modified } = fakeSession()
    state.session = session
    const before = state.version
    state.setColumn('name', 'bob')
    state.setRelated('role', null)
    expect(state.version).toBe(before + 2)
    expect(modified).toEqual([state, state])
  })

  it('a foreign key set directly drops the loaded related object and the unflushed assignment it feeds', () => {
    const state = loadedState('User', { id: 1, name: 'ann', roleId: null })
    const role = new models.classes.Role({ name: 'r' })
    state.setRelated('role', role)
    expect(state.changedRelationships).toEqual(new Set(['role']))
    state.setColumn('roleId', 7)
    expect('role' in state.related).toBe(false)
    expect(state.changedRelationships).toEqual(new Set())
  })
})

describe('setRelated', () => {
  it('marks a to-one set to null after holding an object as orphaned from it', () => {
    const state = loadedState('User', { id: 1, name: 'ann', roleId: null })
    state.setRelated('role', null)
    expect(state.orphanedFrom).toBeNull() // it held nothing
    state.setRelated('role', new models.classes.Role({ name: 'r' }))
    state.setRelated('role', null)
    expect(state.orphanedFrom).toEqual(new Set(['role']))
  })

  it('records the echo of a collection change apart from an assignment, and an assignment clears the echo', () => {
    const state = loadedState('User', { id: 1, name: 'ann', roleId: null })
    const role = new models.classes.Role({ name: 'r' })
    state.setRelated('role', role, false)
    expect([state.related.role, state.echoedRelationships]).toEqual([role, new Set(['role'])])
    state.setRelated('role', role)
    expect(state.echoedRelationships).toEqual(new Set())
  })
})

describe('unsaved members of a dynamic collection', () => {
  it('are kept once each, in order, and taken out by removeUnsavedMember', () => {
    const state = newState('Role', { name: 'r' })
    const [a, b] = [new models.classes.User({ name: 'a' }), new models.classes.User({ name: 'b' })]
    state.addUnsavedMember('users', a)
    state.addUnsavedMember('users', b)
    state.addUnsavedMember('users', a)
    expect(state.unsavedMembers?.get('users')).toEqual([a, b])
    state.removeUnsavedMember('users', a)
    state.removeUnsavedMember('other', a)
    expect(state.unsavedMembers?.get('users')).toEqual([b])
  })
})

describe('describe', () => {
  it('names the model and its key, or says transient', () => {
    expect(newState('User', { name: 'ann' }).describe()).toBe('User(transient)')
    expect(loadedState('User', { id: 3, name: 'ann', roleId: null }).describe()).toBe('User(id=3)')
  })
})

describe('helpers', () => {
  it('relatedObjects: a list as it is, one object as a list of it, null or unloaded as none', () => {
    const [a, b] = [new models.classes.User(), new models.classes.User()] as Model[]
    expect(relatedObjects([a, b])).toEqual([a, b])
    expect(relatedObjects(a)).toEqual([a])
    expect([relatedObjects(null), relatedObjects(undefined)]).toEqual([[], []])
  })

  it('stateOf: the state of a model object, undefined for anything else', () => {
    const user = new models.classes.User()
    expect(stateOf(user)?.obj).toBe(user)
    expect([stateOf({}), stateOf(null), stateOf(undefined), stateOf(1)]).toEqual([undefined, undefined, undefined, undefined])
  })

  it('groupByMapper: states by mapper, mappers and states in first-seen order', () => {
    const [u1, r1, u2] = [newState('User'), newState('Role'), newState('User')]
    const groups = groupByMapper([u1, r1, u2])
    expect([...groups.keys()].map((mapper) => mapper.name)).toEqual(['User', 'Role'])
    expect([...groups.values()]).toEqual([[u1, u2], [r1]])
  })
})
