/** Engine: a database URL turned into a driver (with its pool) and a dialect, plus SQL echo and statement listeners. */
import type { DriverFactory } from '../databases/database-definition.js'
import { databaseOf } from '../databases/registry.js'
import type { Dialect } from '../dialect/dialect.js'
import { ConfigurationError } from '../errors.js'
import type { ConnectionBudget } from './connection-budget.js'
import { ISOLATION_LEVELS } from './driver.js'
import type {
  ConnectionOwner,
  DisposeOptions,
  Driver,
  DriverConnection,
  ExecutedStatement,
  IsolationLevel,
  PoolStatus,
  StatementListener,
} from './driver.js'
import { ExternalTransaction } from './external-transaction.js'
import { idleTimeoutMs, positiveNumber } from './option-checks.js'
import { checkoutUntraced, startTracing, traceCheckout } from './tracing.js'

/** What {@link EngineOptions.logger} receives with each line: the statement as it ran, and the engine. */
export interface StatementLogRecord extends ExecutedStatement {
  /** The engine's URL, with any password replaced by `***`. */
  readonly url: string
}

/**
 * Where echo sends each statement: the formatted line (SQL, parameters, duration, and the error's
 * name for a failed statement), and the same facts as a structured record. A function of the line
 * alone is a valid logger too.
 */
export type StatementLogger = (line: string, record: StatementLogRecord) => void

