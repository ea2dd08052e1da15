/** The embedded SQLite driver: better-sqlite3 directly, WAL, one pooled handle per concurrent session for reads, and one shared handle for write transactions. */
import type { ConnectionBudget } from '../../engine/connection-budget.js'
import { DeferredBeginConnection, releaseToPool } from '../../engine/deferred-begin-connection.js'
import type { ConnectionOwner, DisposeOptions, Driver, DriverConnection, IsolationLevel, PoolStatus, QueryResult, RowBatches, StatementReporter } from '../../engine/driver.js'
import { QueuePool } from '../../engine/pool.js'
import { DatabaseLockedError, IllegalStateChangeError, InvalidRequestError, type OrmError } from '../../errors.js'
import type { CompiledQuery } from '../../sql/compiled-query.js'
import { mapSqliteError } from './sqlite-errors.js'
import { isBusy, retryWhileBusy, SqliteHandle, type SqliteHandleOptions } from './sqlite-handle.js'
import { SqliteRowStream } from './sqlite-stream.js'
import { SqliteWriter, type WriterTurn } from './sqlite-writer.js'

/** Settings of the SQLite driver. */
export interface SqliteDriverOptions extends SqliteHandleOptions {
  /** Connections kept open (SQLAlchemy's pool_size). */
  readonly poolSize: number
  /** Extra connections under load (SQLAlchemy's max_overflow). */
  readonly maxOverflow: number
  /** Milliseconds to wait for a free connection before `PoolTimeoutError`. */
  readonly poolTimeoutMs: number
  /** Milliseconds after which a connection is reopened at checkout (SQLAlchemy's pool_recycle); negative: never. */
  readonly recycleMs: number
  /** Milliseconds after which an idle connection is closed (`poolIdleTimeout`); negative or absent: never. */
  readonly idleTimeoutMs?: number
  /** Ping connections with `SELECT 1` at checkout and reopen dead ones (SQLAlchemy's pool_pre_ping). */
  readonly prePing: boolean
  /** Milliseconds a writer waits for the database's write lock before {@link DatabaseLockedError}. */
  readonly busyTimeoutMs: number
  /** A limit on open connections shared with other engines' pools, if any. */
  readonly budget?: ConnectionBudget
  /** Receives every statement run. */
  readonly reporter: StatementReporter
}

/**
 * A session's SQLite connection: its own pooled handle, and turns on the driver's writer handle.
 *
 * Transactions follow the pysqlite/SQLAlchemy pattern ({@link DeferredBeginConnection}): reads before
 * the first write run in autocommit on the connection's own handle and see the latest committed data;
 * the first write takes a turn on the driver's {@link SqliteWriter} (the process-wide write lock,
 * awaited asynchronously, so a waiting session never blocks the event loop) and sends
 * `BEGIN IMMEDIATE` there, which holds SQLite's write lock until COMMIT or ROLLBACK. Every statement of
 * the transaction runs on the writer; its end gives the writer back. Writers therefore queue instead
 * of failing with SQLITE_BUSY, and readers on other handles are never blocked (WAL).
 */
class SqliteConnection extends DeferredBeginConnection {
  /** The writer turn while a write transaction is open. */
  private turn: WriterTurn | undefined
  /** Set by {@link close}: a statement still waiting for the writer never runs once it gets its turn. */
  private closed = false

  constructor(
    /** The pooled handle, for statements outside a write transaction. */
    private readonly own: SqliteHandle,
    private readonly writer: SqliteWriter,
    private readonly options: SqliteDriverOptions,
  ) {
    super(options.reporter)
  }

  /** True while a write transaction holds the database. */
  get inTransaction(): boolean {
    return this.turn !== undefined
  }

  /** The handle statements run on now: the writer's during a write transaction, else the connection's own. */
  private get handle(): SqliteHandle {
    return this.turn?.handle ?? this.own
  }

  /** The better-sqlite3 database statements run on now (see {@link handle}). */
  get db(): SqliteHandle['db'] {
    return this.handle.db
  }

  async execute(query: CompiledQuery): Promise<QueryResult> {
    // better-sqlite3 runs no write on a connection while one of its statements is being iterated.
    if (query.isWrite && this.streams.any) throw InvalidRequestError.writeDuringStream(`run "${query.sql}"`)
    if (this.joinsTransaction(query) && !this.inTransaction && !this.beganAtOnce(query)) await this.beginFor(query)
    return this.reported(query.sql, query.parameters, () => this.handle.run(query))
  }

