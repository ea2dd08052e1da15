/** The embedded SQLite driver: better-sqlite3 directly, a statement cache, WAL, and one connection per concurrent session. */
import type Database from 'better-sqlite3'
import { LRUCache } from 'lru-cache'
import type { ConnectionBudget } from '../../engine/connection-budget.js'
import { DeferredBeginConnection } from '../../engine/deferred-begin-connection.js'
import type { ConnectionOwner, DisposeOptions, Driver, DriverConnection, IsolationLevel, PoolStatus, QueryResult, RowBatches, StatementReporter } from '../../engine/driver.js'
import { importOptional, SQLITE_DRIVER } from '../../engine/optional-package.js'
import { QueuePool } from '../../engine/pool.js'
import { DatabaseLockedError, IllegalStateChangeError, InvalidRequestError, type OrmError } from '../../errors.js'
import type { CompiledQuery } from '../../sql/compiled-query.js'
import { mapSqliteError, mapSqliteOpenError } from './sqlite-errors.js'
import { SqliteRowStream } from './sqlite-stream.js'
import { WriteLock, type ReleaseLock } from './write-lock.js'

/** better-sqlite3, an optional peer dependency: imported when the first connection opens. */
let betterSqlite3: Promise<typeof Database> | undefined

function loadBetterSqlite3(): Promise<typeof Database> {
  return (betterSqlite3 ??= importOptional(SQLITE_DRIVER, async () => (await import('better-sqlite3')).default))
}

/** Settings of the SQLite driver. */
export interface SqliteDriverOptions {
  /** Path of the database file. */
  readonly filename: string
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
  /** Prepared statements kept per connection. */
  readonly statementCacheSize: number
  /** A limit on open connections shared with other engines' pools, if any. */
  readonly budget?: ConnectionBudget
  /** Receives every statement run. */
  readonly reporter: StatementReporter
}

const EMPTY: QueryResult = Object.freeze({ rows: Object.freeze([]), changes: 0 })

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Runs `attempt` again while it fails with SQLITE_BUSY (another process holds the lock), waiting
 * asynchronously between tries instead of busy-waiting, for at most `timeoutMs`; then rethrows.
 */
async function retryWhileBusy<T>(attempt: () => T, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    try {
      return attempt()
    } catch (error) {
      const code = (error as { code?: string }).code ?? ''
      if (!code.startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw error
    }
    await sleep(delay)
  }
}

/**
 * True when a cell is a number beyond ±(2^53 - 1): read without safe integers, a 64-bit integer
 * there may have lost digits (a REAL that large is a false alarm, and only costs an exact re-read).
 */
function hasUnsafeNumber(rows: readonly (readonly unknown[])[]): boolean {
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]
    for (let c = 0; c < row.length; c++) {
      const cell = row[c]
      if (typeof cell === 'number' && (cell > Number.MAX_SAFE_INTEGER || cell < -Number.MAX_SAFE_INTEGER)) return true
    }
  }
  return false
}

/**
 * One better-sqlite3 connection.
 *
 * Transactions follow the pysqlite/SQLAlchemy pattern ({@link DeferredBeginConnection}): reads before
 * the first write run in autocommit mode and see the latest committed data; the first write takes the
 * process-wide write lock (asynchronously, so a waiting session never blocks the event loop) and sends
 * `BEGIN IMMEDIATE`, which holds SQLite's write lock until COMMIT or ROLLBACK. Writers therefore queue
 * instead of failing with SQLITE_BUSY, and readers on other connections are never blocked (WAL).
 */
class SqliteConnection extends DeferredBeginConnection {
  private readonly statements: LRUCache<string, Database.Statement>
  /** Statements currently in safe-integer mode (switching costs a native call, so only on change). */
  private readonly exactStatements = new WeakSet<Database.Statement>()
  private releaseWriteLock: ReleaseLock | undefined

  constructor(
    readonly db: Database.Database,
    private readonly writeLock: WriteLock,
    private readonly options: SqliteDriverOptions,
  ) {
    super(options.reporter)
    this.statements = new LRUCache({ max: options.statementCacheSize })
  }