/** Options of {@link createEngine}; names follow SQLAlchemy's `create_engine`. */
export interface EngineOptions {
  /**
   * Log every statement with its parameters and duration, failed ones too (SQLAlchemy's `echo`).
   * Default: on when a `logger` is given, off otherwise.
   */
  readonly echo?: boolean | undefined
  /**
   * Where echo writes; default `console.log` of the line. Giving one turns echo on unless `echo`
   * is `false`. Point it at your own logger:
   *
   * ```ts
   * const log = pino()
   * createEngine(url, { logger: (line, record) => (record.error ? log.error(record, line) : log.debug(record, line)) })
   * createEngine(url, { logger: (line, record) => winston.debug(line, record) })
   * ```
   * The record holds the raw parameter values (bigints, Buffers, Dates) as they were bound.
   */
  readonly logger?: StatementLogger | undefined
  /** Connections kept open in the pool. Default 5. */
  readonly poolSize?: number | undefined
  /** Connections allowed beyond `poolSize` under load. Default 10. */
  readonly maxOverflow?: number | undefined
  /** Seconds to wait for a connection before `PoolTimeoutError`. Default 30. */
  readonly poolTimeout?: number | undefined
  /**
   * Seconds after which a pooled connection is closed at its next checkout and replaced by a fresh
   * one (SQLAlchemy's `pool_recycle`), e.g. below a server's or proxy's idle-connection limit.
   * Default -1: never. Refused on MySQL/MariaDB (`ConfigurationError`): the mariadb driver's pool has no
   * connection lifetime; it pings a connection idle for more than 0.5 s before handing it out instead.
   */
  readonly poolRecycle?: number | undefined
  /**
   * Seconds a connection may stay idle in the pool before it is closed, so an idle service holds no
   * database connections (an unref'd timer closes them; the next checkout opens a fresh one). Keep
   * it below a proxy's or server's idle limit (PgBouncer's `client_idle_timeout`, PostgreSQL's
   * `idle_session_timeout`, a load balancer's idle timeout). Default -1: connections up to
   * `poolSize` stay open while idle. On MySQL/MariaDB one connection stays open (the mariadb pool
   * cannot be left with none).
   */
  readonly poolIdleTimeout?: number | undefined
  /**
   * Test each pooled connection at checkout with a cheap round trip (`SELECT 1`) and replace it when
   * it is dead (SQLAlchemy's `pool_pre_ping`); when the fresh one fails too, the checkout raises
   * `ConnectionLostError`. Default false.
   */
  readonly poolPrePing?: boolean | undefined
  /**
   * The isolation level of every session transaction on this engine, unless the session sets its
   * own (SQLAlchemy's `create_engine(isolation_level=...)`). PostgreSQL takes all four levels; a
   * level other than READ COMMITTED (its default) makes a transaction begin at its first statement,
   * reads included. SQLite takes only SERIALIZABLE: the transaction takes the write lock
   * (`BEGIN IMMEDIATE`) at its first statement instead of its first write. Default: the database's.
   */
  readonly isolationLevel?: IsolationLevel | undefined
  /** SQLite: seconds a writer waits for the write lock before `DatabaseLockedError`. Default 5. */
  readonly busyTimeout?: number | undefined
  /**
   * Prepared statements cached per connection. Default 500. On SQLite every statement is prepared
   * and the least recently used are finalized past this; on PostgreSQL it caps how many distinct
   * statements `preparedStatements` prepares on the server; on MySQL/MariaDB (default 100 there: the
   * server's `max_prepared_stmt_count`, 16,382 by default, counts every connection's) the least
   * recently used of the statements `preparedStatements` keeps are closed past this.
   */
  readonly statementCacheSize?: number | undefined
  /**
   * PostgreSQL: send statements as named, server-side prepared statements, parsed and planned once
   * per connection instead of on every call (about twice as fast for a primary-key get). Off by
   * default, as in node-postgres: PgBouncer in transaction mode (before 1.21, or without
   * `max_prepared_statements`) cannot route them, and after DDL that changes a table's columns a
   * connection that prepared a statement on it fails with "cached plan must not change result type"
   * until it is replaced (`engine.dispose()`, or `poolRecycle`). The first `statementCacheSize`
   * distinct statements are prepared, later ones run unnamed. Refused (`ConfigurationError`) on a URL
   * with Prisma's `?pgbouncer=true`. MySQL/MariaDB: statements are always prepared (the binary
   * protocol); off, each is closed right after it ran, as PrismaClient's adapter does; on, each
   * connection keeps up to `statementCacheSize` of them.
   */
  readonly preparedStatements?: boolean | undefined
  /**
   * A commit whose flush is one statement (one object inserted, updated or deleted, nothing else
   * written in the transaction) sends that statement alone, in autocommit: atomic on its own, with no
   * `BEGIN` and `COMMIT` around it (Django's autocommit `save()`). On PostgreSQL and MySQL that saves
   * two of a small request's four round trips. But the `BEGIN` it saves is also what heals a pooled
   * connection that died unseen (a load balancer's or NAT's idle drop, a frozen process), and a write
   * cannot be sent again safely, so such a write raises `ConnectionLostError` instead (retry it, as
   * request scopes let you). Not used with an isolation level, in a savepoint, inside a joined external
   * transaction, or when flush or write listeners could add statements.
   *
   * Default: on SQLite, true (its connections cannot die unseen; the lone write also never waits in
   * line for the write lock while the writer is free, which made a small request about 15% faster with
   * 50 in flight). On PostgreSQL, true when the pooled connection the write gets answered the server
   * within the last 5 seconds (pg's pool hands out the most recently returned one, so light traffic
   * keeps reusing one that just answered); otherwise the lone write keeps its `BEGIN`, which heals a
   * dead connection (idle drops come after minutes). On MySQL, true: the mariadb pool pings a connection
   * idle for more than 0.5 s before handing it out, which heals what the `BEGIN` would. `true` sends it
   * alone always, `false` never.
   */
  readonly singleStatementCommits?: boolean | undefined
  /**
   * SQLite: a limit on open connections shared with other engines (see `ConnectionBudget`); an
   * `EngineRegistry` gives one to every engine it creates. Default: none, only this pool's limits.
   */
  readonly connectionBudget?: ConnectionBudget | undefined
}

/** What `release()` answers when the connection went back at once: one settled promise, shared. */
const RELEASED: Promise<void> = Promise.resolve()

