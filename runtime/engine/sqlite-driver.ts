/** The embedded SQLite driver: better-sqlite3 directly, a statement cache, WAL, and one connection per concurrent session. */
import type Database from 'better-sqlite3'
import { E_TIMEOUT, Mutex, type MutexInterface, withTimeout } from 'async-mutex'
import { LRUCache } from 'lru-cache'
import { DatabaseLockedError, IllegalStateChangeError } from '../errors.js'
import type { CompiledQuery } from '../sql/compiled-query.js'
import type { ConnectionBudget } from './connection-budget.js'
import type { ConnectionOwner, DisposeOptions, Driver, DriverConnection, PoolStatus, QueryResult, StatementReporter, TransactionOptions } from './driver.js'
import { QueuePool } from './pool.js'
import { importOptional, SQLITE_DRIVER } from './optional-package.js'
import { mapSqliteError } from './sqlite-errors.js'

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
 * One better-sqlite3 connection.
 *
 * Transactions follow the pysqlite/SQLAlchemy pattern: `begin()` only marks the transaction;
 * reads before the first write run in autocommit mode and see the latest committed data; the
 * first write takes the process-wide write lock (asynchronously, so a waiting session never
 * blocks the event loop) and sends `BEGIN IMMEDIATE`, which holds SQLite's write lock until
 * COMMIT or ROLLBACK. Writers therefore queue instead of failing with SQLITE_BUSY, and readers
 * on other connections are never blocked (WAL).
 */
class SqliteConnection implements DriverConnection {
  private readonly statements: LRUCache<string, Database.Statement>
  /** Statements currently in safe-integer mode (switching costs a native call, so only on change). */
  private readonly exactStatements = new WeakSet<Database.Statement>()
  private transactionRequested = false
  /** SERIALIZABLE asked for: the transaction takes the write lock at its first statement, reads included. */
  private beginsAtFirstStatement = false
  /** Counts transactions begun on this connection, so a statement can tell whether its own one ended. */
  private transaction = 0
  private releaseWriteLock: MutexInterface.Releaser | undefined

  constructor(
    readonly db: Database.Database,
    private readonly writeLock: MutexInterface,
    private readonly options: SqliteDriverOptions,
  ) {
    this.statements = new LRUCache({ max: options.statementCacheSize })
  }

  /** True while a write transaction holds the database. */
  get writing(): boolean {
    return this.releaseWriteLock !== undefined
  }

  async execute(query: CompiledQuery): Promise<QueryResult> {
    if ((query.isWrite || this.beginsAtFirstStatement) && this.transactionRequested && !this.writing) {
      const transaction = this.transaction
      const waited = this.options.reporter.active ? performance.now() : 0
      try {
        await this.beginWrite()
      } catch (error) {
        // The statement never ran: the log shows it failed on the lock.
        if (this.options.reporter.active) this.report(query.sql, query.parameters, waited, error as Error)
        throw error
      }
      // The transaction this statement belongs to ended while it waited for the lock: never run it
      // in whatever transaction the connection serves now.
      if (transaction !== this.transaction) {
        this.rollbackQuietly()
        this.unlock()
        throw IllegalStateChangeError.notAllowed('execute', 'closed')
      }
    }
    const started = this.options.reporter.active ? performance.now() : 0
    let result: QueryResult
    try {
      const statement = this.prepare(query.sql)
      if (query.result === 'rows') {
        if (this.exactStatements.has(statement) !== query.exactIntegers) {
          statement.safeIntegers(query.exactIntegers)
          if (query.exactIntegers) this.exactStatements.add(statement)
          else this.exactStatements.delete(statement)
        }
        const rows = statement.all(query.parameters) as unknown[][]
        result = query.columnNames ? { rows, changes: 0, columns: statement.columns().map((column) => column.name) } : { rows, changes: 0 }
      } else {
        result = { rows: EMPTY.rows, changes: statement.run(query.parameters).changes }
      }
    } catch (error) {
      // Echo the failed statement too, so the log shows what the database rejected.
      const mapped = mapSqliteError(error, query.sql)
      if (this.options.reporter.active) this.report(query.sql, query.parameters, started, mapped)
      throw mapped
    }
    if (this.options.reporter.active) this.report(query.sql, query.parameters, started)
    return result
  }

