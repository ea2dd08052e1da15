/** Views are read-only: a flush that would insert, update or delete a view's rows is refused before any SQL. */
import { FlushError } from '../../errors.js'
import type { Relationship } from '../mapper.js'
import { stateOf, type InstanceState } from '../state.js'

/** True when `state` is an object of a view (a `view` block). */
function isView(state: InstanceState): boolean {
  return state.mapper.definition.view === true
}

/** True when the object assigned to a to-one relationship would change its foreign key at flush. */
function movesForeignKey(state: InstanceState, relationship: Relationship): boolean {
  const target = stateOf(state.related[relationship.name])
  return relationship.local.some((column, i) => !column.equals(state.dict[column.name] ?? null, target === undefined ? null : (target.dict[relationship.remote[i].name] ?? null)))
}

/** True when flushing `state` would UPDATE its row: a changed column, or a to-one relationship moved to another row. */
function changesRow(state: InstanceState): boolean {
  if (state.changedColumns().length > 0) return true
  for (const name of state.changedRelationships ?? []) {
    const relationship = state.mapper.relationships.get(name)
    if (relationship !== undefined && relationship.ownsForeignKey && movesForeignKey(state, relationship)) return true
  }
  return false
}

/**
 * Throws `FlushError` (`flush_read_only_view`) for the first view object among those a flush
 * inserts, updates or deletes. Called before the flush writes anything.
 * @internal
 */
export function refuseViewWrites(inserting: Iterable<InstanceState>, dirty: Iterable<InstanceState>, deleting: Iterable<InstanceState>): void {
  for (const state of inserting) if (isView(state)) throw FlushError.readOnlyView(state.describe(), state.mapper.name, 'insert')
  for (const state of deleting) if (isView(state)) throw FlushError.readOnlyView(state.describe(), state.mapper.name, 'delete')
  for (const state of dirty) if (isView(state) && changesRow(state)) throw FlushError.readOnlyView(state.describe(), state.mapper.name, 'update')
}
