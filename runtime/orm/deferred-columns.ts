/** Deferred columns (`loadOnly`/`defer`): objects hydrated from rows holding some of their columns, and the columns left out loaded later. */
import type { Decoder } from '../dialect/dialect.js'
import { InvalidRequestError } from '../errors.js'
import type { ColumnNode, SelectNode } from '../sql/nodes.js'
import { loadedState } from './hydration.js'
import type { ColumnInfo, Mapper } from './mapper.js'
import type { Model } from './model.js'
import type { LoadContext } from './session-context.js'
import type { InstanceState } from './state.js'

/** Selections made by {@link partialSelection}, with the columns they read, so the loading pipeline knows a row's layout. */
const partialSelections = new WeakMap<readonly ColumnNode[], readonly ColumnInfo[]>()

/**
 * The column list of an entity SELECT that reads only `columns` of their mapper (the primary key
 * among them), in this order: `loadObjects` hydrates its rows with {@link hydratePartial}. @internal
 */
export function partialSelection(columns: readonly ColumnInfo[]): readonly ColumnNode[] {
  const nodes = Object.freeze(columns.map((column) => column.node))
  partialSelections.set(nodes, columns)
  return nodes
}

/** The columns an entity SELECT reads when it was built with {@link partialSelection}; undefined for every column. @internal */
export function partialColumns(node: SelectNode): readonly ColumnInfo[] | undefined {
  return node.selection.kind === 'columns' ? partialSelections.get(node.selection.columns) : undefined
}

/** The values of a row of `columns`, by column name. */
function rowValues(row: readonly unknown[], columns: readonly ColumnInfo[], decoders: readonly Decoder[]): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (let i = 0; i < columns.length; i++) values[columns[i].name] = decoders[columns[i].index](row[i])
  return values
}

/**
 * The object for a row holding `columns` of `mapper` (the primary key among them; `decoders` are
 * the mapper's, by column index): the one in the identity map, with its unloaded columns filled in
 * from the row, or a new persistent object whose other columns are deferred. @internal
 */
export function hydratePartial(session: LoadContext, mapper: Mapper, row: readonly unknown[], columns: readonly ColumnInfo[], decoders: readonly Decoder[]): Model {
  const values = rowValues(row, columns, decoders)
  const key = mapper.identityKeyOf(values)
  const existing = session.identityMap.get(mapper, key)
  if (existing !== undefined) {
    if (fillColumns(existing, values, false) && session.readsUncommitted) session.noteUncommittedRead(existing)
    return existing.obj
  }
  const state = loadedState(session, mapper, values, key)
  const left = mapper.columns.filter((column) => !(column.name in values))
  if (left.length > 0) state.deferred = new Set(left.map((column) => column.name))
  return state.obj
}

/**
 * Writes column `values` read from the database onto an object. With `overwrite` (a refresh) every
 * one of them; otherwise only unloaded ones (expired or deferred), or all of them on a stale object,
 * and never one with an unflushed change: the identity map's values win over the row, as in
 * {@link hydrate}. A stale object stays stale, since its other columns were not read. Returns true
 * when something was written. @internal
 */
export function fillColumns(state: InstanceState, values: Record<string, unknown>, overwrite: boolean): boolean {
  const committed = state.committed
  const expired = state.expired
  const deferred = state.deferred
  let filled = false
  for (const name of Object.keys(values)) {
    if (!overwrite) {
      const unloaded = (expired !== null && expired.has(name)) || (deferred !== null && deferred.has(name))
      if ((!unloaded && !state.stale) || (committed !== null && name in committed)) continue
    }
    state.dict[name] = values[name]
    expired?.delete(name)
    deferred?.delete(name)
    filled = true
  }
  if (expired !== null && expired.size === 0) state.expired = null
  if (deferred !== null && deferred.size === 0) state.deferred = null
  return filled
}

/**
 * Reads `columns` of a persistent object's row (one SELECT of them and the key) onto it, through
 * {@link fillColumns}. Returns false when the row is gone. @internal
 */
export async function loadColumns(session: LoadContext, state: InstanceState, columns: readonly ColumnInfo[], overwrite: boolean): Promise<boolean> {
  const mapper = state.mapper
  const selected = [...mapper.primaryKey, ...columns.filter((column) => !mapper.primaryKey.includes(column))]
  const node: SelectNode = {
    kind: 'select',
    from: mapper.tableNode,
    selection: { kind: 'columns', columns: selected.map((column) => column.node) },
    where: mapper.primaryKeyCondition(mapper.primaryKey.map((column) => state.storedValue(column.name))),
  }
  const rows = await session.executeRows(mapper, node, mapper.hasBigInt)
  if (rows.length === 0) return false
  fillColumns(state, rowValues(rows[0], selected, mapper.decoders(session.dialectOf(mapper))), overwrite)
  if (session.readsUncommitted) session.noteUncommittedRead(state)
  return true
}

/**
 * `session.refresh(obj, names)`: reloads only the named columns (SQLAlchemy's `refresh(obj,
 * attribute_names)`), deferred ones included, discarding unflushed changes to them; other pending
 * work is autoflushed first. @internal
 */
export async function refreshColumns(session: LoadContext, state: InstanceState, names: readonly string[]): Promise<void> {
  const columns = names.map((name) => state.mapper.column(name))
  const committed = state.committed
  if (committed !== null) {
    for (const column of columns) {
      if (!(column.name in committed)) continue
      state.dict[column.name] = committed[column.name]
      delete committed[column.name]
    }
    if (Object.keys(committed).length === 0) state.committed = null
    if (!state.modified) session.dirtyStates.delete(state)
  }
  await session.autoflush()
  if (!(await loadColumns(session, state, columns, true))) throw InvalidRequestError.refreshedRowGone(state.describe())
}

/**
 * After a rollback put stored values back on a persistent object: a column whose stored value is
 * unknown (it was deferred when first written) is deferred again rather than read as undefined. @internal
 */
export function deferUnknown(state: InstanceState, values: Record<string, unknown>): void {
  if (state.key === undefined) return
  for (const name of Object.keys(values)) if (values[name] === undefined) (state.deferred ??= new Set()).add(name)
}
