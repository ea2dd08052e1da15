/** SqliteHandle: one open better-sqlite3 database handle, set up for WAL, with its cache of prepared statements. */
import type Database from 'better-sqlite3'
import { LRUCache } from 'lru-cache'
import type { QueryResult } from '../../engine/driver.js'
import { importOptional, SQLITE_DRIVER } from '../../engine/optional-package.js'
import type { CompiledQuery } from '../../sql/compiled-query.js'
import { mapSqliteError, mapSqliteOpenError } from './sqlite-errors.js'

/** better-sqlite3, an optional peer dependency: imported when the first handle opens. */
let betterSqlite3: Promise<typeof Database> | undefined

function loadBetterSqlite3(): Promise<typeof Database> {
  return (betterSqlite3 ??= importOptional(SQLITE_DRIVER, async () => (await import('better-sqlite3')).default))
}

const EMPTY_ROWS: readonly unknown[][] = Object.freeze([]) as readonly unknown[][]

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** True when better-sqlite3 failed with SQLITE_BUSY (or an extended BUSY code): another connection holds the lock. */
export function isBusy(error: unknown): boolean {
  return ((error as { code?: unknown } | null)?.code ?? '').toString().startsWith('SQLITE_BUSY')
}

/**
 * Runs `attempt` again while it fails with SQLITE_BUSY (another process holds the lock), waiting
 * asynchronously between tries instead of busy-waiting, for at most `timeoutMs`; then rethrows.
 */
export async function retryWhileBusy<T>(attempt: () => T, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    try {
      return attempt()
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error
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

/** Where a handle opens and how it behaves. */
export interface SqliteHandleOptions {
  /** Path of the database file. */
  readonly filename: string
  /** Milliseconds to wait out another process's lock when switching the file to WAL. */
  readonly busyTimeoutMs: number
  /** Prepared statements kept per handle. */
  readonly statementCacheSize: number
}

/**
 * One better-sqlite3 handle: statements run on it synchronously, prepared once and kept in an LRU.
 * It knows nothing of transactions or locks; a connection decides which handle a statement runs on.
 */
export class SqliteHandle {
  readonly #statements: LRUCache<string, Database.Statement>
  /** Statements currently in safe-integer mode (switching costs a native call, so only on change). */
  readonly #exactStatements = new WeakSet<Database.Statement>()

  private constructor(
    /** The better-sqlite3 database. */
    readonly db: Database.Database,
    statementCacheSize: number,
  ) {
    this.#statements = new LRUCache({ max: statementCacheSize })
  }

  /** Opens the file in WAL mode with foreign keys on and `synchronous=NORMAL`. */
  static async open(options: SqliteHandleOptions): Promise<SqliteHandle> {
    const BetterSqlite3 = await loadBetterSqlite3()
    let db: Database.Database
    try {
      db = new BetterSqlite3(options.filename, { timeout: 0 })
    } catch (error) {
      throw mapSqliteOpenError(error, options.filename)
    }
    try {
      // Switching a file to WAL needs its lock: wait out another process's write transaction.
      await retryWhileBusy(() => db.pragma('journal_mode = WAL'), options.busyTimeoutMs)
      db.pragma('foreign_keys = ON')
      // WAL with synchronous=NORMAL is durable across application crashes and the usual pairing.
      db.pragma('synchronous = NORMAL')
    } catch (error) {
      db.close()
      throw mapSqliteError(error, 'PRAGMA journal_mode = WAL')
    }
    return new SqliteHandle(db, options.statementCacheSize)
  }

  /** True while a transaction is open on the handle. */
  get inTransaction(): boolean {
    return this.db.inTransaction
  }

  /** Runs `query` and returns what its `result` kind asks for (rows, a count, or the inserted rowid). */
  run(query: CompiledQuery): QueryResult {
    const statement = this.prepare(query.sql)
    if (query.result === 'count') return { rows: EMPTY_ROWS, changes: statement.run(query.parameters).changes }
    if (query.result === 'insert-id') {
      const { changes, lastInsertRowid } = statement.run(query.parameters)
      return { rows: EMPTY_ROWS, changes, lastInsertId: String(lastInsertRowid) }
    }
    // A read that needs exact integers runs with plain numbers first (a bigint per integer cell is a
    // heap object: loading thousands of rows spent its time collecting them) and again exactly only
    // when a number came back that may have lost digits. A write runs once, exactly when asked.
    const exact = query.exactIntegers && query.isWrite
    const first = query.atMostOneRow === true
    let rows = this.#rows(statement, exact, query.parameters, first)
    if (query.exactIntegers && !exact && hasUnsafeNumber(rows)) rows = this.#rows(statement, true, query.parameters, first)
    return query.columnNames ? { rows, changes: 0, columns: statement.columns().map((column) => column.name) } : { rows, changes: 0 }
  }

  /** The cached statement for `sql` (row-returning ones read rows as arrays). */
  prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql)
    if (statement === undefined) {
      statement = this.db.prepare(sql)
      if (statement.reader) statement.raw(true)
      this.#statements.set(sql, statement)
    }
    return statement
  }

  /** Closes the handle (SQLite rolls back a transaction left open). */
  close(): void {
    this.#statements.clear()
    this.db.close()
  }

  /**
   * The rows of `statement`, integers as bigint when `exact`. With `first`, only the first (`get`): a
   * primary-key lookup stops at its row instead of stepping once more to find no other (`all`).
   */
  #rows(statement: Database.Statement, exact: boolean, parameters: readonly unknown[], first: boolean): unknown[][] {
    if (this.#exactStatements.has(statement) !== exact) {
      statement.safeIntegers(exact)
      if (exact) this.#exactStatements.add(statement)
      else this.#exactStatements.delete(statement)
    }
    if (!first) return statement.all(parameters) as unknown[][]
    const row = statement.get(parameters) as unknown[] | undefined
    return row === undefined ? [] : [row]
  }
}
