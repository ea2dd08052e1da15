/** makeTransient and makeTransientToDetached: SQLAlchemy's functions that move an object between states by hand. */
import { InvalidRequestError, UnmappedError } from '../errors.js'
import type { Model } from './model.js'
import { stateOf, type InstanceState } from './state.js'
import { sessionOf } from './session-context.js'

function stateFor(obj: Model): InstanceState {
  const state = stateOf(obj)
  if (state === undefined) throw UnmappedError.instance(obj)
  return state
}

/**
 * Makes `obj` transient: out of its session, with no identity, so that adding it again INSERTs a
 * new row (SQLAlchemy's `make_transient`). Column values stay, expired ones become unset, and
 * unflushed changes are no longer changes. Useful to copy a loaded row, or to re-add an object
 * whose DELETE was flushed.
 */
export function makeTransient(obj: Model): void {
  const state = stateFor(obj)
  const session = sessionOf(state)
  if (session !== null) {
    session.identityMap.remove(state)
    session.newStates.delete(state)
    session.dirtyStates.delete(state)
    session.deletedStates.delete(state)
    state.session = null
  }
  state.key = undefined
  state.deleted = false
  state.clearModifications()
  state.unsavedMembers = null
  state.removedMembers = null
  state.orphanedFrom = null
  state.stale = false
  state.strategyOverrides = null
  if (state.expired !== null) for (const name of state.expired) delete state.dict[name]
  state.expired = null
  // A column never loaded is unset on a new object (INSERT leaves it to its default).
  state.deferred = null
  // Loaded relationships described the stored row; a transient object has none.
  state.forgetRelated()
}

/**
 * Makes a transient object detached: it takes the identity of its primary-key values, as if it had
 * been loaded and its session closed, so that `session.add()` attaches it as persistent (an UPDATE
 * for what changes next) instead of INSERTing it (SQLAlchemy's `make_transient_to_detached`).
 */
export function makeTransientToDetached(obj: Model): void {
  const state = stateFor(obj)
  if (state.session !== null || state.key !== undefined) {
    throw InvalidRequestError.notTransient(state.describe())
  }
  const key = state.mapper.identityKeyOf(state.dict)
  if (key === undefined) {
    throw InvalidRequestError.primaryKeyUnset(state.describe(), state.mapper.primaryKey.map((column) => column.name))
  }
  state.key = key
  state.committed = null
  state.changedRelationships = null
  state.forgetRelated()
}
