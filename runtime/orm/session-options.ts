/** The options of a Session and of its lookups, and the connection it lends for raw statements. */
import type { ConnectionOwner, IsolationLevel } from '../engine/driver.js'
import type { Engine } from '../engine/engine.js'
import type { ExternalTransaction } from '../engine/external-transaction.js'
import type { LoaderOption } from '../loading/loader-options.js'
import type { NPlusOneOptions } from '../loading/n-plus-one.js'
import type { RawSql, Result } from '../sql/raw-sql.js'
import type { BindTarget } from './routing.js'

/** Options of a {@link Session}. */
export interface SessionOptions {
  /** The default database: an engine, or `{ primary, replicas }` to read from replicas. Models without `/// @bind(...)` live here. */
  readonly bind: BindTarget
  /**
   * The other databases, by bind key (SQLAlchemy's `Session(binds=...)`, Flask-SQLAlchemy's
   * `SQLALCHEMY_BINDS`): models with `/// @bind(key)` run their statements on `binds[key]`.
   */
  readonly binds?: Readonly<Record<string, BindTarget>> | undefined
  /** Read from the primaries only, never from a replica (default false). See {@link Session.usePrimary}. */
  readonly primary?: boolean | undefined
  /** Flush pending changes before each query (default true). */
  readonly autoflush?: boolean | undefined
  /**
   * After commit, treat loaded objects as possibly stale (default true): relationships reload on
   * their next access and the next read of the row (query, `get`) refreshes its columns. Column
   * values stay readable, since JavaScript cannot reload them synchronously.
   */
  readonly expireOnCommit?: boolean | undefined
  /** Opt-in N+1 check: warn (or raise) when one relationship is lazy-loaded more than `threshold` times. */
  readonly nPlusOne?: NPlusOneOptions | undefined
  /**
   * The isolation level of this session's transactions, over each engine's `isolationLevel`
   * (SQLAlchemy's `Session(bind=engine.execution_options(isolation_level=...))`). See
   * `EngineOptions.isolationLevel` for what each database takes; a level the database cannot give is
   * a `ConfigurationError` at the first statement.
   */
  readonly isolationLevel?: IsolationLevel | undefined
  /**
   * An external transaction (`await engine.begin()`) to run inside: this session's transactions on
   * that engine become savepoints on its connection, so the session's commits are kept only if the
   * external transaction commits (SQLAlchemy's `join_transaction_mode="create_savepoint"`).
   */
  readonly joinTransaction?: ExternalTransaction | undefined
  /**
   * Who this session works for, named by `PoolTimeoutError` while it holds a connection. Default
   * `Session #n`; `db.session` names its scope (`GET /orders`, `db.scope(nightlyExport)`).
   */
  readonly owner?: ConnectionOwner | undefined
}

/** Options of {@link Session.get}. */
export interface GetOptions {
  /** Loader options for the lookup (`joinedload('role')`, ...), applied when it runs SQL, as a query's `options()`. */
  readonly options?: readonly LoaderOption[] | undefined
}

/** The session's connection: raw statements inside its transaction. See {@link Session.connection}. */
export interface SessionConnection {
  /** The engine the statements run on. */
  readonly engine: Engine
  /** Runs a raw statement inside the session's transaction. */
  execute<R extends Record<string, unknown> = Record<string, unknown>>(statement: RawSql): Promise<Result<R>>
}
