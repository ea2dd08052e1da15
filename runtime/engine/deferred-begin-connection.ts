/** The connection base both drivers share: "autocommit until the first write", one statement-reporting wrapper, and when a connection may go back to its pool. */
import type { OrmError } from '../errors.js'
import type { CompiledQuery } from '../sql/compiled-query.js'
import type { AloneResult, DriverConnection, IsolationLevel, QueryResult, RowBatches, StatementReporter, TransactionOptions } from './driver.js'
import type { QueuePool } from './pool.js'
import { OpenStreams } from './row-stream.js'

/** What {@link DeferredBeginConnection.executeAlone} answers for a write sent inside the transaction. */
function inTransaction(result: QueryResult): AloneResult {
  return { result, committed: false }
}

/** What {@link DeferredBeginConnection.executeAlone} answers for a write sent alone, in autocommit. */
function alone(result: QueryResult): AloneResult {
  return { result, committed: true }
}

/**
 * A session's connection whose transaction begins at its first write (pysqlite's and SQLAlchemy's
 * model, Django's default): `begin()` only marks the transaction, reads before the first write run in
 * autocommit and see the latest committed data, and the first write sends BEGIN. An isolation level
 * the driver cannot give in autocommit makes the transaction begin at its first statement instead.
 *
 * A driver fills the hooks: whether the database transaction is open, how COMMIT and ROLLBACK are
 * sent, how its errors map onto the runtime's named ones, and `execute`, which asks
 * {@link joinsTransaction} and checks {@link generation} around its own BEGIN.
 */
export abstract class DeferredBeginConnection implements DriverConnection {
  #requested = false
  #isolationLevel: IsolationLevel | undefined = undefined
  #generation = 0
  #rollbackFailed = false

  /** The streams (`stream()`) open on this connection: the end of its transaction interrupts them. */
  protected readonly streams = new OpenStreams()

  protected constructor(private readonly reporter: StatementReporter) {}

  /** True while a database transaction is open on this connection (its BEGIN was sent). */
  abstract get inTransaction(): boolean

  abstract execute(query: CompiledQuery): Promise<QueryResult>

