/** Column loader options (SQLAlchemy's `load_only`, `defer`): which columns of the queried model a query selects; the rest are deferred. */
import { InvalidRequestError } from '../errors.js'
import { partialSelection } from '../orm/deferred-columns.js'
import type { ColumnInfo, Mapper } from '../orm/mapper.js'
import type { ColumnNode } from '../sql/nodes.js'
import { resolveOptions, type LoaderOption } from './loader-options.js'
import type { LoaderStrategyName } from './strategy-names.js'

/**
 * The strategies that load a relationship with its owners, reading the owners' key columns as they
 * load: `selectin` after them, `joined` in their statement (those with `afterLoad` or `joined` in the
 * registry, named here because the registry imports the query module, which imports this one).
 */
const LOADED_WITH_OWNERS: ReadonlySet<LoaderStrategyName> = new Set(['selectin', 'joined'])

/**
 * A column option of `query.options(...)`: `loadOnly(...)` selects only the named columns, `defer(...)`
 * leaves the named ones out. `C` is the column names, so that a name the queried model lacks is a type error.
 */
export interface ColumnOption<C extends string = string> {
  readonly kind: 'loadOnly' | 'defer'
  readonly columns: readonly C[]
}

/**
 * Selects only these columns of the queried model (SQLAlchemy's `load_only`), plus the primary key,
 * which is always loaded, and the keys of relationships the query loads with its objects. The other
 * columns are deferred: reading one throws `DeferredColumnError` until `session.refresh(obj, [name])`
 * or a later full load of the row fills it in.
 *
 * ### Examples
 * ```ts
 * const titles = await session.query(Post).options(loadOnly('title')).all()  // SELECT "id", "title" FROM "posts"
 * ```
 */
export function loadOnly<C extends string>(...columns: C[]): ColumnOption<C> {
  return Object.freeze({ kind: 'loadOnly', columns: Object.freeze(columns) })
}

/** Leaves these columns of the queried model out of its SELECT (SQLAlchemy's `defer`); see {@link loadOnly} for reading them. */
export function defer<C extends string>(...columns: C[]): ColumnOption<C> {
  return Object.freeze({ kind: 'defer', columns: Object.freeze(columns) })
}

/** True for a column option, false for a relationship loader option. @internal */
export function isColumnOption(option: LoaderOption | ColumnOption): option is ColumnOption {
  return (option as Partial<ColumnOption>).columns !== undefined
}

/** Checks column options where they are given: every name a column of `mapper` (`UnmappedError`), no primary-key column deferred. @internal */
export function checkColumnOptions(mapper: Mapper, options: readonly ColumnOption[]): void {
  for (const option of options) {
    for (const name of option.columns) {
      const column = mapper.column(name)
      if (option.kind === 'defer' && mapper.primaryKey.includes(column)) throw InvalidRequestError.deferredPrimaryKey(mapper.name, name)
    }
  }
}

/**
 * The columns a query of `mapper` selects under its column options: the ones `loadOnly` names (all
 * without one) less the ones `defer` names, always with the primary key and the local columns of the
 * relationships loaded with the objects (`selectin`, from the schema or `loaderOptions`) or read as
 * queries (`dynamic`), since those loaders read them. `mapper.selectColumns` when that is every column.
 * A relationship joined into the statement (`joined`) selects every column: combining it with column
 * options is an `InvalidRequestError`. @internal
 */
export function selectedColumns(mapper: Mapper, options: readonly ColumnOption[], loaderOptions: readonly LoaderOption[]): readonly ColumnNode[] {
  if (options.length === 0) return mapper.selectColumns
  let only: Set<ColumnInfo> | null = null
  const deferred = new Set<ColumnInfo>()
  for (const option of options) {
    const columns = option.columns.map((name) => mapper.column(name))
    if (option.kind === 'defer') for (const column of columns) deferred.add(column)
    else {
      only ??= new Set()
      for (const column of columns) only.add(column)
    }
  }
  const kept = new Set<ColumnInfo>(mapper.primaryKey)
  const { strategies, nested } = resolveOptions(mapper, loaderOptions)
  for (const relationship of mapper.relationships.values()) {
    const strategy = strategies.get(relationship) ?? relationship.strategy
    if (strategy === 'joined') throw InvalidRequestError.deferredWithJoinedLoad(mapper.name, relationship.name)
    if (LOADED_WITH_OWNERS.has(strategy) || nested.has(relationship) || strategy === 'dynamic') for (const column of relationship.local) kept.add(column)
  }
  const columns = mapper.columns.filter((column) => kept.has(column) || ((only === null || only.has(column)) && !deferred.has(column)))
  return columns.length === mapper.columns.length ? mapper.selectColumns : partialSelection(columns)
}
