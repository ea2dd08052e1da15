/** `query.distinct()`: SELECT DISTINCT over whole rows, or PostgreSQL's DISTINCT ON (columns). */
import { InvalidRequestError } from '../errors.js'
import type { ColumnInfo } from '../orm/mapper.js'
import { sql, type SelectNode } from '../sql/nodes.js'

/** Databases whose SELECT has DISTINCT ON. */
const DISTINCT_ON = new Set(['postgresql'])

/**
 * `node`, after checking that each ORDER BY column is selected: SELECT DISTINCT sorts its distinct
 * rows, so PostgreSQL rejects an order on anything else (a deferred column, a joined table's), and
 * SQLite sorts by the value of whichever row it kept. Raises `InvalidRequestError`
 * (`distinct_order_by_unselected`) on every database, before any SQL.
 */
function checkOrderSelected(node: SelectNode): SelectNode {
  const selection = node.selection
  const columns = selection.kind === 'columns' ? selection.columns : []
  for (const { column } of node.orderBy ?? []) {
    if (!columns.some((selected) => selected.name === column.name && selected.table === column.table)) {
      throw InvalidRequestError.distinctOrderByUnselected(column.table === undefined ? column.name : `${column.table}.${column.name}`)
    }
  }
  return node
}

/**
 * `node` with DISTINCT: over whole rows for `true`; for columns, DISTINCT ON (them) on PostgreSQL
 * (any other `dialect` is an `InvalidRequestError`: SQLite has no DISTINCT ON, and Prisma answers
 * it by filtering rows in memory, which a query that loads objects through the identity map does not
 * do). PostgreSQL wants the DISTINCT ON columns first in ORDER BY: those the order does not start
 * with go in front of it, ascending, so the query's own order chooses which row of each group is kept.
 * @internal
 */
export function withDistinct(node: SelectNode, distinct: true | readonly ColumnInfo[], dialect: string): SelectNode {
  if (distinct === true) return { ...checkOrderSelected(node), distinct: true }
  if (!DISTINCT_ON.has(dialect)) throw InvalidRequestError.distinctOnUnsupported(dialect)
  const order = node.orderBy ?? []
  const names = new Set(distinct.map((column) => column.column))
  let leading = 0
  while (leading < order.length && order[leading].column.table === undefined && names.has(order[leading].column.name)) leading++
  const led = new Set(order.slice(0, leading).map((item) => item.column.name))
  const missing = distinct.filter((column) => !led.has(column.column)).map((column) => sql.orderBy(column.node, 'asc'))
  return { ...node, distinct: distinct.map((column) => column.node), orderBy: [...missing, ...order] }
}
