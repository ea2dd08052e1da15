/** Rows to objects through the identity map: one object per row per session, refreshing stale ones. */
import type { Decoder } from '../dialect/dialect.js'
import type { Mapper } from './mapper.js'
import type { RawCells } from './row-reader.js'
import type { Model } from './model.js'
import type { LoadContext } from './session-context.js'
import { InstanceState, STATE, type Instrumented } from './state.js'

/** Which values the last row read left as read (reused: a reader fills it and it is read at once). */
const LEFT_RAW: RawCells = { mask: 0 }

/**
 * The object for an entity row (all of `mapper`'s columns, in order, from cell `start` of `row`: a
 * joined row carries several entities side by side): the one already in the session's identity map
 * (refreshed when stale or expired), or a new persistent object.
 * @internal
 */
export function hydrate(session: LoadContext, mapper: Mapper, row: readonly unknown[], decoders: readonly Decoder[], start = 0): Model {
  const pk = mapper.primaryKey
  const key =
    pk.length === 1
      ? pk[0].encodeKeyPart(decoders[pk[0].index](row[start + pk[0].index]))
      : mapper.identityKey(pk.map((column) => decoders[column.index](row[start + column.index])))
  const existing = session.identityMap.get(mapper, key)
  if (existing !== undefined) {
    if (existing.stale || existing.expired !== null) {
      populate(existing, row, decoders, false, start)
      if (session.readsUncommitted) session.noteUncommittedRead(existing)
    } else if (existing.deferred !== null) {
      fillDeferred(existing, row, decoders, start)
      if (session.readsUncommitted) session.noteUncommittedRead(existing)
    }
    return existing.obj
  }
  // DateTime and Decimal cells stay as read until their first read (ColumnInfo.decodeLaterBit).
  const dict = mapper.rowReader(decoders)(row, start, LEFT_RAW)
  return loadedState(session, mapper, dict, key, LEFT_RAW.mask, decoders).obj
}

/**
 * A new persistent object of `mapper` holding the column values `dict` read from its row, filed in
 * the session's identity map under `key`; the values of `rawMask`'s columns are still as read, to be
 * decoded by `decoders` at their first read.
 * @internal
 */
export function loadedState(session: LoadContext, mapper: Mapper, dict: Record<string, unknown>, key: unknown, rawMask = 0, decoders: readonly Decoder[] | null = null): InstanceState {
  // No constructor call: a loaded object is built from its row, not from user input.
  const obj = new mapper.BlankObject() as Instrumented
  const state = new InstanceState(mapper, obj, dict)
  if (rawMask !== 0) state.leaveRaw(rawMask, decoders!)
  obj[STATE] = state
  state.key = key
  state.session = session
  session.identityMap.add(state)
  if (session.readsUncommitted) session.noteUncommittedRead(state)
  return state
}

/** A full row read (from cell `start`) for an object that has deferred columns (and nothing stale or expired): those columns take the row's values. */
function fillDeferred(state: InstanceState, row: readonly unknown[], decoders: readonly Decoder[], start: number): void {
  for (const name of state.deferred!) {
    const column = state.mapper.column(name)
    state.loadCell(column, row[start + column.index], decoders)
  }
  state.deferred = null
}

/**
 * Overwrites an object's columns from its row (its cells from `start` on): all of them when
 * `overwrite`, otherwise only those without unflushed changes. Clears expiry; a stale object also
 * forgets its loaded relationships.
 * @internal
 */
export function populate(state: InstanceState, row: readonly unknown[], decoders: readonly Decoder[], overwrite: boolean, start = 0): void {
  const committed = state.committed
  for (const column of state.mapper.columns) {
    if (!overwrite && committed !== null && column.name in committed) continue
    state.loadCell(column, row[start + column.index], decoders)
  }
  state.expired = null
  state.deferred = null
  if (state.stale) {
    state.stale = false
    // Loaded relationships reload; ones assigned since (not flushed yet) are unflushed work and stay.
    const assigned = state.changedRelationships
    if (assigned === null || assigned.size === 0) state.forgetRelated()
    else for (const name of Object.keys(state.related)) if (!assigned.has(name)) delete state.related[name]
  }
}
