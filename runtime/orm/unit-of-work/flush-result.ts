/** FlushResult: what a flush's statements did, from which the objects' state transitions are applied. */
import type { WrittenRow } from './flush-journal.js'
import type { InstanceState } from '../state.js'

/**
 * What one flush wrote, returned by `UnitOfWork.run()` once every statement succeeded.
 * @internal
 */
export interface FlushResult {
  /** New objects that got a row, by INSERT or by a row switch, in the order they were written. */
  readonly inserted: readonly InstanceState[]
  /** Persistent objects whose row was UPDATEd, in order. */
  readonly updated: readonly InstanceState[]
  /** Objects whose row was DELETEd (row switches excluded), in order. */
  readonly deleted: readonly InstanceState[]
  /** Row switches: a new object -> the deleted object whose row it took over. */
  readonly switches: ReadonlyMap<InstanceState, InstanceState>
  /** What each written object looked like when its statement was built (values and replaced originals). */
  readonly written: ReadonlyMap<InstanceState, WrittenRow>
  /** Versions of the objects that were dirty when the flush started. */
  readonly dirtyAtStart: ReadonlyMap<InstanceState, number>
  /** Every object the flush deleted or switched out. */
  readonly deleting: ReadonlySet<InstanceState>
}
