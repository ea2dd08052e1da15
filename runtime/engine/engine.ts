/** Engine: a database URL turned into a driver (with its pool) and a dialect, plus SQL echo and statement listeners. */
import path from 'node:path'
import { sqliteDialect } from '../dialect/sqlite.js'
import type { Dialect } from '../dialect/dialect.js'
import { ConfigurationError } from '../errors.js'
import type { Driver, DriverConnection, ExecutedStatement, PoolStatus, StatementListener, StatementReporter } from './driver.js'
import { SqliteDriver } from './sqlite-driver.js'

/** Options of {@link createEngine}; names follow SQLAlchemy's `create_engine`. */
export interface EngineOptions {
  /** Log every statement with its parameters and duration (SQLAlchemy's `echo`). Default false. */
  readonly echo?: boolean
  /** Where echo writes; default `console.log`. */
  readonly logger?: (line: string) => void
  /** Connections kept open in the pool. Default 5. */
  readonly poolSize?: number
  /** Connections allowed beyond `poolSize` under load. Default 10. */
  readonly maxOverflow?: number
  /** Seconds to wait for a connection before `PoolTimeoutError`. Default 30. */
  readonly poolTimeout?: number
  /** SQLite: seconds a writer waits for the write lock before `DatabaseLockedError`. Default 5. */
  readonly busyTimeout?: number
  /** Prepared statements cached per connection. Default 500. */
  readonly statementCacheSize?: number
}

function formatParameter(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`
  if (Buffer.isBuffer(value)) return `<${value.byteLength} bytes>`
  return JSON.stringify(value) ?? String(value)
}

/** Formats one statement the way echo prints it. */
export function formatStatement(statement: ExecutedStatement): string {
  const parameters = statement.parameters.length > 0 ? ` [${statement.parameters.map(formatParameter).join(', ')}]` : ''
  return `${statement.sql}${parameters} (${statement.durationMs.toFixed(3)} ms)`
}

function positiveNumber(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value < 0) throw ConfigurationError.badOption(option, value, 'a number >= 0')
  return value
}

/**
 * Where statements go: one database, its connection pool and its SQL dialect.
 *
 * ### Examples
 * ```ts
 * const engine = createEngine('file:./dev.db', { echo: true })
 * const session = new Session({ bind: engine })
 * ```
 */
export class Engine implements StatementReporter {
  /** The URL the engine was created from. */
  readonly url: string
  /** The SQL dialect of the database. */
  readonly dialect: Dialect
  /** Whether statements are echoed. */
  echo: boolean
  private readonly driver: Driver
  private readonly listeners = new Set<StatementListener>()
  private readonly logger: (line: string) => void

  /** @internal Use {@link createEngine}. */
  constructor(url: string, dialect: Dialect, makeDriver: (reporter: StatementReporter) => Driver, options: EngineOptions) {
    this.url = url
    this.dialect = dialect
    this.echo = options.echo ?? false
    this.logger = options.logger ?? ((line) => console.log(line))
    this.driver = makeDriver(this)
  }

  /** Checks a connection out of the pool. Sessions do this for you. */
  connect(): Promise<DriverConnection> {
    return this.driver.acquire()
  }

  /** Returns a connection to the pool. */
  release(connection: DriverConnection): Promise<void> {
    return this.driver.release(connection)
  }

  /** Pool figures: connections checked out, idle, waiting callers and the maximum. */
  poolStatus(): PoolStatus {
    return this.driver.status()
  }

  /**
   * Calls `listener` after every statement (SQLAlchemy's `after_cursor_execute` event).
   * Returns a function that removes the listener.
   */
  onStatement(listener: StatementListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Closes every pooled connection. */
  dispose(): Promise<void> {
    return this.driver.dispose()
  }

  /** @internal True when echo is on or a listener is registered. */
  get active(): boolean {
    return this.echo || this.listeners.size > 0
  }

  /** @internal Called by the driver after each statement. */
  report(statement: ExecutedStatement): void {
    if (this.echo) this.logger(formatStatement(statement))
    for (const listener of this.listeners) listener(statement)
  }
}

/** Resolves a `file:` (or `sqlite:`) URL to a file path, relative to the working directory. */
export function sqliteFilename(url: string): string | undefined {
  const match = /^(?:file:|sqlite:(?:\/\/)?)(.+)$/.exec(url)
  if (!match) return undefined
  const location = match[1]
  if (location === ':memory:' || location.includes('?')) throw ConfigurationError.unsupportedUrl(url)
  return path.resolve(location)
}

/**
 * Creates an engine for a database URL. Supported: SQLite files as `file:./path.db`.
 * No connection is opened until a session needs one.
 */
export function createEngine(url: string, options: EngineOptions = {}): Engine {
  const filename = sqliteFilename(url)
  if (filename === undefined) throw ConfigurationError.unsupportedUrl(url)
  const poolSize = positiveNumber('poolSize', options.poolSize, 5)
  const maxOverflow = positiveNumber('maxOverflow', options.maxOverflow, 10)
  if (poolSize + maxOverflow < 1) throw ConfigurationError.badOption('poolSize', options.poolSize, 'poolSize + maxOverflow >= 1')
  const poolTimeoutMs = positiveNumber('poolTimeout', options.poolTimeout, 30) * 1000
  const busyTimeoutMs = positiveNumber('busyTimeout', options.busyTimeout, 5) * 1000
  const statementCacheSize = Math.max(1, positiveNumber('statementCacheSize', options.statementCacheSize, 500))
  return new Engine(
    url,
    sqliteDialect,
    (reporter) => new SqliteDriver({ filename, poolSize, maxOverflow, poolTimeoutMs, busyTimeoutMs, statementCacheSize, reporter }),
    options,
  )
}