  /** True while a write transaction holds the database. */
  get inTransaction(): boolean {
    return this.releaseWriteLock !== undefined
  }

  async execute(query: CompiledQuery): Promise<QueryResult> {
    // better-sqlite3 runs no write on a connection while one of its statements is being iterated.
    if (query.isWrite && this.streams.any) throw InvalidRequestError.writeDuringStream(`run "${query.sql}"`)
    if (this.joinsTransaction(query) && !this.inTransaction) await this.beginFor(query)
    return this.reported(query.sql, query.parameters, () => this.run(query))
  }

  /**
   * A write in autocommit: it takes the process-wide write lock as a BEGIN IMMEDIATE would (a write
   * that met another connection's lock would fail or block the event loop), and never runs when the
   * transaction it belongs to ended while it waited for the lock.
   */
  protected async runAlone(query: CompiledQuery): Promise<QueryResult> {
    if (this.streams.any) throw InvalidRequestError.writeDuringStream(`run "${query.sql}"`)
    const generation = this.generation
    const waited = this.reportClock()
    let release: ReleaseLock
    try {
      release = await this.writeLock.acquire()
    } catch (error) {
      throw this.reportFailed(query.sql, query.parameters, waited, error)
    }
    try {
      if (generation !== this.generation) throw IllegalStateChangeError.notAllowed('execute', 'closed')
      // Another process may hold SQLite's lock: the tries are reported as one statement.
      return await this.reported(query.sql, query.parameters, () => retryWhileBusy(() => this.run(query), this.options.busyTimeoutMs))
    } finally {
      release()
    }
  }

  /**
   * Iterates the SELECT on a statement of its own (the cached one may run meanwhile, e.g. the same
   * query inside the loop), in the open transaction if any, else in autocommit like other reads.
   */
  async stream(query: CompiledQuery, batchSize: number): Promise<RowBatches> {
    if (this.joinsTransaction(query) && !this.inTransaction) await this.beginFor(query)
    const rows = this.reported(query.sql, query.parameters, () => {
      const statement = this.db.prepare(query.sql)
      statement.raw(true)
      statement.safeIntegers(query.exactIntegers)
      return statement.iterate(query.parameters) as IterableIterator<unknown[]>
    })
    return this.streams.add(new SqliteRowStream(rows, batchSize, this.streams.forget, (error) => this.mapError(error, query.sql)))
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
      this.reported('COMMIT', [], () => this.prepare('COMMIT').run())
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
      this.reported('ROLLBACK', [], () => this.prepare('ROLLBACK').run())
    } finally {
      this.unlock()
    }
  }

  protected mapError(error: unknown, sql: string): OrmError {
    return mapSqliteError(error, sql)
  }

  /** Pre-ping: throws when the handle is closed or unusable. */
  ping(): void {
    this.prepare('SELECT 1').get()
  }

  /** Closes the underlying handle. */
  close(): void {
    this.streams.interruptAll('close')
    try {
      if (this.inTransaction) this.rollbackIfOpen()
    } catch {
      // The handle is closed next either way.
    }
    this.unlock()
    this.statements.clear()
    this.db.close()
  }

  private run(query: CompiledQuery): QueryResult {
    const statement = this.prepare(query.sql)
    if (query.result === 'count') return { rows: EMPTY.rows, changes: statement.run(query.parameters).changes }
    if (query.result === 'insert-id') {
      const { changes, lastInsertRowid } = statement.run(query.parameters)
      return { rows: EMPTY.rows, changes, lastInsertId: String(lastInsertRowid) }
    }
    // A read that needs exact integers runs with plain numbers first (a bigint per integer cell is a
    // heap object: loading thousands of rows spent its time collecting them) and again exactly only
    // when a number came back that may have lost digits. A write runs once, exactly when asked.
    const exact = query.exactIntegers && query.isWrite
    let rows = this.all(statement, exact, query.parameters)
    if (query.exactIntegers && !exact && hasUnsafeNumber(rows)) rows = this.all(statement, true, query.parameters)
    return query.columnNames ? { rows, changes: 0, columns: statement.columns().map((column) => column.name) } : { rows, changes: 0 }
  }

  /** Every row of `statement`, integers as bigint when `exact`. */
  private all(statement: Database.Statement, exact: boolean, parameters: readonly unknown[]): unknown[][] {
    if (this.exactStatements.has(statement) !== exact) {
      statement.safeIntegers(exact)
      if (exact) this.exactStatements.add(statement)
      else this.exactStatements.delete(statement)
    }
    return statement.all(parameters) as unknown[][]
  }

  private async beginWrite(): Promise<void> {
    this.releaseWriteLock = await this.writeLock.acquire()
    try {
      // Another process may hold SQLite's lock: the tries are reported as one BEGIN IMMEDIATE.
      await this.reported('BEGIN IMMEDIATE', [], () => retryWhileBusy(() => this.prepare('BEGIN IMMEDIATE').run(), this.options.busyTimeoutMs))
    } catch (error) {
      this.unlock()
      throw error
    }
  }

  /** Sends ROLLBACK when the handle still holds a transaction (a failed COMMIT may have ended it already). */
  private rollbackIfOpen(): void {
    if (this.db.inTransaction) this.reported('ROLLBACK', [], () => this.prepare('ROLLBACK').run())
  }

  private unlock(): void {
    const release = this.releaseWriteLock
    this.releaseWriteLock = undefined
    release?.()
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql)
    if (statement === undefined) {
      statement = this.db.prepare(sql)
      if (statement.reader) statement.raw(true)
      this.statements.set(sql, statement)
    }
    return statement
  }
}

