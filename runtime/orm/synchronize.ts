/**
 * Keeps the identity map in step with a bulk UPDATE or DELETE (SQLAlchemy's `synchronize_session`):
 * matched objects found by evaluating the criteria in memory, or by the primary keys the statement
 * returns; updated objects take the new values as their committed state, deleted ones become deleted.
 */
import { InvalidRequestError } from '../errors.js'
import { compileEvaluator, EXPIRED, Unevaluatable, type Evaluator } from '../sql/evaluate.js'
import type { ColumnNode, ConditionNode } from '../sql/nodes.js'
import type { ColumnInfo, Mapper } from './mapper.js'
import type { FlushContext, LoadContext } from './session-context.js'
import type { InstanceState } from './state.js'
import type { SessionTransaction } from './transaction/session-transaction.js'

/**
 * How a bulk statement keeps the session's objects in step: `'evaluate'` the criteria in memory,
 * `'fetch'` the matched primary keys with RETURNING, `'auto'` (the default) evaluate when it can and
 * fetch otherwise, `false` leave the objects as they are.
 */
export type SynchronizeSession = 'auto' | 'evaluate' | 'fetch' | false

/** Options of `query.update()` and `query.delete()`. */
export interface BulkWriteOptions {
  /** How objects already in the session follow the statement; default `'auto'` (see {@link SynchronizeSession}). */
  readonly synchronize?: SynchronizeSession
}

/**
 * What bulk statements use of a session: the flush contract (writes inside the transaction) and the
 * transaction itself, which records the objects a statement deleted or updated so that a rollback
 * restores them.
 * @internal
 */
export interface BulkWriteContext extends FlushContext {
  /** The session's transaction, begun when there is none. */
  bulkTransaction(): SessionTransaction
}

/** The session behind a query as bulk statements use it (the one implementation of `LoadContext`, `Session`, is one). @internal */
export function bulkContext(ctx: LoadContext): BulkWriteContext {
  return ctx as BulkWriteContext
}

/** Checks the `synchronize` option. @internal */
export function checkSynchronize(value: unknown): SynchronizeSession {
  if (value === undefined) return 'auto'
  if (value === 'auto' || value === 'evaluate' || value === 'fetch' || value === false) return value
  throw InvalidRequestError.invalidSynchronize(value)
}

/** An object's verdict from the in-memory criteria: matched, not matched, or undecided (it lacks a column the criteria read). */
export type Verdict = 'matched' | 'unmatched' | 'expired'

/**
 * The verdicts of the criteria for every object of `mapper` in the identity map, read from the
 * values the database holds as the object last saw them (unflushed changes are not in the
 * database). Null when the criteria cannot be evaluated: for `'auto'` (`strict` false) also when
 * one object cannot be decided, since fetching is then exact; for `'evaluate'` an unevaluatable
 * condition raises `InvalidRequestError` (`unevaluatable_criteria`).
 * @internal
 */
export function evaluateMatches(
  ctx: LoadContext,
  mapper: Mapper,
  where: ConditionNode | undefined,
  operation: 'update' | 'delete',
  strict: boolean,
): Map<InstanceState, Verdict> | null {
  let evaluator: Evaluator
  const columns = new Map<string, ColumnInfo>(mapper.columns.map((column) => [column.column, column]))
  const columnOf = (node: ColumnNode): ColumnInfo | undefined => (node.table === undefined || node.table === mapper.table ? columns.get(node.name) : undefined)
  try {
    evaluator = compileEvaluator(where, { dialect: ctx.dialectOf(mapper).name, columnType: (node) => columnOf(node)?.type })
  } catch (error) {
    if (!(error instanceof Unevaluatable)) throw error
    if (strict) throw InvalidRequestError.unevaluatableCriteria(operation, error.message)
    return null
  }
  const verdicts = new Map<InstanceState, Verdict>()
  for (const state of ctx.identityMap.statesOf(mapper)) {
    const read = (node: ColumnNode): unknown => {
      const name = columnOf(node)!.name
      // An unloaded column (expired, or deferred by loadOnly/defer) is unknown, as in SQLAlchemy's evaluator.
      if ((state.expired !== null && state.expired.has(name)) || (state.deferred !== null && state.deferred.has(name))) throw EXPIRED
      return state.storedValue(name)
    }
    try {
      verdicts.set(state, evaluator(read) === true ? 'matched' : 'unmatched')
    } catch (error) {
      if (error === EXPIRED) {
        if (!strict) return null
        verdicts.set(state, 'expired')
      } else if (error instanceof Unevaluatable) {
        if (strict) throw InvalidRequestError.unevaluatableCriteria(operation, error.message)
        return null
      } else throw error
    }
  }
  return verdicts
}