function formatParameter(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`
  if (Buffer.isBuffer(value)) return `<${value.byteLength} bytes>`
  return JSON.stringify(value) ?? String(value)
}

/** Formats one statement the way echo prints it; a failed one ends with the error's name. */
export function formatStatement(statement: ExecutedStatement): string {
  const parameters = statement.parameters.length > 0 ? ` [${statement.parameters.map(formatParameter).join(', ')}]` : ''
  const failure = statement.error === undefined ? '' : ` failed: ${statement.error.name}`
  return `${statement.sql}${parameters} (${statement.durationMs.toFixed(3)} ms)${failure}`
}

/** `url` with the password of `scheme://user:password@host` replaced by `***` (SQLAlchemy's `hide_password`). */
export function maskPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1***@')
}

function recycleSeconds(value: number | undefined): number {
  if (value === undefined || value === -1) return -1
  if (!Number.isFinite(value) || value < 0) throw ConfigurationError.badOption('poolRecycle', value, 'a number of seconds >= 0, or -1 for never')
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
export class Engine {
  /** The URL the engine was created from. */
  readonly url: string
  /** The SQL dialect of the database. */
  readonly dialect: Dialect
  /** Whether statements are echoed. */
  echo: boolean
  /** The isolation level of session transactions on this engine, unless a session sets its own; undefined for the database's default. */
  readonly isolationLevel: IsolationLevel | undefined
  /** Whether a commit whose flush is one statement may send it alone, in autocommit; PostgreSQL's default declines when the pooled connection the write gets was silent for 5 s (see `EngineOptions.singleStatementCommits`). */
  readonly singleStatementCommits: boolean
  private readonly driver: Driver
  private readonly listeners = new Set<StatementListener>()
  private readonly logger: StatementLogger
  /** `url` as log records show it. */
  private readonly maskedUrl: string

  /** @internal Use {@link createEngine}. */
  constructor(url: string, dialect: Dialect, makeDriver: DriverFactory, options: EngineOptions) {
    this.url = url
    this.maskedUrl = maskPassword(url)
    this.dialect = dialect
    this.echo = options.echo ?? options.logger !== undefined
    this.isolationLevel = options.isolationLevel === undefined ? undefined : checkIsolationLevel(dialect, options.isolationLevel)
    this.singleStatementCommits = options.singleStatementCommits ?? false
    this.logger = options.logger ?? ((line) => console.log(line))
    this.driver = makeDriver(this)
    startTracing()
  }

  /**
   * Checks a connection out of the pool for `owner`, which `PoolTimeoutError` and
   * `poolStatus().checkedOutBy` name while it is out. Sessions do this for you, named after their scope.
   * Traced as a `prismalchemy.pool.checkout` span when `@opentelemetry/api` is installed.
   */
  connect(owner?: ConnectionOwner): Promise<DriverConnection> {
    return traceCheckout(this, () => this.driver.acquire(owner))
  }

  /**
   * @internal Checks out an idle connection at once for `owner`, when one is idle, needs no check and no
   * checkout span is recorded; undefined otherwise (then {@link connect}). Sessions use it for their
   * first statement.
   */
  connectNow(owner?: ConnectionOwner): DriverConnection | undefined {
    return checkoutUntraced() ? this.driver.acquireNow(owner) : undefined
  }

  /**
   * Begins a transaction on a connection of its own that the application ends with `commit()` or
   * `rollback()`; sessions join it with `{ joinTransaction: outer }` (see {@link ExternalTransaction}).
   */
  async begin(owner?: ConnectionOwner): Promise<ExternalTransaction<Engine>> {
    const connection = await this.connect(owner ?? 'engine.begin()')
    await connection.begin()
    return new ExternalTransaction(this, connection)
  }

  /** Returns a connection taken with `connect()` to the pool (one whose ROLLBACK failed is closed instead). */
  release(connection: DriverConnection): Promise<void> {
    return this.driver.release(connection) ?? RELEASED
  }

  /** @internal {@link release}, answering undefined when the connection went back at once (nothing to wait for). */
  releaseNow(connection: DriverConnection): Promise<void> | undefined {
    return this.driver.release(connection)
  }

  /** Pool figures: connections checked out (and by whom), idle, waiting callers and the maximum. */
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

  /**
   * Closes the pool's idle connections now; connections checked out are closed when they come back
   * (SQLAlchemy's `Engine.dispose()`). The engine stays usable and opens fresh connections. With
   * `{ wait: true }` it resolves only once every connection checked out before the call has come
   * back and been closed, for as long as that takes: race it with a timer to bound the wait.
   */
  dispose(options?: DisposeOptions): Promise<void> {
    return this.driver.dispose(options)
  }

  /** @internal True when echo is on or a listener is registered. */
  get active(): boolean {
    return this.echo || this.listeners.size > 0
  }

  /** @internal Called by the driver after each statement. */
  report(statement: ExecutedStatement): void {
    if (this.echo) this.logger(formatStatement(statement), { ...statement, url: this.maskedUrl })
    for (const listener of this.listeners) listener(statement)
  }
}

/**
 * Creates an engine for a database URL: SQLite files as `file:./path.db` or `sqlite:./path.db`
 * (better-sqlite3 directly), PostgreSQL as `postgresql://user:password@host:port/database` (through
 * `@prisma/adapter-pg`; `?pgbouncer=true`, as with Prisma, for PgBouncer in transaction mode before
 * 1.21), MySQL and MariaDB as `mysql://user:password@host:port/database` or `mariadb://...` (through
 * `@prisma/adapter-mariadb`; mariadb driver options such as `?connectTimeout=5000` in the URL). No
 * connection is opened until a session needs one.
 */
export function createEngine(url: string, options: EngineOptions = {}): Engine {
  const poolSize = positiveNumber('poolSize', options.poolSize, 5)
  const maxOverflow = positiveNumber('maxOverflow', options.maxOverflow, 10)
  if (poolSize + maxOverflow < 1) throw ConfigurationError.badOption('poolSize', options.poolSize, 'poolSize + maxOverflow >= 1')
  const poolTimeoutMs = positiveNumber('poolTimeout', options.poolTimeout, 30) * 1000
  const recycleMs = recycleSeconds(options.poolRecycle) * 1000
  const database = databaseOf(url)
  const makeDriver = database.driver(url, {
    poolSize,
    maxOverflow,
    poolTimeoutMs,
    recycleMs,
    idleTimeoutMs: idleTimeoutMs(options.poolIdleTimeout),
    prePing: options.poolPrePing === true,
    busyTimeout: options.busyTimeout,
    statementCacheSize: options.statementCacheSize,
    preparedStatements: options.preparedStatements,
    connectionBudget: options.connectionBudget,
    singleStatementCommits: options.singleStatementCommits,
  })
  return new Engine(url, database.dialect, makeDriver, { ...options, singleStatementCommits: options.singleStatementCommits ?? database.singleStatementCommitsByDefault })
}

/**
 * `level` when `dialect`'s database supports it, else `ConfigurationError`: PostgreSQL takes the
 * four SQL levels, SQLite only SERIALIZABLE (its transactions always are; the others cannot be had).
 */
export function checkIsolationLevel(dialect: Dialect, level: unknown): IsolationLevel {
  const supported: readonly IsolationLevel[] = dialect.name === 'sqlite' ? ['SERIALIZABLE'] : ISOLATION_LEVELS
  if (!supported.includes(level as IsolationLevel)) {
    throw ConfigurationError.badOption('isolationLevel', level, `one of ${supported.map((name) => `'${name}'`).join(', ')} on ${dialect.name}`)
  }
  return level as IsolationLevel
}
