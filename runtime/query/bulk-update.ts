/** `query.update(values)`: one UPDATE for every matching row (SQLAlchemy 2.0's ORM-enabled UPDATE, Prisma's updateMany), with the session kept in step. */
import { applyUpdate, bulkContext, checkSynchronize, evaluateMatches, EXPIRE, statesByKey, type BulkWriteOptions, type NewValues } from '../orm/synchronize.js'
import type { InstanceState } from '../orm/state.js'
import { Unevaluatable } from '../sql/evaluate.js'
import type { UpdateNode } from '../sql/nodes.js'
import { checkBulkStatement, lockMatchedKeys, type BulkTarget } from './bulk-statement.js'
import { assignedValue, parseAssignments, setItem, type Assignment } from './update-values.js'

/** The new values of each matched object, computed in memory; null when one cannot be (then 'auto' fetches). */
function evaluateValues(states: readonly InstanceState[], assignments: readonly Assignment[], strict: boolean): Map<InstanceState, NewValues> | null {
  const result = new Map<InstanceState, NewValues>()
  for (const state of states) {
    const values: NewValues = new Map()
    for (const assignment of assignments) {
      const name = assignment.column.name
      const expired = state.expired !== null && state.expired.has(name)
      try {
        // A plain value needs nothing from memory; an operation needs the value the row holds.
        if (assignment.operation !== 'set' && expired) throw new Unevaluatable('an expired column')
        values.set(assignment.column, assignedValue(assignment, state.storedValue(name)))
      } catch (error) {
        if (!(error instanceof Unevaluatable)) throw error
        if (!strict) return null
        // SQLAlchemy's 'evaluate' expires a value it cannot compute.
        values.set(assignment.column, EXPIRE)
      }
    }
    result.set(state, values)
  }
  return result
}

/**
 * Runs `UPDATE <table> SET ... WHERE <criteria>` for the query's rows and returns how many rows
 * matched. `values` are Prisma-style update data, checked (with the query) before the autoflush. Objects of the model already in the session follow `options.synchronize` (see
 * `SynchronizeSession`); no per-object events fire (SQLAlchemy fires none for a bulk UPDATE).
 * @internal
 */
export async function bulkUpdate(target: BulkTarget, values: Record<string, unknown>, options: BulkWriteOptions): Promise<number> {
  const mapper = target.mapper
  const assignments = parseAssignments(mapper, values, new Date())
  const synchronize = checkSynchronize(options.synchronize)
  checkBulkStatement('update', target.statement(), target.declaredOrder)
  const session = await target.prepare()
  if (session === null) return 0
  const ctx = bulkContext(session)
  const select = target.statement()
  let evaluated: Map<InstanceState, NewValues> | null = null
  let fetch = synchronize === 'fetch'
  if (synchronize === 'auto' || synchronize === 'evaluate') {
    const strict = synchronize === 'evaluate'
    const verdicts = evaluateMatches(ctx, mapper, select.where, 'update', strict)
    if (verdicts !== null) {
      const matched = [...verdicts].filter(([, verdict]) => verdict === 'matched').map(([state]) => state)
      evaluated = evaluateValues(matched, assignments, strict)
      // Objects the criteria could not decide (an expired column) may have been updated: their new columns are expired.
      if (evaluated !== null) {
        for (const [state, verdict] of verdicts) {
          if (verdict === 'expired') evaluated.set(state, new Map(assignments.map((assignment) => [assignment.column, EXPIRE])))
        }
      }
    }
    fetch = evaluated === null
  }
  const returned = [...new Set([...mapper.primaryKey, ...assignments.map((assignment) => assignment.column)])]
  const returning = fetch && ctx.dialectOf(mapper).supportsReturning
  const node: UpdateNode = {
    kind: 'update',
    table: mapper.tableNode,
    set: assignments.map(setItem),
    ...(select.where !== undefined ? { where: select.where } : {}),
    ...(returning ? { returning: returned.map((column) => column.node) } : {}),
  }
  ctx.routing.pin()
  if (fetch && !returning) {
    // Without RETURNING the matched keys are read first; the matched objects get the new values computed in
    // memory from what they hold, and a value memory cannot compute (Decimal, an expired operand) is expired, as SQLAlchemy does.
    const keys = await lockMatchedKeys(ctx, mapper, select.where)
    const result = await ctx.write(mapper, node)
    const computed = evaluateValues(statesByKey(ctx, mapper, keys), assignments, true)!
    const transaction = ctx.bulkTransaction()
    for (const [state, newValues] of computed) applyUpdate(ctx, transaction, state, newValues)
    return result.changes
  }
  const result = await ctx.write(mapper, node, fetch && returned.some((column) => column.scalar === 'BigInt'))
  if (!fetch) {
    if (evaluated !== null && evaluated.size > 0) {
      const transaction = ctx.bulkTransaction()
      for (const [state, newValues] of evaluated) applyUpdate(ctx, transaction, state, newValues)
    }
    return result.changes
  }
  const dialect = ctx.dialectOf(mapper)
  const decoders = returned.map((column) => dialect.decoder(column.type))
  const keyCount = mapper.primaryKey.length
  const transaction = ctx.bulkTransaction()
  for (const row of result.rows) {
    const decoded = row.map((value, i) => decoders[i](value))
    const state = ctx.identityMap.get(mapper, mapper.identityKey(decoded.slice(0, keyCount)))
    if (state === undefined) continue
    applyUpdate(ctx, transaction, state, new Map(returned.map((column, i) => [column, decoded[i]] as const).filter(([column]) => !mapper.primaryKey.includes(column))))
  }
  return result.rows.length
}
