/** What a query may carry into a bulk UPDATE or DELETE: criteria only, as SQLAlchemy's `Query.update()`/`delete()` allow. */
import { InvalidRequestError } from '../errors.js'
import type { Mapper } from '../orm/mapper.js'
import type { FlushContext, LoadContext } from '../orm/session-context.js'
import type { ConditionNode, OrderByNode, SelectNode } from '../sql/nodes.js'

/** The query a bulk statement comes from, as the bulk functions see it. @internal */
export interface BulkTarget {
  readonly mapper: Mapper
  /** A dynamic relationship's declared order (`@orderBy`), which the query starts with. */
  readonly declaredOrder?: readonly OrderByNode[]
  /** The query's statement: its criteria are read again after the autoflush (a dynamic relationship's foreign key). */
  statement(): SelectNode
  /** Autoflushes and returns the session; null when the rows live in memory only (a dynamic relationship of an object without a row). */
  prepare(): Promise<LoadContext | null>
}

/** The parts of a query's statement a bulk statement keeps or can ignore; any other part (a later clause) is refused. */
const KEPT: ReadonlySet<string> = new Set(['kind', 'from', 'selection', 'where', 'orderBy', 'limit', 'offset', 'joins', 'groupBy', 'having'])

/**
 * Refuses a query whose statement has a clause a single UPDATE/DELETE would silently drop or
 * cannot express on both databases: limit, offset, an ORDER BY the caller added (`declaredOrder`,
 * a dynamic relationship's `@orderBy`, is not the caller's and changes nothing here), joins,
 * grouping, or any clause added to queries later. Raises `InvalidRequestError`
 * (`bulk_clause_unsupported`), as SQLAlchemy does.
 * @internal
 */
export function checkBulkStatement(operation: 'update' | 'delete', select: SelectNode, declaredOrder?: readonly OrderByNode[]): void {
  const refuse = (clause: string) => InvalidRequestError.bulkClauseUnsupported(operation, clause)
  if (select.limit !== undefined) throw refuse('limit()')
  if (select.offset !== undefined) throw refuse('offset()')
  if (select.orderBy !== undefined && select.orderBy.length > 0 && select.orderBy !== declaredOrder) throw refuse('orderBy()')
  if (select.joins !== undefined && select.joins.length > 0) throw refuse('join()')
  if ((select.groupBy !== undefined && select.groupBy.length > 0) || select.having !== undefined) throw refuse('groupBy()')
  if (select.from.kind !== 'table') throw refuse('a subquery source')
  for (const [key, value] of Object.entries(select)) if (value !== undefined && !KEPT.has(key)) throw refuse(`${key}()`)
}

/**
 * The primary keys of the rows a bulk statement with `where` is about to change, read first with
 * `SELECT <key> ... FOR UPDATE` in the session's transaction: `synchronize: 'fetch'` on a database
 * without UPDATE/DELETE ... RETURNING (MySQL/MariaDB), as SQLAlchemy fetches there. The lock keeps
 * the set of rows the statement then changes the same.
 * @internal
 */
export async function lockMatchedKeys(ctx: FlushContext, mapper: Mapper, where: ConditionNode | undefined): Promise<readonly (readonly unknown[])[]> {
  const select: SelectNode = {
    kind: 'select',
    from: mapper.tableNode,
    selection: { kind: 'columns', columns: mapper.primaryKey.map((column) => column.node) },
    ...(where !== undefined ? { where } : {}),
    forUpdate: true,
  }
  return (await ctx.write(mapper, select, mapper.primaryKey.some((column) => column.scalar === 'BigInt'))).rows
}
