/** Routing: which engine runs a statement, from the model's bind (`/// @bind(key)`) and, for reads, the bind's replicas. */
import type { Dialect } from '../dialect/dialect.js'
import type { IsolationLevel } from '../engine/driver.js'
import type { Engine } from '../engine/engine.js'
import { ConfigurationError } from '../errors.js'
import type { DefaultCompiler } from '../sql/compiler.js'
import type { Mapper } from './mapper.js'

/** A database with read replicas: writes go to `primary`; a session's reads may go to one of `replicas`. */
export interface ReplicatedEngine {
  readonly primary: Engine
  readonly replicas: readonly Engine[]
}

/** What a session binds a database to: an engine, or a primary engine with its read replicas. */
export type BindTarget = Engine | ReplicatedEngine

/** How long a replica that could not be reached is skipped by every session, its reads going to the primary. */
export const REPLICA_RETRY_MS = 10_000

/** When each replica that could not be reached may be tried again (epoch milliseconds). Shared by every session. */
const replicaDownUntil = new WeakMap<Engine, number>()

/** Remembers that `replica` could not be reached: sessions skip it for {@link REPLICA_RETRY_MS}. */
function markReplicaDown(replica: Engine): void {
  replicaDownUntil.set(replica, Date.now() + REPLICA_RETRY_MS)
}

function isDown(replica: Engine, now: number): boolean {
  const until = replicaDownUntil.get(replica)
  return until !== undefined && until > now
}

/**
 * Where the round-robin over a primary's replicas continues for the next session, per primary:
 * routes are cached per target object, and a session given a fresh `{ primary, replicas }` literal
 * gets a fresh route, which must not restart at the first replica.
 */
const replicaCursors = new WeakMap<Engine, number>()

const compilers = new WeakMap<Engine, DefaultCompiler>()

/** One compiler per engine: compiling is synchronous, so sharing is safe. */
function compilerFor(engine: Engine): DefaultCompiler {
  let compiler = compilers.get(engine)
  if (compiler === undefined) {
    compiler = engine.dialect.createCompiler()
    compilers.set(engine, compiler)
  }
  return compiler
}

/**
 * One bind of a session: its key, its engines, and the compiler and dialect of its statements
 * (replicas must speak the primary's dialect, so one compiler serves both).
 */
export class BindRoute {
  readonly primary: Engine
  readonly replicas: readonly Engine[]
  readonly dialect: Dialect
  readonly compiler: DefaultCompiler

  constructor(
    /** The bind key; null for the default database. */
    readonly key: string | null,
    /** Position in flush and commit order: the default bind first, then the others by key. */
    readonly rank: number,
    target: BindTarget,
  ) {
    this.primary = 'primary' in target ? target.primary : target
    this.replicas = 'primary' in target ? [...target.replicas] : []
    this.dialect = this.primary.dialect
    this.compiler = compilerFor(this.primary)
    for (const replica of this.replicas) {
      if (replica.dialect !== this.dialect) throw ConfigurationError.replicaDialect(describeBind(key), this.dialect.name, replica.dialect.name)
    }
  }

  /**
   * The replica a session reads this bind from: the next one round-robin that was not found
   * unreachable lately, or the primary when there is none.
   */
  pickReplica(): Engine {
    const count = this.replicas.length
    const now = Date.now()
    const cursor = replicaCursors.get(this.primary) ?? 0
    for (let i = 0; i < count; i++) {
      const index = (cursor + i) % count
      const replica = this.replicas[index]
      if (isDown(replica, now)) continue
      replicaCursors.set(this.primary, (index + 1) % count)
      return replica
    }
    return this.primary
  }
}

/** How a bind reads in messages: `the default bind` or `bind "analytics"`. */
export function describeBind(key: string | null): string {
  return key === null ? 'the default bind' : `bind "${key}"`
}

/** Routes of default targets, cached per target so a session over a plain engine allocates nothing. */
const defaultRoutes = new WeakMap<BindTarget, BindRoute>()
/** Routes of named binds, cached per `binds` object (a session factory passes the same one to every session). */
const namedRoutes = new WeakMap<object, ReadonlyMap<string, BindRoute>>()

