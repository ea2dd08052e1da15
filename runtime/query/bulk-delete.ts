/** `query.delete()`: one DELETE for every matching row (SQLAlchemy 2.0's ORM-enabled DELETE, Prisma's deleteMany), with the session kept in step. */
import { applyDelete, bulkContext, checkSynchronize, evaluateMatches, statesByKey, type BulkWriteOptions } from '../orm/synchronize.js'
import type { InstanceState } from '../orm/state.js'
import type { DeleteNode } from '../sql/nodes.js'
import { checkBulkStatement, lockMatchedKeys, type BulkTarget } from './bulk-statement.js'

/**
 * Runs `DELETE FROM <table> WHERE <criteria>` for the query's rows and returns how many rows it
 * deleted, after the autoflush. Objects of the model in
 * the session that the statement deleted become deleted (detached at commit, back after a
 * rollback), per `options.synchronize`; an object the in-memory criteria cannot decide (an expired
 * column, with `'evaluate'`) is expired whole, as SQLAlchemy does. The database's ON DELETE actions
 * are not reflected on other objects, and no per-object events fire (SQLAlchemy does neither).
 * @internal
 */
export async function bulkDelete(target: BulkTarget, options: BulkWriteOptions): Promise<number> {
  const mapper = target.mapper
  const synchronize = checkSynchronize(options.synchronize)
  checkBulkStatement('delete', target.statement(), target.declaredOrder)
  const session = await target.prepare()
  if (session === null) return 0
  const ctx = bulkContext(session)
  const select = target.statement()
  let verdicts: Map<InstanceState, string> | null = null
  if (synchronize === 'auto' || synchronize === 'evaluate') verdicts = evaluateMatches(ctx, mapper, select.where, 'delete', synchronize === 'evaluate')
  const fetch = synchronize === 'fetch' || (synchronize === 'auto' && verdicts === null)
  const returning = fetch && ctx.dialectOf(mapper).supportsReturning
  const node: DeleteNode = {
    kind: 'delete',
    from: mapper.tableNode,
    ...(select.where !== undefined ? { where: select.where } : {}),
    ...(returning ? { returning: mapper.primaryKey.map((column) => column.node) } : {}),
  }
  ctx.routing.pin()
  if (fetch && !returning) {
    const keys = await lockMatchedKeys(ctx, mapper, select.where)
    const result = await ctx.write(mapper, node)
    const transaction = ctx.bulkTransaction()
    for (const state of statesByKey(ctx, mapper, keys)) applyDelete(ctx, transaction, state)
    return result.changes
  }
  const result = await ctx.write(mapper, node, fetch && mapper.primaryKey.some((column) => column.scalar === 'BigInt'))
  if (fetch) {
    const transaction = ctx.bulkTransaction()
    for (const state of statesByKey(ctx, mapper, result.rows)) applyDelete(ctx, transaction, state)
    return result.rows.length
  }
  if (verdicts !== null && verdicts.size > 0) {
    const transaction = ctx.bulkTransaction()
    for (const [state, verdict] of verdicts) {
      if (verdict === 'matched') applyDelete(ctx, transaction, state)
      else if (verdict === 'expired') state.expire()
    }
  }
  return result.changes
}
