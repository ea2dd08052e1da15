/** createDb(): the Flask-SQLAlchemy-style `db` object bound to one schema's models: engines (per bind), sessions, createAll/dropAll. */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { BindEngines, schemaSteps, type BindConfig, type BindsConfig, type BindSelection } from './binds.js'
import type { ExecutedStatement } from './engine/driver.js'
import type { Engine, EngineOptions } from './engine/engine.js'
import { dropSchema, pushSchema, type PushResult } from './engine/schema-engine.js'
import { ConfigurationError, NoScopeError } from './errors.js'
import type { KeyOf, Model, ModelClass } from './orm/model.js'
import type { ModelRegistry } from './orm/registry.js'
import type { BindTarget } from './orm/routing.js'
import { ScopeRegistry, type RecordedQuery } from './orm/scope-registry.js'
import { ScopedSession } from './orm/scoping.js'
import type { GetOptions, NPlusOneOptions } from './orm/session.js'
import { sessionmaker, type SessionFactory } from './orm/sessionmaker.js'
import { paginate, type PaginateOptions, type Pagination } from './query/pagination.js'
import type { Query } from './query/query.js'

/** Options of {@link createDb}: the database URL, engine options and session defaults. */
export interface DbOptions extends EngineOptions {
  /** Database URL; default the environment variable {@link DbOptions.urlVariable}, else `file:./dev.db`. */
  readonly url?: string | undefined
  /**
   * The environment variable the default URL is read from when `url` is not given; default `DATABASE_URL`.
   * Generated `db.ts` passes the name a Prisma 6 schema gave in `url = env("NAME")`.
   */
  readonly urlVariable?: string | undefined
  /**
   * Read replicas of the default database: a session reads from one of them (round-robin across
   * sessions) until it first writes; see `Session.usePrimary()`.
   */
  readonly replicas?: readonly string[] | undefined
  /**
   * The other databases, by bind key (Flask-SQLAlchemy's `SQLALCHEMY_BINDS`): models with
   * `/// @bind(key)` live in `binds[key]`, a URL or `{ url, replicas, ...engine options }`.
   */
  readonly binds?: Readonly<Record<string, BindConfig>> | undefined
  /** Session default: flush before queries (default true). */
  readonly autoflush?: boolean | undefined
  /** Session default: mark objects stale after commit (default true). */
  readonly expireOnCommit?: boolean | undefined
  /** Record every statement per scope for `db.getRecordedQueries()` (Flask-SQLAlchemy's `SQLALCHEMY_RECORD_QUERIES`). */
  readonly recordQueries?: boolean | undefined
  /** Allow `db.session` outside any scope, in one process-wide scope (scripts, REPLs, tests). Default false. */
  readonly allowGlobalScope?: boolean | undefined
  /** Session default: the opt-in N+1 check (per session, so per request scope). */
  readonly nPlusOne?: NPlusOneOptions | undefined
  /**
   * Name each `db.scope()` that holds a connection by the file and line that opened it
   * (`db.scope() at app.ts:12:9`) in `PoolTimeoutError` and `engine.poolStatus()`. Default false:
   * it costs a stack capture per scope (3-7% of a short request's CPU), so, as with HikariCP's
   * leak detection, turn it on to find who holds the connections. Without it a scope is named by its
   * `owner` option or by its function's name (`db.scope(nightlyExport)`).
   */
  readonly scopeSites?: boolean | undefined
}

/**
 * A stack of this call deep enough to reach past the runtime's and the driver's own frames (a
 * statement is reported several calls below the user's code; V8's default limit keeps 10 frames).
 */
function deepStack(): Error {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 50
  try {
    return new Error()
  } finally {
    Error.stackTraceLimit = limit
  }
}