/** The route of a session's default bind. */
function defaultRoute(target: BindTarget): BindRoute {
  let route = defaultRoutes.get(target)
  if (route === undefined) {
    route = new BindRoute(null, 0, target)
    defaultRoutes.set(target, route)
  }
  return route
}

/** The routes of a session's named binds, ranked by key after the default bind. */
function routesOf(binds: Readonly<Record<string, BindTarget>>): ReadonlyMap<string, BindRoute> {
  let routes = namedRoutes.get(binds)
  if (routes === undefined) {
    const keys = Object.keys(binds).sort()
    routes = new Map(keys.map((key, i) => [key, new BindRoute(key, i + 1, binds[key])]))
    namedRoutes.set(binds, routes)
  }
  return routes
}

/**
 * A session's routing: the bind of each model, and for a bind with replicas whether the session
 * reads from its replica (chosen on first read) or from the primary (forced, serializable, or after
 * the session's first flush, until `close()`).
 */
export class SessionRouting {
  /** The default bind's engines. */
  readonly defaultRoute: BindRoute
  /** The other binds by key; null when the session has none. */
  private readonly named: ReadonlyMap<string, BindRoute> | null
  /** Reads go to the primaries: forced, or after the first flush (read-your-writes). */
  private pinned: boolean
  /** Queries running with `usePrimary()` right now. */
  private primaryQueries = 0
  /** The engine the session reads each replicated bind from, chosen on its first read. */
  private replicaChoice: Map<BindRoute, Engine> | null = null

  constructor(
    bind: BindTarget,
    binds: Readonly<Record<string, BindTarget>> | undefined,
    /** The session option `primary`: reads start (and restart after `reset()`) on the primaries. */
    private readonly primaryOption: boolean,
    /** The session's isolation level, over each engine's own: `SERIALIZABLE` reads on the primaries (see {@link readEngine}). */
    private readonly isolationLevel?: IsolationLevel,
  ) {
    this.defaultRoute = defaultRoute(bind)
    this.named = binds === undefined ? null : routesOf(binds)
    this.pinned = primaryOption
  }

  /** The bind a model's statements go to: its `/// @bind(key)`, or the default. */
  routeOf(mapper: Mapper): BindRoute {
    const key = mapper.bindKey
    if (key === null) return this.defaultRoute
    const route = this.named?.get(key)
    if (route === undefined) throw ConfigurationError.unknownBind(key, [mapper.name], 'session')
    return route
  }

  /** Every bind, in flush and commit order: the default first, then the others by key. */
  routes(): readonly BindRoute[] {
    return this.named === null ? [this.defaultRoute] : [this.defaultRoute, ...this.named.values()]
  }

  /**
   * The engine a read of `route`'s bind runs on: the primary when pinned or without replicas, else
   * the session's replica, unless the read would be `SERIALIZABLE` there (the session's level, or
   * the replica engine's own): a replica's separate transaction cannot be serializable with the
   * session's writes on the primary, and a PostgreSQL hot standby refuses the level outright
   * ("cannot use serializable mode in a hot standby"), so such sessions read on the primary.
   */
  readEngine(route: BindRoute): Engine {
    if (route.replicas.length === 0 || this.pinned || this.primaryQueries > 0) return route.primary
    this.replicaChoice ??= new Map()
    let chosen = this.replicaChoice.get(route)
    if (chosen === undefined) {
      chosen = route.pickReplica()
      if ((this.isolationLevel ?? chosen.isolationLevel) === 'SERIALIZABLE') chosen = route.primary
      this.replicaChoice.set(route, chosen)
    }
    return chosen
  }

  /** `replica` could not be reached: every session skips it for a while, and this one reads `route` from the primary. */
  unreachable(route: BindRoute, replica: Engine): void {
    markReplicaDown(replica)
    this.replicaChoice?.set(route, route.primary)
  }

  /** Sends reads to the primaries until {@link reset}. */
  pin(): void {
    this.pinned = true
  }

  /** Runs `work` with reads on the primaries. */
  async onPrimary<R>(work: () => Promise<R>): Promise<R> {
    this.primaryQueries++
    try {
      return await work()
    } finally {
      this.primaryQueries--
    }
  }

  /** Back to the session's start (`close()`): replicas chosen again, pinned only by the `primary` option. */
  reset(): void {
    this.pinned = this.primaryOption
    this.replicaChoice = null
  }
}
