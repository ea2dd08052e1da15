/** Relationship counts loaded with their owners (`withCount`): a correlated `(SELECT count(*) ...)` per relationship in the owners' statement, read into `obj._count`. */
import { InvalidRequestError } from '../errors.js'
import type { Mapper, Relationship } from '../orm/mapper.js'
import type { Model, RelationNameOf, RelationsOf } from '../orm/model.js'
import { sql, type ColumnNode, type ScalarSubqueryNode, type SelectNode } from '../sql/nodes.js'
import { relatedAliases, relatedRows } from './relation-filter.js'

/** The names of a model's to-many relationships: what `withCount()` counts. */
export type ToManyRelationNameOf<T> = {
  [K in RelationNameOf<T>]: NonNullable<RelationsOf<T>[K]> extends readonly unknown[] ? K : never
}[RelationNameOf<T>]

/** A model loaded with the counts of relationships `N`: `post._count.comments`. */
export type WithCount<T, N extends string> = T & { readonly _count: { readonly [K in N]: number } }

/** Select-list aliases of relationship counts start with this, followed by the relationship's name. */
const ALIAS_PREFIX = '_count_'

/** The to-many relationships of `mapper` named in `names`, checked: anything else raises `InvalidRequestError`. */
export function checkCountable(mapper: Mapper, names: readonly string[]): readonly string[] {
  for (const name of names) {
    if (mapper.relationships.get(name)?.uselist !== true) {
      const countable = [...mapper.relationships.values()].filter((relationship) => relationship.uselist).map((relationship) => relationship.name)
      throw InvalidRequestError.notACountableRelationship(mapper.name, name, countable)
    }
  }
  return names
}

/** The alias of a query's window of rows when counts are computed over it (see {@link selectCounts}). */
const WINDOW = 'page'

/**
 * `(SELECT count(*) FROM <related rows>) AS "_count_<name>"`: the related rows of the owner row
 * named `owner` (its table, or the window's alias) in the enclosing statement, as relation filters
 * read them (`relatedRows`: a many-to-many through its join table).
 */
function countSubquery(relationship: Relationship, owner: string): ScalarSubqueryNode {
  const rows = relatedRows(relationship, owner, relatedAliases('subquery', 1, owner), { kind: 'count' })
  return sql.scalarSubquery(rows, `${ALIAS_PREFIX}${relationship.name}`)
}

/**
 * True when `node` keeps a window of its rows (LIMIT/OFFSET) and can be counted as a subquery: no
 * joins (whose columns could share names) and an order on its own selected columns only.
 */
function countsOverWindow(node: SelectNode, columns: readonly ColumnNode[]): boolean {
  if ((node.limit === undefined && node.offset === undefined) || (node.joins !== undefined && node.joins.length > 0)) return false
  const selected = new Set(columns.map((column) => column.name))
  return (node.orderBy ?? []).every((item) => item.column.table === undefined && item.column.aggregate === undefined && selected.has(item.column.name))
}

/**
 * `node` (an entity SELECT of `mapper`) also selecting the count of each relationship in `names`,
 * after its columns, as correlated scalar subqueries: each is one index probe per owner row (a page
 * of 10 costs 10), where a LEFT JOIN of grouped counts counts every related row of the table on
 * every page. A query with a LIMIT/OFFSET becomes the subquery `page` and the counts are computed
 * over its rows only: SQLite (and PostgreSQL, for the rows an OFFSET skips) would otherwise compute
 * them for every row it sorts or skips. The columns keep their node list (the loading pipeline
 * knows a partial selection by it) and the order is repeated outside.
 */
export function selectCounts(mapper: Mapper, node: SelectNode, names: readonly string[]): SelectNode {
  const selection = node.selection
  if (names.length === 0 || selection.kind !== 'columns') return node
  const relationships = [...new Set(names)].map((name) => mapper.relationships.get(name)!)
  if (!countsOverWindow(node, selection.columns)) {
    const subqueries = relationships.map((relationship) => countSubquery(relationship, mapper.table))
    return { ...node, selection: { ...selection, subqueries: [...(selection.subqueries ?? []), ...subqueries] } }
  }
  return {
    kind: 'select',
    from: sql.subquery(node, WINDOW),
    selection: { kind: 'columns', columns: selection.columns, subqueries: relationships.map((relationship) => countSubquery(relationship, WINDOW)) },
    orderBy: node.orderBy,
  }
}

/** The relationships whose counts `node` selects (last in each row, in this order), or undefined when it selects none. */
export function countedRelationships(node: SelectNode): readonly string[] | undefined {
  if (node.selection.kind !== 'columns' || node.selection.subqueries === undefined) return undefined
  const names = node.selection.subqueries.filter((subquery) => subquery.alias.startsWith(ALIAS_PREFIX)).map((subquery) => subquery.alias.slice(ALIAS_PREFIX.length))
  return names.length > 0 ? names : undefined
}

/**
 * Sets `obj._count` from the last values of `row` (the counts of `names`, in order): an own
 * property replaced by each load that asks for counts, outside the object's state (never flushed,
 * never a change).
 */
export function setCounts(obj: Model, row: readonly unknown[], names: readonly string[]): void {
  const counts: Record<string, number> = {}
  const start = row.length - names.length
  names.forEach((name, i) => (counts[name] = Number(row[start + i])))
  Object.defineProperty(obj, '_count', { value: Object.freeze(counts), writable: true, enumerable: true, configurable: true })
}
