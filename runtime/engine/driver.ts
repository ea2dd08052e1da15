/** The driver interface every database backend implements: a pool of connections that run compiled statements. */
import type { CompiledQuery } from '../sql/compiled-query.js'

/** What a statement returned: positional rows, or the number of rows changed. */
export interface QueryResult {
  readonly rows: readonly (readonly unknown[])[]
  readonly changes: number
  /** The result's column names, when the statement asked for them (`CompiledQuery.columnNames`). */
  readonly columns?: readonly string[]
  /** The key the database generated for the inserted row, as the driver reports it (`insert-id` statements). */
  readonly lastInsertId?: string
}

/** One statement as it ran, for echo and listeners. */
export interface ExecutedStatement {
  readonly sql: string
  readonly parameters: readonly unknown[]
  /** Wall-clock duration in milliseconds. */
  readonly durationMs: number
  /** The named error the statement failed with; absent when it succeeded. */
  readonly error?: Error
}

/** Called after every statement a connection runs, including BEGIN/COMMIT/ROLLBACK. */
export type StatementListener = (statement: ExecutedStatement) => void

/** Where drivers report statements; `active` is false when nobody listens, so drivers skip the timing. */
export interface StatementReporter {
  readonly active: boolean
  report(statement: ExecutedStatement): void
}

/** SQL's transaction isolation levels (SQLAlchemy's `isolation_level` names). */
export type IsolationLevel = 'READ UNCOMMITTED' | 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE'

/** Every isolation level, for checking option values. */
export const ISOLATION_LEVELS: readonly IsolationLevel[] = ['READ UNCOMMITTED', 'READ COMMITTED', 'REPEATABLE READ', 'SERIALIZABLE']

/** How a transaction begins. */
export interface TransactionOptions {
  /**
   * The isolation level; the database's default when absent. A level stricter than the default
   * makes the transaction begin at its first statement, reads included, instead of at its first write.
   */
  readonly isolationLevel?: IsolationLevel
}

/** What {@link DriverConnection.executeAlone} did: the statement's result, and whether it committed on its own (autocommit). */
export interface AloneResult {
  readonly result: QueryResult
  /** True when the statement ran in autocommit: its changes are permanent already. */
  readonly committed: boolean
}

/** A checked-out connection. A session holds one per engine from its first statement until commit, rollback or close. */
export interface DriverConnection {
  /** Runs one statement. Driver errors are mapped to the runtime's named errors. */
  execute(query: CompiledQuery): Promise<QueryResult>
  /**
   * Runs the write `query`, which the caller knows is everything its transaction writes before the
   * commit that follows at once. When the database transaction has not begun (nothing written yet,
   * the database's default isolation level), the statement runs alone in autocommit, atomic on its
   * own, with no BEGIN or COMMIT (Django's autocommit `save()`); otherwise it runs like {@link execute}.
   * A later write, which the caller did not expect, begins a new transaction as usual.
   */
  executeAlone(query: CompiledQuery): Promise<AloneResult>
  /**
   * Starts a transaction. Drivers may defer the real BEGIN until the first write (SQLite does), unless
   * `options` ask for a stricter isolation level. Returns undefined when the transaction is begun at
   * once (a deferred BEGIN), a promise when the caller must wait.
   */
  begin(options?: TransactionOptions): Promise<void> | undefined
  /** Commits the open transaction, if any. Returns undefined when nothing was open (nothing sent, nothing to wait for). */
  commit(): Promise<void> | undefined
  /**
   * Rolls back the open transaction, if any. Never throws for a transaction that never began.
   * Returns undefined when nothing was open (nothing sent, nothing to wait for).
   */
  rollback(): Promise<void> | undefined
  /**
   * Runs a SELECT and reads its rows `batchSize` at a time (SQLite: an open statement; PostgreSQL: a
   * server-side cursor inside the transaction, begun for it). The batches end with the transaction:
   * a commit or rollback while the stream is open closes it, and its next read raises `stream_closed`.
   */
  stream(query: CompiledQuery, batchSize: number): Promise<RowBatches>
  /** True while the connection can run no write: SQLite while a stream reads on it (PostgreSQL writes between FETCHes). */
  readonly writesBlocked: boolean
}

/** One batch of a streamed statement's rows. */
export type RowBatch = readonly (readonly unknown[])[]

/** The batches of a streamed statement (see `DriverConnection.stream`); `return()` closes it early (`break`). */
export interface RowBatches extends AsyncIterableIterator<RowBatch> {
  return(): Promise<IteratorResult<RowBatch>>
  /** True until the rows are read to the end, the stream is closed, or its transaction ended. */
  readonly open: boolean
  /** Ends the stream because its transaction ends with `operation`, sending nothing; a later `next()` raises `stream_closed`. */
  interrupt(operation: string): void
  /** Like {@link interrupt}, but closes the statement or cursor first (a savepoint's end leaves cursors open); a failure to close is ignored. */
  closeFor(operation: string): Promise<void>
}

/**
 * Who holds a checked-out connection, as named in `PoolTimeoutError` and `PoolStatus.checkedOutBy`:
 * a label, or a function that computes it only when asked (so the hot path builds no strings).
 */
export type ConnectionOwner = string | (() => string)

/** Options of `dispose()`. */
export interface DisposeOptions {
  /**
   * Also wait until every connection checked out before the call has come back and been closed.
   * Without it, `dispose()` resolves once the idle connections are closed.
   */
  readonly wait?: boolean
}

/** How many connections a driver holds. */
export interface PoolStatus {
  readonly checkedOut: number
  readonly idle: number
  readonly waiting: number
  readonly max: number
  /** The owner of each checked-out connection (`"GET /orders"`, `"db.scope(nightlyExport)"`, `"db.scope() at app.ts:12:9"` with `scopeSites`, `"Session #3"`, `"unnamed"`). */
  readonly checkedOutBy: readonly string[]
}

/** A database backend: owns the pool of connections. */
export interface Driver {
  /** Checks a connection out of the pool for `owner`, waiting at most the pool timeout. */
  acquire(owner?: ConnectionOwner): Promise<DriverConnection>
  /** Checks out an idle connection at once when one is idle and needs no check before use; undefined otherwise (then {@link acquire}). */
  acquireNow(owner?: ConnectionOwner): DriverConnection | undefined
  /**
   * Returns a connection to the pool; a connection still inside a transaction is rolled back first.
   * Returns undefined when it went back at once (nothing open, handed to a waiter or kept idle).
   */
  release(connection: DriverConnection): Promise<void> | undefined
  /** Current pool figures. */
  status(): PoolStatus
  /** Closes every idle connection; checked-out connections are closed when released (and waited for with `wait`). */
  dispose(options?: DisposeOptions): Promise<void>
}
