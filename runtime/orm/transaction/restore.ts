/** Restore on rollback: what a rolled-back transaction or savepoint did to objects, undone in memory (SQLAlchemy's `_restore_snapshot`). */
import { deferUnknown } from '../deferred-columns.js'
import type { LoadContext } from '../session-context.js'
import type { InstanceState } from '../state.js'

/** What one rollback undoes: the objects a transaction (or one savepoint of it) inserted, deleted, updated and found gone. */
export interface RestoreScope {
  readonly inserted: readonly InstanceState[]
  readonly deleted: readonly InstanceState[]
  /** Objects expunged because their row was gone when read: they come back with the row. */
  readonly vanished: readonly InstanceState[]
  /** Column values before the scope's first flushed UPDATE of each object. */
  readonly originals: ReadonlyMap<InstanceState, Record<string, unknown>>
  /** Objects whose changes are permanent already (their bind committed before another's COMMIT failed): left as committed. */
  readonly kept?: (state: InstanceState) => boolean
}

/** Remembers `values` in `originals` as `state`'s values before its first change; values already there win. */
export function rememberOriginalsIn(originals: Map<InstanceState, Record<string, unknown>>, state: InstanceState, values: Record<string, unknown>): void {
  const known = originals.get(state)
  if (known === undefined) originals.set(state, { ...values })
  else for (const [name, value] of Object.entries(values)) if (!(name in known)) known[name] = value
}

/**
 * Undoes `scope` in `session`'s memory after the database rolled it back: objects inserted in it
 * become transient and keep their attributes as they are, deleted ones persistent again (an
 * unflushed change made before the delete is undone too), vanished ones come back, modified
 * columns take back their stored values, and pending objects leave the session. Only objects
 * still in the session are touched: detached ones keep their values, as SQLAlchemy leaves them.
 */
export function restoreObjects(session: LoadContext, scope: RestoreScope): void {
  // Nothing flushed and nothing unflushed (a session that only read): nothing to undo.
  if (isEmpty(scope) && session.dirtyStates.size === 0 && session.newStates.size === 0 && session.deletedStates.size === 0) return
  const identityMap = session.identityMap
  const kept = scope.kept
  const inserted = scope.inserted.length > 0 ? new Set(scope.inserted) : null
  // Deleted first: an object both inserted and deleted in the scope ends transient.
  for (const state of scope.deleted) {
    if (state.session !== session && state.session !== null) continue
    if (kept?.(state) === true) {
      state.session = null
      continue
    }
    state.deleted = false
    if (state.session !== session) continue
    identityMap.add(state)
    if (inserted?.has(state) === true) continue
    // A change made before the delete was never written: the object shows the stored row again.
    if (state.committed !== null) {
      Object.assign(state.dict, state.committed)
      deferUnknown(state, state.committed)
    }
    state.clearModifications()
  }
  for (const state of scope.vanished) {
    if (state.session !== null || state.key === undefined || identityMap.get(state.mapper, state.key) !== undefined) continue
    state.session = session
    identityMap.add(state)
  }
  const transient = new Set<InstanceState>()
  for (const state of scope.inserted) {
    if (kept?.(state) === true) continue
    identityMap.remove(state)
    state.key = undefined
    state.clearModifications()
    transient.add(state)
    if (state.session === session) state.session = null
  }
  // Unflushed changes first, then the values from before the scope's flushed UPDATEs.
  for (const state of session.dirtyStates) {
    if (state.committed !== null && state.session === session && !transient.has(state)) {
      Object.assign(state.dict, state.committed)
      deferUnknown(state, state.committed)
    }
    state.clearModifications()
  }
  if (session.dirtyStates.size > 0) session.dirtyStates.clear()
  for (const [state, originals] of scope.originals) {
    if (kept?.(state) === true || state.session !== session || transient.has(state)) continue
    Object.assign(state.dict, originals)
    deferUnknown(state, originals)
    // A flushed primary-key change is undone too: file the object under its old key again.
    const key = state.mapper.identityKeyOf(state.dict)
    if (state.key !== undefined && key !== state.key) {
      identityMap.remove(state)
      state.key = key
      identityMap.add(state)
    }
  }
  for (const state of session.newStates) state.session = null
  if (session.newStates.size > 0) session.newStates.clear()
  if (session.deletedStates.size > 0) session.deletedStates.clear()
}

/** True when `scope` recorded nothing: no object inserted, deleted, found gone or updated in it. */
export function isEmpty(scope: RestoreScope): boolean {
  return scope.inserted.length === 0 && scope.deleted.length === 0 && scope.vanished.length === 0 && scope.originals.size === 0
}
