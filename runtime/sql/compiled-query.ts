/** A statement ready for a driver: SQL text plus bound parameters, and what kind of result to expect. */

/**
 * What the driver must return for a statement:
 * - `rows`: positional rows (SELECT, INSERT ... RETURNING);
 * - `count`: the number of rows changed (UPDATE, DELETE, INSERT without RETURNING);
 * - `insert-id`: an INSERT of one row whose generated key the driver reports (`QueryResult.lastInsertId`),
 *   on databases without RETURNING.
 */
export type ResultKind = 'rows' | 'count' | 'insert-id'

/** A compiled statement. Values are already encoded for the dialect. */
export interface CompiledQuery {
  readonly sql: string
  readonly parameters: readonly unknown[]
  readonly result: ResultKind
  /** True when the statement changes data: drivers use it to open a write transaction first. */
  readonly isWrite: boolean
  /** True when a returned column holds 64-bit integers that must be read exactly (as bigint). */
  readonly exactIntegers: boolean
  /** True when the caller needs the result's column names (raw SQL, whose rows become objects). */
  readonly columnNames?: boolean
  /** True when the statement returns at most one row by construction (a primary-key lookup): a driver may stop reading after the first. */
  readonly atMostOneRow?: boolean
}

/** A statement of our own with no parameters that belongs in the write transaction (SAVEPOINT, RELEASE SAVEPOINT, ...). */
export function controlStatement(sql: string): CompiledQuery {
  return { sql, parameters: [], result: 'count', isWrite: true, exactIntegers: false }
}