  /**
   * A write in autocommit: it takes a turn on the writer as a BEGIN IMMEDIATE would (a write that met
   * another connection's lock would fail or block the event loop), and never runs when the
   * transaction it belongs to ended while it waited for the turn.
   */
  protected async runAlone(query: CompiledQuery): Promise<QueryResult> {
    if (this.streams.any) throw InvalidRequestError.writeDuringStream(`run "${query.sql}"`)
    // The writer is free: the statement runs now, with no promise made while the lock is held.
    const free = this.closed ? undefined : this.writer.tryAcquire(this.own)
    if (free !== undefined) {
      const started = this.reportClock()
      let result: QueryResult | undefined
      try {
        result = free.handle.run(query)
      } catch (error) {
        // Another process holds SQLite's lock: retried below, the waiting way, and reported once there.
        if (!isBusy(error)) throw this.reportFailed(query.sql, query.parameters, started, error)
      } finally {
        free.release()
      }
      if (result !== undefined) {
        this.reportSucceeded(query.sql, query.parameters, started)
        return result
      }
    }
    const generation = this.generation
    const waited = this.reportClock()
    let turn: WriterTurn
    try {
      turn = await this.writer.acquire(this.own)
    } catch (error) {
      throw this.reportFailed(query.sql, query.parameters, waited, error)
    }
    try {
      if (generation !== this.generation || this.closed) throw IllegalStateChangeError.notAllowed('execute', 'closed')
      // Another process may hold SQLite's lock: the tries are reported as one statement.
      return await this.reported(query.sql, query.parameters, () => retryWhileBusy(() => turn.handle.run(query), this.options.busyTimeoutMs))
    } finally {
      turn.release()
    }
  }

  /**
   * Iterates the SELECT on a statement of its own (the cached one may run meanwhile, e.g. the same
   * query inside the loop), in the open transaction if any, else in autocommit like other reads.
   */
  async stream(query: CompiledQuery, batchSize: number): Promise<RowBatches> {
    if (this.joinsTransaction(query) && !this.inTransaction) await this.beginFor(query)
    const rows = this.reported(query.sql, query.parameters, () => {
      const statement = this.handle.db.prepare(query.sql)
      statement.raw(true)
      statement.safeIntegers(query.exactIntegers)
      return statement.iterate(query.parameters) as IterableIterator<unknown[]>
    })
    return this.streams.add(new SqliteRowStream(rows, batchSize, this.streams.forget, (error) => this.mapError(error, query.sql)))
  }

  /**
   * Begins the write transaction without waiting, and without making a promise, when the writer is
   * free: takes the turn and sends BEGIN IMMEDIATE at once. False when it would have to wait (the lock
   * is held, the shared handle is not open yet) or BEGIN met another process's lock: then
   * {@link beginFor} does it the waiting way, retrying and reporting what it meets. Any other failure
   * is reported and thrown as {@link beginFor} would: BEGIN failed, and `query` with it.
   */
  private beganAtOnce(query: CompiledQuery): boolean {
    if (this.closed) return false
    const turn = this.writer.tryAcquire(this.own)
    if (turn === undefined) return false
    this.turn = turn
    const started = this.reportClock()
    try {
      turn.handle.prepare('BEGIN IMMEDIATE').run()
    } catch (error) {
      this.unlock()
      if (isBusy(error)) return false
      throw this.reportFailed(query.sql, query.parameters, started, this.reportFailed('BEGIN IMMEDIATE', [], started, error))
    }
    this.reportSucceeded('BEGIN IMMEDIATE', [], started)
    return true
  }

  /** Sends BEGIN IMMEDIATE for `query`, the first statement of the session's transaction to need it (a write, or any statement under SERIALIZABLE). */
  private async beginFor(query: CompiledQuery): Promise<void> {
    const generation = this.generation
    const waited = this.reportClock()
    try {
      await this.beginWrite()
    } catch (error) {
      // The statement never ran: the log shows it failing on the lock (its time is the wait).
      throw this.reportFailed(query.sql, query.parameters, waited, error)
    }
    // The transaction this statement belongs to ended while it waited for the lock: never run it
    // in whatever transaction the connection serves now.
    if (generation !== this.generation) {
      await this.rollbackAfterFailure(() => this.rollbackIfOpen())
      this.unlock()
      throw IllegalStateChangeError.notAllowed('execute', 'closed')
    }
  }

  /** better-sqlite3 runs no write (nor COMMIT) on a connection while one of its statements is iterated. */
  get writesBlocked(): boolean {
    return this.streams.any
  }

  /** SQLite's only isolation level besides its default is SERIALIZABLE, which takes the write lock at the first statement. */
  protected beginsAtFirstStatement(level: IsolationLevel | undefined): boolean {
    return level === 'SERIALIZABLE'
  }

