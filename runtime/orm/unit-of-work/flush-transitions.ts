/**
 * The state transitions after a flush's statements succeeded: pending objects become persistent,
 * written ones clean, deleted ones deleted, and what the database's own `onDelete` actions did
 * (ON DELETE CASCADE, SET NULL, SET DEFAULT) is reflected on the objects in the identity map.
 */
import { referencingForeignKeys } from './cascades.js'
import type { FlushResult } from './flush-result.js'
import { identityKey } from '../identity-key.js'
import type { Relationship } from '../mapper.js'
import type { SessionTransaction } from '../transaction/session-transaction.js'
import type { FlushContext } from '../session-context.js'
import { groupByMapper, type InstanceState } from '../state.js'

/**
 * Applies a flush's result: pending becomes persistent, deleted becomes deleted, changes are forgotten
 * (unless made while the flush ran), and the transaction records what a rollback must undo.
 * @internal
 */
export function applyFlushResult(ctx: FlushContext, transaction: SessionTransaction, result: FlushResult): void {
  const identityMap = ctx.identityMap
  for (const replaced of result.switches.values()) markDeleted(ctx, transaction, replaced)
  for (const state of result.inserted) {
    state.key = state.mapper.identityKeyOf(state.dict)
    identityMap.add(state)
    ctx.newStates.delete(state)
    state.unsavedMembers = null
    transaction.inserted.push(state)
    settle(ctx, state, result)
  }
  for (const state of result.updated) {
    const written = result.written.get(state)!
    transaction.rememberOriginals(state, written.originals)
    const key = state.mapper.identityKeyOf(written.values)
    if (key !== state.key) {
      identityMap.remove(state)
      state.key = key
      identityMap.add(state)
    }
    settle(ctx, state, result)
  }
  // Dirty objects with nothing to write are clean now, unless they changed while the flush ran.
  for (const [state, version] of result.dirtyAtStart) {
    // A deleted object keeps its unflushed changes: a rollback of the DELETE shows the stored row again from them.
    if (result.written.has(state) || state.version !== version || result.deleting.has(state)) continue
    state.clearModifications()
    ctx.dirtyStates.delete(state)
  }
  for (const state of result.deleted) markDeleted(ctx, transaction, state)
  if (result.deleted.length > 0) reflectDatabaseDeletes(ctx, transaction, result.deleted)
}

/**
 * A written object is clean, unless it changed after its statement was built: then what the
 * database holds now becomes its committed state, and the newer values stay pending.
 */
function settle(ctx: FlushContext, state: InstanceState, result: FlushResult): void {
  const written = result.written.get(state)!
  if (state.version === written.version) {
    state.clearModifications()
    ctx.dirtyStates.delete(state)
    return
  }
  const committed: Record<string, unknown> = {}
  for (const column of state.mapper.columns) {
    const before = written.values[column.name]
    if (!column.equals(before, state.dict[column.name])) committed[column.name] = before
  }
  state.committed = Object.keys(committed).length > 0 ? committed : null
  ctx.markModified(state)
}

/** Moves an object whose row is gone (deleted by this flush, or by the database's ON DELETE CASCADE) to the deleted state; a rollback restores it. */
function markDeleted(ctx: FlushContext, transaction: SessionTransaction, state: InstanceState): void {
  ctx.identityMap.remove(state)
  state.deleted = true
  ctx.deletedStates.delete(state)
  ctx.dirtyStates.delete(state)
  transaction.deleted.push(state)
}

/**
 * ON DELETE SET NULL / SET DEFAULT: the foreign key in memory takes the value the database wrote,
 * without marking the object modified (rollback restores the old value). A default the client
 * cannot know (`dbgenerated`, ...) expires the column instead.
 */
function resetForeignKey(transaction: SessionTransaction, state: InstanceState, fk: Relationship): void {
  const originals: Record<string, unknown> = {}
  fk.local.forEach((column, i) => {
    const value = fk.onDelete === 'SetNull' ? null : column.constantDefault?.()
    const name = column.name
    if (value === undefined) {
      ;(state.expired ??= new Set()).add(name)
      return
    }
    // An unflushed change to the column stays; the database's new value becomes its original.
    const committed = state.committed
    if (committed !== null && name in committed) {
      originals[name] = committed[name]
      committed[name] = value
    } else {
      originals[name] = state.dict[name]
      state.dict[name] = value
    }
  })
  transaction.rememberOriginals(state, originals)
  if (!state.changedRelationships?.has(fk.name)) {
    if (fk.onDelete === 'SetNull' && fk.name in state.related) state.related[fk.name] = null
    else delete state.related[fk.name]
  }
}

/**
 * After a flush's DELETEs: applies the database's `onDelete` actions to the objects in the
 * identity map that referenced a deleted row (by the foreign key the session last saw). ON DELETE
 * CASCADE moves them to the deleted state (out of the identity map, restored by rollback), and
 * the cascade continues from them; SET NULL and SET DEFAULT change the foreign key in memory.
 */
function reflectDatabaseDeletes(ctx: FlushContext, transaction: SessionTransaction, deleted: readonly InstanceState[]): void {
  const gone = new Set(deleted)
  let level = deleted
  while (level.length > 0) {
    const next: InstanceState[] = []
    for (const [mapper, parents] of groupByMapper(level)) {
      for (const fk of referencingForeignKeys(mapper)) {
        const keys = new Set(parents.map((parent) => identityKey(fk.remote, fk.remote.map((column) => parent.storedValue(column.name)))))
        for (const child of [...ctx.identityMap.statesOf(fk.parent)]) {
          if (gone.has(child)) continue
          const values = fk.local.map((column) => child.storedValue(column.name))
          if (values.some((value) => value === null || value === undefined) || !keys.has(identityKey(fk.remote, values))) continue
          if (fk.onDelete === 'Cascade') {
            markDeleted(ctx, transaction, child)
            gone.add(child)
            next.push(child)
          } else {
            resetForeignKey(transaction, child, fk)
          }
        }
      }
    }
    level = next
  }
}
