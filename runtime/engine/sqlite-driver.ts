/** The embedded SQLite driver: better-sqlite3 directly, a statement cache, WAL, and one connection per concurrent session. */
import Database from 'better-sqlite3'
import { E_TIMEOUT, Mutex, type MutexInterface, withTimeout } from 'async-mutex'
import { LRUCache } from 'lru-cache'
import { DatabaseLockedError, IllegalStateChangeError } from '../errors.js'
import type { CompiledQuery } from '../sql/compiled-query.js'
import type { Driver, DriverConnection, PoolStatus, QueryResult, StatementReporter } from './driver.js'
import { QueuePool } from './pool.js'
import { mapSqliteError } from './sqlite-errors.js'

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
  /** Milliseconds a writer waits for the database's write lock before {@link DatabaseLockedError}. */
  readonly busyTimeoutMs: number
  /** Prepared statements kept per connection. */
  readonly statementCacheSize: number
  /** Receives every statement run. */
  readonly reporter: StatementReporter
}

const EMPTY: QueryResult = Object.freeze({ rows: Object.freeze([]), changes: 0 })

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
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
    if (query.isWrite && this.transactionRequested && !this.writing) {
      const transaction = this.transaction
      await this.beginWrite()
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
        result = { rows: statement.all(query.parameters) as unknown[][], changes: 0 }
      } else {
        result = { rows: EMPTY.rows, changes: statement.run(query.parameters).changes }
      }
    } catch (error) {
      // Echo the failed statement too, so the log shows what the database rejected.
      if (this.options.reporter.active) this.report(query.sql, query.parameters, started)
      throw mapSqliteError(error, query.sql)
    }
    if (this.options.reporter.active) this.report(query.sql, query.parameters, started)
    return result
  }

  async begin(): Promise<void> {
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
    // Another process may hold SQLite's lock: retry asynchronously instead of busy-waiting.
    const deadline = Date.now() + this.options.busyTimeoutMs
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      try {
        this.run('BEGIN IMMEDIATE')
        return
      } catch (error) {
        const code = (error as { code?: string }).code ?? ''
        if (!code.startsWith('SQLITE_BUSY') || Date.now() >= deadline) {
          this.unlock()
          throw mapSqliteError(error, 'BEGIN IMMEDIATE')
        }
      }
      await sleep(delay)
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

  private report(sql: string, parameters: readonly unknown[], started: number): void {
    this.options.reporter.report({ sql, parameters, durationMs: performance.now() - started })
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
    })
  }

  async acquire(): Promise<DriverConnection> {
    return this.pool.acquire()
  }

  async release(connection: DriverConnection): Promise<void> {
    const sqlite = connection as SqliteConnection
    if (sqlite.writing) await sqlite.rollback()
    await this.pool.release(sqlite)
  }

  status(): PoolStatus {
    return this.pool.status()
  }

  async dispose(): Promise<void> {
    await this.pool.dispose()
  }

  private open(): SqliteConnection {
    let db: Database.Database
    try {
      db = new Database(this.options.filename, { timeout: 0 })
    } catch (error) {
      throw mapSqliteError(error)
    }
    db.pragma('journal_mode = WAL')
    db.pragma('foreign_keys = ON')
    // WAL with synchronous=NORMAL is durable across application crashes and the usual pairing.
    db.pragma('synchronous = NORMAL')
    return new SqliteConnection(db, this.writeLock, this.options)
  }
}