  /**
   * Runs the write `query` as its transaction's only statement (see `DriverConnection.executeAlone`):
   * alone in autocommit when the transaction was begun and has sent no BEGIN yet at the default
   * isolation level (a stricter one is set at BEGIN) and the driver {@link mayRunAlone}, else inside
   * the transaction like {@link execute}.
   */
  executeAlone(query: CompiledQuery): Promise<AloneResult> {
    try {
      if (!query.isWrite || !this.#requested || this.inTransaction || this.#isolationLevel !== undefined || !this.mayRunAlone()) return this.execute(query).then(inTransaction)
      return this.runAlone(query).then(alone)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Whether a lone write may run alone now; a driver whose connections may have died unseen answers false while that could be so. */
  protected mayRunAlone(): boolean {
    return true
  }

  /** Runs the write `query` in autocommit, outside any transaction (see {@link executeAlone}), as this driver's writes must: behind its write lock, and refused when the transaction ended meanwhile. */
  protected abstract runAlone(query: CompiledQuery): Promise<QueryResult>

  abstract stream(query: CompiledQuery, batchSize: number): Promise<RowBatches>

  abstract get writesBlocked(): boolean

  /** Whether `level` makes a transaction begin at its first statement, reads included, instead of at its first write. */
  protected abstract beginsAtFirstStatement(level: IsolationLevel | undefined): boolean

  /** Sends COMMIT on the open transaction; a failed COMMIT rolls back (with {@link rollbackAfterFailure}) and throws. */
  protected abstract sendCommit(): Promise<void>

  /** Sends ROLLBACK on the open transaction and throws when it fails. */
  protected abstract sendRollback(): Promise<void>

  /** Turns whatever the driver threw for `sql` into a named error. */
  protected abstract mapError(error: unknown, sql: string): OrmError

  /**
   * Whether a failed ROLLBACK is not the caller's concern (the adapter driver: a connection the server
   * lost has nothing left to undo). The connection is discarded at release either way.
   */
  protected ignoresFailedRollback(_error: OrmError): boolean {
    return false
  }

  /** Marks the transaction begun; its BEGIN is sent later (see the class comment), so nothing is awaited. */
  begin(options?: TransactionOptions): undefined {
    this.#isolationLevel = options?.isolationLevel
    this.#requested = true
    this.#generation++
    return undefined
  }

  commit(): Promise<void> | undefined {
    try {
      this.streams.interruptAll('commit')
    } catch (error) {
      // As from an async commit: the caller's end still releases the connection.
      return Promise.reject(error)
    }
    this.#end()
    return this.inTransaction ? this.sendCommit() : undefined
  }

  rollback(): Promise<void> | undefined {
    try {
      this.streams.interruptAll('rollback')
    } catch (error) {
      // As from an async rollback: the caller's catch (rollbackForRelease) sees it, and the connection is still released.
      return Promise.reject(error)
    }
    this.#end()
    return this.inTransaction ? this.#rollbackOpen() : undefined
  }

  /** Sends ROLLBACK on the open transaction; a failure marks the connection for discarding, and is thrown unless the driver says it is no concern. */
  async #rollbackOpen(): Promise<void> {
    try {
      await this.sendRollback()
    } catch (error) {
      this.#rollbackFailed = true
      const mapped = this.mapError(error, 'ROLLBACK')
      if (!this.ignoresFailedRollback(mapped)) throw mapped
    }
  }

  /** Rolls back what a driver's release finds open (see {@link inTransaction}); a failure only makes the connection not {@link reusable}. */
  async rollbackForRelease(): Promise<void> {
    await this.rollback()?.catch(() => undefined)
  }

  /** Whether the connection may serve another session: one whose ROLLBACK failed (now or earlier) is in an unknown state, so its pool closes it. */
  get reusable(): boolean {
    return !this.#rollbackFailed
  }

  /** The isolation level of the transaction begun last; undefined for the database's default. */
  protected get isolationLevel(): IsolationLevel | undefined {
    return this.#isolationLevel
  }

  /** Counts transactions begun and ended on this connection, so a statement can tell whether its own one ended while it waited. */
  protected get generation(): number {
    return this.#generation
  }

  /** Whether `query` runs inside the session's transaction: one was begun, and it is open, or `query` writes, or the isolation level begins it at the first statement. */
  protected joinsTransaction(query: CompiledQuery): boolean {
    return this.#requested && (query.isWrite || this.inTransaction || this.beginsAtFirstStatement(this.#isolationLevel))
  }

  /**
   * Sends ROLLBACK with `send` after something failed (a COMMIT, a BEGIN whose transaction ended
   * meanwhile), keeping the first failure the one thrown; a ROLLBACK that fails too marks the connection
   * for discarding at release.
   */
  protected async rollbackAfterFailure(send: () => unknown): Promise<void> {
    try {
      await send()
    } catch {
      this.#rollbackFailed = true
    }
  }

  /**
   * Runs `work` as the statement `sql`: reports it to echo and listeners with its duration (and its
   * error when it fails), and turns whatever the driver threw into a named error. Synchronous work
   * (better-sqlite3) stays synchronous; a promise is reported when it settles.
   */
  protected reported<T>(sql: string, parameters: readonly unknown[], work: () => T): T {
    const started = this.reporter.active ? performance.now() : 0
    let result: T
    try {
      result = work()
    } catch (error) {
      throw this.#failed(sql, parameters, started, error)
    }
    if (result instanceof Promise) {
      return result.then(
        (value: unknown) => (this.#succeeded(sql, parameters, started), value),
        (error: unknown) => {
          throw this.#failed(sql, parameters, started, error)
        },
      ) as T
    }
    this.#succeeded(sql, parameters, started)
    return result
  }

  /** Reports `sql` as run since `started` ({@link reportClock}), for a statement run without {@link reported}. */
  protected reportSucceeded(sql: string, parameters: readonly unknown[], started: number): void {
    this.#succeeded(sql, parameters, started)
  }

  /** A start time for {@link reportFailed} and {@link reportSucceeded}, taken only when someone listens. */
  protected reportClock(): number {
    return this.reporter.active ? performance.now() : 0
  }

  /**
   * Reports `sql` as failed with `error` (mapped to a named error, which is returned to throw) since
   * `started` ({@link reportClock}), for a statement run without {@link reported}: one that failed, or
   * never ran because what had to come first (the write lock) failed.
   */
  protected reportFailed(sql: string, parameters: readonly unknown[], started: number, error: unknown): OrmError {
    return this.#failed(sql, parameters, started, error)
  }

  #succeeded(sql: string, parameters: readonly unknown[], started: number): void {
    if (this.reporter.active) this.reporter.report({ sql, parameters, durationMs: performance.now() - started })
  }

  #failed(sql: string, parameters: readonly unknown[], started: number, error: unknown): OrmError {
    const mapped = this.mapError(error, sql)
    if (this.reporter.active) this.reporter.report({ sql, parameters, durationMs: performance.now() - started, error: mapped })
    return mapped
  }

  #end(): void {
    this.#requested = false
    this.#generation++
  }
}

/**
 * Returns a session's `connection` to its driver's `pool`: at once, with no turn of the event loop, when
 * nothing is open on it (undefined: nothing to wait for); else after rolling back what is open, closing
 * it instead when that ROLLBACK failed (see {@link DeferredBeginConnection.reusable}).
 */
export function releaseToPool<C extends DeferredBeginConnection>(pool: QueuePool<C>, connection: C): Promise<void> | undefined {
  if (!connection.inTransaction && connection.reusable) return pool.release(connection)
  return releaseAfterRollback(pool, connection)
}

async function releaseAfterRollback<C extends DeferredBeginConnection>(pool: QueuePool<C>, connection: C): Promise<void> {
  if (connection.inTransaction) await connection.rollbackForRelease()
  if (connection.reusable) await pool.release(connection)
  else await pool.discard(connection)
}
