/** inspect(): a read-only view of an object's state in the session, like SQLAlchemy's `inspect(obj)`. */
import { UnmappedError } from '../errors.js'
import type { Model } from './model.js'
import type { Session } from './session.js'
import { stateOf, type ObjectState } from './state.js'

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
  /** Names of relationships loaded in memory (or assigned). */
  readonly loadedRelationships: readonly string[]
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
    session: state.session,
    identity: state.key === undefined ? null : state.mapper.primaryKey.map((column) => state.committed?.[column.name] ?? state.dict[column.name]),
    modified: state.modified,
    modifiedAttributes: state.changedColumns(),
    expiredAttributes: [...(state.expired ?? [])],
    loadedRelationships: Object.keys(state.related),
  }
}
