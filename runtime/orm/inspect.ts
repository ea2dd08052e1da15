/** inspect(): a read-only view of an object's state in the session, like SQLAlchemy's `inspect(obj)`. */
import { UnmappedError } from '../errors.js'
import type { Relationship } from './mapper.js'
import type { Model } from './model.js'
import type { Session } from './session.js'
import { relatedObjects, stateOf, type InstanceState, type ObjectState } from './state.js'
import { sessionOf } from './session-context.js'

/** What {@link inspect} reports about one object. */
export interface InstanceInspection {
  /** The derived object state. */
  readonly state: ObjectState
  readonly transient: boolean
  readonly pending: boolean
  readonly persistent: boolean
  readonly deleted: boolean
  readonly detached: boolean
  /** The session the object belongs to, if any. */
  readonly session: Session | null
  /** Primary-key values once the row exists, otherwise null. */
  readonly identity: readonly unknown[] | null
  /** True when columns or to-one relationships changed since the last flush. */
  readonly modified: boolean
  /** Names of columns whose value changed since the last flush. */
  readonly modifiedAttributes: readonly string[]
  /** Names of expired columns. */
  readonly expiredAttributes: readonly string[]
  /** Names of columns the query that loaded the object left out (`loadOnly`/`defer`), not loaded since. */
  readonly deferredAttributes: readonly string[]
  /** Names of relationships loaded in memory (or assigned). */
  readonly loadedRelationships: readonly string[]
  /** Per column and relationship: its value in memory and its change history since the last flush. */
  readonly attrs: Readonly<Record<string, AttributeInspection>>
}

/**
 * SQLAlchemy's `History` of one attribute since the last flush: `added` holds the new value,
 * `deleted` the value it replaced (the stored one), `unchanged` the value when nothing changed.
 */
export class History {
  /** @internal */
  constructor(
    readonly added: readonly unknown[],
    readonly unchanged: readonly unknown[],
    readonly deleted: readonly unknown[],
  ) {}

  /** True when `added` or `deleted` is non-empty. */
  get hasChanges(): boolean {
    return this.added.length > 0 || this.deleted.length > 0
  }
}

/** What {@link inspect} reports about one attribute (SQLAlchemy's `AttributeState`). */
export interface AttributeInspection {
  /** The attribute's name. */
  readonly key: string
  /** The value in memory (undefined for an unset column or a relationship not loaded). */
  readonly value: unknown
  readonly history: History
}

function history(added: readonly unknown[], unchanged: readonly unknown[], deleted: readonly unknown[]): History {
  return new History(added, unchanged, deleted)
}

/** The history of one column, from its value and the value before the first unflushed change. */
function columnHistory(state: InstanceState, name: string): History {
  const current = state.dict[name]
  const committed = state.committed
  if (committed !== null && name in committed) {
    const original = committed[name]
    if (state.mapper.column(name).equals(original, current)) return history([], current === undefined ? [] : [current], [])
    return history(current === undefined ? [] : [current], [], original === undefined ? [] : [original])
  }
  if (current === undefined) return history([], [], [])
  // An object without a row: every value set is an addition.
  return state.key === undefined ? history([current], [], []) : history([], [current], [])
}

/**
 * The history of a dynamic relationship, without loading (SQLAlchemy's passive answer): objects
 * appended (added) and removed (deleted) since the last flush; rows only the database knows are in
 * none of the lists.
 */
function dynamicHistory(state: InstanceState, relationship: Relationship): History {
  if (state.key === undefined) return history([...(state.unsavedMembers?.get(relationship.name) ?? [])], [], [])
  const session = sessionOf(state)
  if (session === null) return history([], [], [])
  if (relationship.secondary !== undefined) {
    const { added, removed } = session.collections.linkChangesOf(relationship, state)
    return history(added, [], [...removed])
  }
  const back = relationship.backPopulates
  if (back === undefined) return history([], [], [])
  const added: Model[] = []
  const deleted: Model[] = []
  for (const child of [...session.newStates, ...session.dirtyStates]) {
    if (child.mapper !== relationship.mapper || child.changedRelationships?.has(back) !== true) continue
    if (child.related[back] === state.obj) added.push(child.obj)
    else if (relationship.remote.every((column, i) => child.storedValue(column.name) === state.dict[relationship.local[i].name])) deleted.push(child.obj)
  }
  return history(added, [], deleted)
}

/** The history of one relationship: assigned since the last flush (added), or loaded (unchanged). */
function relationshipHistory(state: InstanceState, name: string): History {
  const relationship = state.mapper.relationships.get(name)!
  if (relationship.strategy === 'dynamic') return dynamicHistory(state, relationship)
  if (!(name in state.related)) return history([], [], [])
  const values = [...relatedObjects(state.related[name])]
  return state.changedRelationships?.has(name) === true || state.key === undefined ? history(values, [], []) : history([], values, [])
}

function attributesOf(state: InstanceState): Record<string, AttributeInspection> {
  const attrs: Record<string, AttributeInspection> = {}
  for (const column of state.mapper.columns) {
    const key = column.name
    Object.defineProperty(attrs, key, {
      enumerable: true,
      get: () => ({ key, value: state.dict[key], history: columnHistory(state, key) }),
    })
  }
  for (const name of state.mapper.relationships.keys()) {
    Object.defineProperty(attrs, name, {
      enumerable: true,
      get: () => ({ key: name, value: state.related[name], history: relationshipHistory(state, name) }),
    })
  }
  return attrs
}

/** Inspects a model object. */
export function inspect(obj: Model): InstanceInspection {
  const state = stateOf(obj)
  if (state === undefined) throw UnmappedError.instance(obj)
  const objectState = state.objectState
  return {
    state: objectState,
    transient: objectState === 'transient',
    pending: objectState === 'pending',
    persistent: objectState === 'persistent',
    deleted: objectState === 'deleted',
    detached: objectState === 'detached',
    session: state.session as Session | null,
    identity: state.key === undefined ? null : state.mapper.primaryKey.map((column) => state.storedValue(column.name)),
    modified: state.modified,
    modifiedAttributes: state.changedColumns(),
    expiredAttributes: [...(state.expired ?? [])],
    deferredAttributes: [...(state.deferred ?? [])],
    loadedRelationships: Object.keys(state.related),
    // Built on first read: most inspections never look at it.
    get attrs() {
      return attributesOf(state)
    },
  }
}