/** Where in the caller's code `site` (default: this call) was made: the first stack frame outside prismalchemy and node_modules. */
function callerLocation(site: Error = deepStack()): string | undefined {
  const frames = site.stack?.split('\n').slice(1) ?? []
  for (const frame of frames) {
    // The path must start the location: `node:internal/process/task_queues:95:5` (after a driver's network await) is not a caller.
    const location = /(?:\(|^at )((?:file:\/\/)?\/[^()]+:\d+:\d+)\)?$/.exec(frame.trim())?.[1]
    if (location === undefined || location.includes('/node_modules/')) continue
    if (location.replace('file://', '').startsWith(RUNTIME_DIR)) continue
    return location
  }
  return undefined
}

/** The label of a `db.scope()` opened where `site` was created, formatted only when an error or `poolStatus()` asks. */
function siteOf(site: Error): () => string {
  return () => `db.scope() at ${callerLocation(site) ?? 'an unknown location'}`
}

/** This package's runtime folder (source or dist), whose frames `callerLocation` skips. */
const RUNTIME_DIR = path.dirname(fileURLToPath(import.meta.url))

/** The default database when neither the options nor the environment name one. */
export const DEFAULT_DATABASE_URL = 'file:./dev.db'

/**
 * The dbs created for each registry, oldest first. An application has one `db` per schema; tests, scripts and
 * tenants may create more, and each keeps `Model.query` to its own scopes (weakly held: a dropped db is forgotten).
 */
const DBS_BY_REGISTRY = new WeakMap<ModelRegistry, WeakRef<Db>[]>()

/** The dbs of `registry` still alive, oldest first (forgetting those collected). */
function liveDbs(registry: ModelRegistry): Db[] {
  const refs = DBS_BY_REGISTRY.get(registry) ?? []
  const dbs = refs.map((ref) => ref.deref()).filter((db): db is Db => db !== undefined)
  if (dbs.length < refs.length) DBS_BY_REGISTRY.set(registry, dbs.map((db) => new WeakRef(db)))
  return dbs
}

/**
 * The application's entry point to the database, generated once per schema (`generated/db.ts`).
 * The engine is created on first use, so `configure()` can still change the URL at start-up.
 *
 * ### Examples
 * ```ts
 * import { db } from './generated/db.js'
 * import { Role } from './generated/models.js'
 * await db.createAll()
 * await db.Session.begin(async (session) => { session.add(new Role({ name: 'admin' })) })
 * ```
 */
export class Db<M extends Record<string, ModelClass> = Record<string, ModelClass>> {
  /** The model classes, by name. */
  readonly models: M
  /** The mapped models of the schema. */
  readonly registry: ModelRegistry<M>
  private options: DbOptions
  private bindEngines: BindEngines | undefined
  private sessionFactory: SessionFactory | undefined
  private scopedSession: ScopedSession | undefined
  private readonly scopes = new ScopeRegistry()

  /** @internal Use {@link createDb}. */
  constructor(registry: ModelRegistry<M>, options: DbOptions) {
    this.registry = registry
    this.models = registry.classes
    this.options = options
    if (options.allowGlobalScope) this.scopes.enableGlobalScope()
    Db.register(this)
  }

  /**
   * Adds `db` to the dbs of its registry. The first db of a registry defines Flask-SQLAlchemy's `Model.query` on the
   * registry's classes, once: a query on the session of {@link Db.ofRunningScope}, so a later db never takes it over.
   */
  private static register(db: Db): void {
    const registry = db.registry
    const dbs = DBS_BY_REGISTRY.get(registry)
    if (dbs !== undefined) {
      dbs.push(new WeakRef(db))
      return
    }
    DBS_BY_REGISTRY.set(registry, [new WeakRef(db)])
    for (const modelClass of Object.values(registry.classes)) {
      Object.defineProperty(modelClass, 'query', {
        configurable: true,
        get: () => {
          const owner = Db.ofRunningScope(registry)
          if (owner === undefined) throw NoScopeError.outsideScope()
          return owner.session.query(modelClass as ModelClass<Model>)
        },
      })
    }
  }