  protected async sendCommit(): Promise<void> {
    try {
      this.reported('COMMIT', [], () => this.handle.prepare('COMMIT').run())
    } catch (error) {
      // A failed COMMIT leaves the transaction open: roll it back so the connection stays usable.
      await this.rollbackAfterFailure(() => this.rollbackIfOpen())
      throw error
    } finally {
      this.unlock()
    }
  }

  protected async sendRollback(): Promise<void> {
    try {
      this.reported('ROLLBACK', [], () => this.handle.prepare('ROLLBACK').run())
    } finally {
      this.unlock()
    }
  }

  protected mapError(error: unknown, sql: string): OrmError {
    return mapSqliteError(error, sql)
  }

  /** Pre-ping: throws when the handle is closed or unusable. */
  ping(): void {
    this.own.prepare('SELECT 1').get()
  }

  /** Ends a write transaction still open (giving the writer back) and closes the connection's own handle. */
  close(): void {
    this.closed = true
    this.streams.interruptAll('close')
    try {
      if (this.inTransaction) this.rollbackIfOpen()
    } catch {
      // The writer is closed when it comes back inside a transaction.
    }
    this.unlock()
    this.own.close()
  }

  private async beginWrite(): Promise<void> {
    const turn = await this.writer.acquire(this.own)
    // Closed while it waited (a connection released with a statement pending, then discarded): the
    // turn goes straight back, or the shared writer would hold a transaction nobody ends.
    if (this.closed) {
      turn.release()
      throw IllegalStateChangeError.notAllowed('execute', 'closed')
    }
    this.turn = turn
    try {
      // Another process may hold SQLite's lock: the tries are reported as one BEGIN IMMEDIATE. A
      // transaction ended meanwhile gave the turn back: no further try, on any handle.
      const begin = () => {
        if (this.turn !== turn) throw IllegalStateChangeError.notAllowed('execute', 'closed')
        return turn.handle.prepare('BEGIN IMMEDIATE').run()
      }
      await this.reported('BEGIN IMMEDIATE', [], () => retryWhileBusy(begin, this.options.busyTimeoutMs))
    } catch (error) {
      if (this.turn === turn) this.unlock()
      else turn.release()
      throw error
    }
  }

  /** Sends ROLLBACK when the handle still holds a transaction (a failed COMMIT may have ended it already). */
  private rollbackIfOpen(): void {
    if (this.handle.inTransaction) this.reported('ROLLBACK', [], () => this.handle.prepare('ROLLBACK').run())
  }

  /** Gives the writer back (it is closed if its transaction could not be ended). */
  private unlock(): void {
    const turn = this.turn
    this.turn = undefined
    turn?.release()
  }
}

/** Opens connections on one SQLite file, in WAL mode, behind a bounded pool. */
export class SqliteDriver implements Driver {
  private readonly pool: QueuePool<SqliteConnection>
  private readonly writer: SqliteWriter

  constructor(private readonly options: SqliteDriverOptions) {
    this.writer = new SqliteWriter({
      // Under a connection budget every open file is counted: each session then writes on its own handle.
      openShared: options.budget === undefined ? () => SqliteHandle.open(options) : undefined,
      timeoutMs: options.busyTimeoutMs,
      timedOut: () => DatabaseLockedError.of(new Error(`waited ${options.busyTimeoutMs} ms for the write lock`), 'BEGIN IMMEDIATE'),
      idleTimeoutMs: options.idleTimeoutMs,
    })
    this.pool = new QueuePool({
      create: () => this.open(),
      destroy: (connection) => connection.close(),
      poolSize: options.poolSize,
      maxOverflow: options.maxOverflow,
      timeoutMs: options.poolTimeoutMs,
      budget: options.budget,
      recycleMs: options.recycleMs,
      idleTimeoutMs: options.idleTimeoutMs,
      ping: options.prePing ? (connection) => connection.ping() : undefined,
    })
  }

  acquire(owner?: ConnectionOwner): Promise<DriverConnection> {
    return this.pool.acquire(owner)
  }

  acquireNow(owner?: ConnectionOwner): DriverConnection | undefined {
    return this.pool.acquireNow(owner)
  }

  release(connection: DriverConnection): Promise<void> | undefined {
    return releaseToPool(this.pool, connection as SqliteConnection)
  }

  status(): PoolStatus {
    return this.pool.status()
  }

  /** Closes the idle connections and retires the writer (see {@link SqliteWriter.retire}); the driver stays usable. */
  async dispose(options?: DisposeOptions): Promise<void> {
    try {
      await this.pool.dispose(options)
    } finally {
      this.writer.retire()
    }
  }

  private async open(): Promise<SqliteConnection> {
    return new SqliteConnection(await SqliteHandle.open(this.options), this.writer, this.options)
  }
}