/** Opens connections on one SQLite file, in WAL mode, behind a bounded pool. */
export class SqliteDriver implements Driver {
  private readonly pool: QueuePool<SqliteConnection>
  private readonly writeLock: WriteLock

  constructor(private readonly options: SqliteDriverOptions) {
    this.writeLock = new WriteLock(options.busyTimeoutMs, () =>
      DatabaseLockedError.of(new Error(`waited ${options.busyTimeoutMs} ms for the write lock`), 'BEGIN IMMEDIATE'),
    )
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

  release(connection: DriverConnection): Promise<void> {
    const sqlite = connection as SqliteConnection
    // Checked synchronously: a connection with nothing open goes back without a turn of the event loop.
    if (!sqlite.inTransaction && sqlite.reusable) return this.pool.release(sqlite)
    return this.releaseAfterRollback(sqlite)
  }

  private async releaseAfterRollback(sqlite: SqliteConnection): Promise<void> {
    if (sqlite.inTransaction) await sqlite.rollbackForRelease()
    if (sqlite.reusable) await this.pool.release(sqlite)
    else await this.pool.discard(sqlite)
  }

  status(): PoolStatus {
    return this.pool.status()
  }

  async dispose(options?: DisposeOptions): Promise<void> {
    await this.pool.dispose(options)
  }

  private async open(): Promise<SqliteConnection> {
    const BetterSqlite3 = await loadBetterSqlite3()
    let db: Database.Database
    try {
      db = new BetterSqlite3(this.options.filename, { timeout: 0 })
    } catch (error) {
      throw mapSqliteOpenError(error, this.options.filename)
    }
    try {
      // Switching a file to WAL needs its lock: wait out another process's write transaction.
      await retryWhileBusy(() => db.pragma('journal_mode = WAL'), this.options.busyTimeoutMs)
      db.pragma('foreign_keys = ON')
      // WAL with synchronous=NORMAL is durable across application crashes and the usual pairing.
      db.pragma('synchronous = NORMAL')
    } catch (error) {
      db.close()
      throw mapSqliteError(error, 'PRAGMA journal_mode = WAL')
    }
    return new SqliteConnection(db, this.writeLock, this.options)
  }
}