  /**
   * The db of `registry` whose scope the caller runs in (the newest such db when scopes of several are nested), else
   * the newest one with a global scope, else the newest one (whose `db.session` then raises `NoScopeError`); undefined
   * once every db of the registry is gone.
   */
  private static ofRunningScope(registry: ModelRegistry): Db | undefined {
    const dbs = liveDbs(registry)
    const inScope = (db: Db): boolean => {
      const scope = db.scopes.find()
      return scope !== undefined && scope !== db.scopes.global
    }
    return dbs.findLast(inScope) ?? dbs.findLast((db) => db.scopes.global !== undefined) ?? dbs.at(-1)
  }

  /** Changes options before first use (Flask-SQLAlchemy's `init_app`). */
  configure(options: DbOptions): void {
    if (this.bindEngines !== undefined) {
      throw ConfigurationError.alreadyStarted()
    }
    this.options = { ...this.options, ...options }
  }

  /** The URL the default engine uses (or will use). */
  get url(): string {
    return this.options.url ?? process.env[this.options.urlVariable ?? 'DATABASE_URL'] ?? DEFAULT_DATABASE_URL
  }

  /** The default database's engine (its primary when it has replicas), created on first access. */
  get engine(): Engine {
    return this.engineFor(null)
  }

  /**
   * The primary engine of every bind, the default one under null (Flask-SQLAlchemy's
   * `db.engines`). Every engine is created on first access of any; none opens a connection yet.
   */
  get engines(): ReadonlyMap<string | null, Engine> {
    return this.startEngines().primaries
  }

  /** The primary engine of bind `bindKey` (null: the default database). */
  engineFor(bindKey: string | null = null): Engine {
    const engine = this.startEngines().primaries.get(bindKey)
    if (engine === undefined) throw ConfigurationError.unknownBind(bindKey!, [], 'db')
    return engine
  }

  /** The read replicas of bind `bindKey` (null: the default database); empty without. */
  replicasFor(bindKey: string | null = null): readonly Engine[] {
    const replicas = this.startEngines().replicas.get(bindKey)
    if (replicas === undefined) throw ConfigurationError.unknownBind(bindKey!, [], 'db')
    return replicas
  }

  private startEngines(): BindEngines {
    if (this.bindEngines === undefined) {
      const engines = new BindEngines(this.bindsConfig(), this.registry)
      if (this.options.recordQueries) for (const engine of engines.all) engine.onStatement((statement) => this.record(statement))
      this.bindEngines = engines
    }
    return this.bindEngines
  }

  private bindsConfig(): BindsConfig {
    return { url: this.url, replicas: this.options.replicas, binds: this.options.binds, engineOptions: this.options }
  }

  /**
   * The current scope's session (Flask-SQLAlchemy's `db.session`): the same Session everywhere in
   * one request or `db.scope()` call, never shared between them. Outside any scope it raises
   * `NoScopeError` unless the global scope was enabled.
   */
  get session(): ScopedSession {
    this.scopedSession ??= new ScopedSession(this.Session, this.scopes)
    return this.scopedSession
  }

  /**
   * Runs `work` in a new scope with its own `db.session`, then closes that session, rolling back
   * what was not committed. With `commit: true` it commits when `work` resolves. While its session
   * holds a connection, `PoolTimeoutError` and `engine.poolStatus()` name it by `owner` when given,
   * else `db.scope() at file:line:column` (of this call) with the `scopeSites` option, else by the
   * name of `work` (`db.scope(nightlyExport)`; `db.scope(bound nightlyExport)` for a bound function,
   * `db.scope()` for an anonymous one).
   * `bind` gives the scope's session another default database, such as a tenant's engine from an
   * `EngineRegistry`: `db.scope(work, { bind: tenants.get(url) })`.
   */
  scope<R>(work: () => R | Promise<R>, options: { commit?: boolean; bind?: BindTarget; owner?: string } = {}): Promise<R> {
    const owner = options.owner ?? (this.options.scopeSites === true ? siteOf(new Error()) : () => `db.scope(${work.name})`)
    return this.session.run(work, { commit: options.commit, owner, bind: options.bind })
  }

  /** Opts in to `db.session` outside any scope, for scripts, REPLs and tests. */
  enableGlobalScope(): void {
    this.scopes.enableGlobalScope()
  }