/** A column's new value for one object, or {@link EXPIRE} when memory cannot know it (it is expired on the object). */
export type NewValues = Map<ColumnInfo, unknown>

/** Marks a column in {@link NewValues} whose new value is unknown in memory: it is expired on the object. */
export const EXPIRE: unique symbol = Symbol('prismalchemy.expire')

/**
 * Gives a persistent object the values a bulk UPDATE wrote to its row as its committed state (not a
 * change to flush): an unflushed change to such a column is replaced, as in SQLAlchemy; other
 * unflushed changes stay pending; a deferred column stays deferred. A to-one relationship whose
 * foreign key changed is unloaded, so its next access loads the new target. The transaction
 * remembers the replaced values: a rollback puts them back.
 * @internal
 */
export function applyUpdate(ctx: BulkWriteContext, transaction: SessionTransaction, state: InstanceState, values: NewValues): void {
  const originals: Record<string, unknown> = {}
  for (const [column, value] of values) {
    const name = column.name
    for (const relationship of state.mapper.relationshipsByForeignKey.get(name) ?? []) {
      if (state.changedRelationships?.has(relationship) !== true) delete state.related[relationship]
    }
    // A column the query left out (loadOnly/defer) stays unloaded, as SQLAlchemy sets only loaded attributes.
    if (state.deferred !== null && state.deferred.has(name)) continue
    originals[name] = state.storedValue(name)
    if (state.committed !== null) delete state.committed[name]
    if (value === EXPIRE) (state.expired ??= new Set()).add(name)
    else {
      state.dict[name] = value
      state.expired?.delete(name)
    }
  }
  if (state.expired !== null && state.expired.size === 0) state.expired = null
  if (state.committed !== null && Object.keys(state.committed).length === 0) state.committed = null
  if (!state.modified) ctx.dirtyStates.delete(state)
  transaction.rememberOriginals(state, originals)
}

/**
 * Moves a persistent object whose row a bulk DELETE removed to the deleted state, as SQLAlchemy's
 * `_remove_newly_deleted`: out of the identity map, detached at commit, persistent again after a
 * rollback.
 * @internal
 */
export function applyDelete(ctx: BulkWriteContext, transaction: SessionTransaction, state: InstanceState): void {
  ctx.identityMap.remove(state)
  state.deleted = true
  ctx.deletedStates.delete(state)
  ctx.dirtyStates.delete(state)
  transaction.deleted.push(state)
}

/** The objects of `mapper` in the identity map whose primary keys are in `rows` (decoded key columns, in primary-key order). @internal */
export function statesByKey(ctx: LoadContext, mapper: Mapper, rows: readonly (readonly unknown[])[]): InstanceState[] {
  const decoders = mapper.primaryKey.map((column) => ctx.dialectOf(mapper).decoder(column.type))
  const states: InstanceState[] = []
  for (const row of rows) {
    const state = ctx.identityMap.get(mapper, mapper.identityKey(decoders.map((decode, i) => decode(row[i]))))
    if (state !== undefined) states.push(state)
  }
  return states
}