  async begin(options?: TransactionOptions): Promise<void> {
    this.beginsAtFirstStatement = options?.isolationLevel === 'SERIALIZABLE'
    this.transactionRequested = true
    this.transaction++
  }

  async commit(): Promise<void> {
    this.transactionRequested = false
    this.transaction++
    if (!this.writing) return
    try {
      this.run('COMMIT')
    } catch (error) {
      // A failed COMMIT leaves the transaction open: roll it back so the connection stays usable.
      this.rollbackQuietly()
      throw mapSqliteError(error, 'COMMIT')
    } finally {
      this.unlock()
    }
  }

  async rollback(): Promise<void> {
    this.transactionRequested = false
    this.transaction++
    if (!this.writing) return
    try {
      this.run('ROLLBACK')
    } finally {
      this.unlock()
    }
  }

  /** Pre-ping: throws when the handle is closed or unusable. */
  ping(): void {
    this.prepare('SELECT 1').get()
  }

  /** Closes the underlying handle. */
  close(): void {
    if (this.writing) this.rollbackQuietly()
    this.unlock()
    this.statements.clear()
    this.db.close()
  }

  private async beginWrite(): Promise<void> {
    try {
      this.releaseWriteLock = await this.writeLock.acquire()
    } catch (error) {
      if (error === E_TIMEOUT) throw DatabaseLockedError.of(new Error(`waited ${this.options.busyTimeoutMs} ms for the write lock`), 'BEGIN IMMEDIATE')
      throw error
    }
    try {
      await retryWhileBusy(() => this.run('BEGIN IMMEDIATE'), this.options.busyTimeoutMs)
    } catch (error) {
      this.unlock()
      throw mapSqliteError(error, 'BEGIN IMMEDIATE')
    }
  }

  private run(sql: string): void {
    const started = this.options.reporter.active ? performance.now() : 0
    this.prepare(sql).run()
    if (this.options.reporter.active) this.report(sql, [], started)
  }

  private rollbackQuietly(): void {
    try {
      if (this.db.inTransaction) this.run('ROLLBACK')
    } catch {
      // The transaction is already gone; nothing left to undo.
    }
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

  private report(sql: string, parameters: readonly unknown[], started: number, error?: Error): void {
    const durationMs = performance.now() - started
    this.options.reporter.report(error === undefined ? { sql, parameters, durationMs } : { sql, parameters, durationMs, error })
  }
}

/** Opens connections on one SQLite file, in WAL mode, behind a bounded pool. */
export class SqliteDriver implements Driver {
  private readonly pool: QueuePool<SqliteConnection>
  private readonly writeLock: MutexInterface

  constructor(private readonly options: SqliteDriverOptions) {
    this.writeLock = withTimeout(new Mutex(), options.busyTimeoutMs)
    this.pool = new QueuePool({
      create: () => this.open(),
      destroy: (connection) => connection.close(),
      poolSize: options.poolSize,
      maxOverflow: options.maxOverflow,
      timeoutMs: options.poolTimeoutMs,
      budget: options.budget,
      recycleMs: options.recycleMs,
      ping: options.prePing ? (connection) => connection.ping() : undefined,
    })
  }

  async acquire(owner?: ConnectionOwner): Promise<DriverConnection> {
    return this.pool.acquire(owner)
  }

  async release(connection: DriverConnection): Promise<void> {
    const sqlite = connection as SqliteConnection
    if (sqlite.writing) {
      try {
        await sqlite.rollback()
      } catch {
        // A connection whose ROLLBACK fails (closed handle, I/O error) must not serve anyone again.
        await this.pool.discard(sqlite)
        return
      }
    }
    await this.pool.release(sqlite)
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
      throw mapSqliteError(error)
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