  /** The row with primary key `key`, or `NotFoundError` (HTTP 404 behind the middleware). */
  getOr404<T extends Model>(modelClass: ModelClass<T>, key: KeyOf<T>, options: GetOptions & { description?: string } = {}): Promise<T> {
    return this.session.getOr404(modelClass, key, options)
  }

  /** The first result of `query`, or `NotFoundError` (HTTP 404). */
  firstOr404<T extends Model>(query: Query<T>, options: { description?: string } = {}): Promise<T> {
    return query.firstOr404(options)
  }

  /** Exactly one result of `query`: `NotFoundError` (HTTP 404) for none or several, as Flask-SQLAlchemy's `one_or_404`. */
  oneOr404<T extends Model>(query: Query<T>, options: { description?: string } = {}): Promise<T> {
    return query.oneOr404(options)
  }

  /** One page of `query` (Flask-SQLAlchemy's `db.paginate`). */
  paginate<T extends Model>(query: Query<T>, options: PaginateOptions = {}): Promise<Pagination<T>> {
    return paginate(query, options)
  }

  /** The statements the current scope ran, when `recordQueries` is on (empty otherwise). */
  getRecordedQueries(): readonly RecordedQuery[] {
    return this.scopes.find()?.queries ?? []
  }

  private record(statement: ExecutedStatement): void {
    const scope = this.scopes.find()
    if (scope === undefined) return
    const endTime = performance.now()
    scope.queries.push({
      statement: statement.sql,
      parameters: statement.parameters,
      startTime: endTime - statement.durationMs,
      endTime,
      duration: statement.durationMs,
      location: callerLocation(),
    })
  }

  /** The session factory bound to the engines: `db.Session()` or `db.Session.begin(fn)`. */
  get Session(): SessionFactory {
    if (this.sessionFactory === undefined) {
      const engines = this.startEngines()
      this.sessionFactory = sessionmaker({
        bind: engines.defaultTarget,
        binds: engines.namedTargets,
        autoflush: this.options.autoflush,
        expireOnCommit: this.options.expireOnCommit,
        nPlusOne: this.options.nPlusOne,
      })
    }
    return this.sessionFactory
  }

  /**
   * Creates the schema's tables, like `prisma db push`: missing tables are created and safe changes
   * applied; a change that would lose data raises `SchemaPushError` and changes nothing unless
   * `force` is set. Each bind's database gets its own models' tables (on the primary; replicas are
   * copies); `bind` selects binds (a key, null for the default, or a list), default all. Binds are
   * pushed one after the other: a failure leaves the ones before it pushed.
   */
  async createAll(options: { force?: boolean; bind?: BindSelection } = {}): Promise<PushResult> {
    let executedSteps = 0
    const warnings: string[] = []
    for (const step of schemaSteps(this.bindsConfig(), this.registry, options.bind)) {
      const result = await pushSchema({ url: step.url, sources: this.registry.schema.sources, force: options.force, externalTables: step.externalTables })
      executedSteps += result.executedSteps
      warnings.push(...result.warnings)
    }
    return { executedSteps, warnings }
  }

  /** Drops the schema's tables (and nothing else), in each selected bind's database (default all; see {@link createAll}). */
  async dropAll(options: { bind?: BindSelection } = {}): Promise<void> {
    for (const step of schemaSteps(this.bindsConfig(), this.registry, options.bind)) {
      await dropSchema({ url: step.url, sources: this.registry.schema.sources, externalTables: step.externalTables })
    }
  }

  /** Closes every pooled connection of every bind; the next use creates fresh engines. */
  async dispose(): Promise<void> {
    const engines = this.bindEngines
    this.bindEngines = undefined
    this.sessionFactory = undefined
    this.scopedSession = undefined
    await Promise.all(engines?.all.map((engine) => engine.dispose()) ?? [])
  }
}

/** Creates the `db` object for a schema's models. Generated `db.ts` calls it. */
export function createDb<M extends Record<string, ModelClass>>(registry: ModelRegistry<M>, options: DbOptions = {}): Db<M> {
  return new Db(registry, options)
}
