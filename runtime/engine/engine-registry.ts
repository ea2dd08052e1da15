/** EngineRegistry: engines keyed by database URL, least recently used evicted past a cap, one connection budget across them (database-per-tenant). */
import { LRUCache } from 'lru-cache'
import { ConfigurationError } from '../errors.js'
import { ConnectionBudget, type BudgetStatus } from './connection-budget.js'
import type { DisposeOptions } from './driver.js'
import { createEngine, type Engine, type EngineOptions } from './engine.js'

/** Options of {@link EngineRegistry}: its two limits, and the engine options every engine it creates gets. */
export interface EngineRegistryOptions extends Omit<EngineOptions, 'connectionBudget'> {
  /** Engines kept at once; getting one more evicts the least recently used. Default 32. */
  readonly maxEngines?: number | undefined
  /**
   * Connections open at once across all of the registry's engines, evicted ones still draining
   * included (with SQLite, also the most database files open at once). Default 64. It bounds
   * SQLite engines; PostgreSQL engines do not draw on it yet and keep only their own pool limits.
   */
  readonly maxConnections?: number | undefined
}

/** Figures of an {@link EngineRegistry}; the counters run from its creation. */
export interface EngineRegistryStats {
  /** Engines in the registry now (at most `maxEngines`). */
  readonly engines: number
  /** Evicted engines whose checked-out connections have not all come back yet. */
  readonly draining: number
  /** Engines created. */
  readonly created: number
  /** Engines evicted to make room. */
  readonly evicted: number
  /** Evicted engines taken back, still draining, because their URL was asked for again. */
  readonly revived: number
  /** Evicted engines finished: every connection closed, the engine forgotten. */
  readonly disposed: number
  /** Open connections across the engines, the budget, and checkouts waiting for room. */
  readonly connections: BudgetStatus
}

/** One eviction of an engine; a revival ends it, and a later eviction makes a new one. */
interface Draining {
  readonly engine: Engine
}

/**
 * Engines keyed by database URL, for database-per-tenant: `get(url)` returns the URL's engine,
 * creating it on first use, and keeps at most `maxEngines` of them, evicting the least recently
 * used (an `lru-cache`). All of them draw on one {@link ConnectionBudget} of `maxConnections`, so
 * however many tenants come and go, the process never holds more connections (for SQLite: open
 * database files) than that.
 *
 * Eviction never breaks a session: an evicted engine is disposed at once in SQLAlchemy's sense
 * (`engine.dispose({ wait: true })`): its idle connections close, the connections sessions hold
 * keep working and are closed when they come back, and the engine is forgotten once none is out.
 * Until then it is *draining*, and `get()` of its URL takes it back instead of opening a second
 * engine on the same database (with SQLite, one engine per file keeps one in-process write lock
 * per file). A session that starts a new transaction on its engine after that still works; the
 * connection it opens counts against the budget, which closes it when the room is needed, and at
 * the latest at {@link dispose}.
 *
 * URLs are keys as given: `file:./a.db` and `file:a.db` are two engines on one file, so normalise
 * them first. The registry does not create tables: provision a tenant's database before its first
 * session (for SQLite, copying a template file is the fastest way).
 *
 * ### Examples
 * ```ts
 * const tenants = new EngineRegistry({ maxEngines: 32, maxConnections: 64, poolSize: 2 })
 * const session = new Session({ bind: tenants.get(`file:./tenants/${tenantId}.db`) })
 * // or a scope: await db.scope(async () => { ... db.session ... }, { bind: tenants.get(url) })
 * await tenants.dispose()   // at shutdown
 * ```
 */
export class EngineRegistry {
  /** Engines kept at once. */
  readonly maxEngines: number
  /** Connections open at once across the registry's engines. */
  readonly maxConnections: number
  private readonly budget: ConnectionBudget
  private readonly engineOptions: EngineOptions
  private readonly engines: LRUCache<string, Engine>
  private readonly draining = new Map<string, Draining>()
  /** The first failure closing an evicted engine's connections, raised by the next {@link dispose}. */
  private failure: { readonly error: unknown } | undefined
  private created = 0
  private evicted = 0
  private revived = 0
  private disposed = 0

  constructor(options: EngineRegistryOptions = {}) {
    const { maxEngines = 32, maxConnections = 64, ...engineOptions } = options
    if (!Number.isInteger(maxEngines) || maxEngines < 1) throw ConfigurationError.badOption('maxEngines', maxEngines, 'an integer >= 1')
    this.maxEngines = maxEngines
    this.maxConnections = maxConnections
    this.budget = new ConnectionBudget(maxConnections)
    this.engineOptions = { ...engineOptions, connectionBudget: this.budget }
    this.engines = new LRUCache<string, Engine>({
      max: maxEngines,
      // Only evictions retire an engine; dispose() and clear() handle the engines they remove themselves.
      dispose: (engine, url, reason) => {
        if (reason === 'evict') this.retire(url, engine)
      },
    })
  }

  /** Engines in the registry now (draining ones not counted). */
  get size(): number {
    return this.engines.size
  }

  /**
   * The engine of `url`, created with the registry's engine options on first use (or taken back
   * while it drains after an eviction), and marked most recently used. Creating one past
   * `maxEngines` evicts the least recently used engine. Creating opens no connection.
   */
  get(url: string): Engine {
    const live = this.engines.get(url)
    if (live !== undefined) return live
    const draining = this.draining.get(url)
    let engine: Engine
    if (draining === undefined) {
      engine = createEngine(url, this.engineOptions)
      this.created++
    } else {
      this.draining.delete(url)
      this.revived++
      engine = draining.engine
    }
    this.engines.set(url, engine)
    return engine
  }

  /** Current figures. */
  stats(): EngineRegistryStats {
    return {
      engines: this.engines.size,
      draining: this.draining.size,
      created: this.created,
      evicted: this.evicted,
      revived: this.revived,
      disposed: this.disposed,
      connections: this.budget.status(),
    }
  }

  /**
   * Disposes every engine, draining ones included, and forgets them: idle connections close now,
   * checked-out ones when they come back (with `wait`, this resolves only then), and idle
   * connections that sessions opened on engines the registry had already forgotten close too.
   * The registry stays usable and creates fresh engines afterwards. Raises the first failure to
   * close an evicted engine's connections since the last call, if any.
   */
  async dispose(options?: DisposeOptions): Promise<void> {
    const engines = [...this.engines.values(), ...[...this.draining.values()].map((draining) => draining.engine)]
    this.engines.clear()
    this.draining.clear()
    await Promise.all(engines.map((engine) => engine.dispose(options)))
    await this.budget.closeIdle()
    const failure = this.failure
    this.failure = undefined
    if (failure !== undefined) throw failure.error
  }

  /** Starts draining an evicted engine. */
  private retire(url: string, engine: Engine): void {
    this.evicted++
    const draining: Draining = { engine }
    this.draining.set(url, draining)
    void this.drain(url, draining)
  }

  /**
   * Disposes the engine, waiting for the connections that were out, and again as long as sessions
   * checked out more in the meantime (a session made just before the eviction runs its first
   * statement after it); then forgets it, unless `get()` took it back or `dispose()` cleared it.
   */
  private async drain(url: string, draining: Draining): Promise<void> {
    const { engine } = draining
    try {
      for (;;) {
        await engine.dispose({ wait: true })
        if (this.draining.get(url) !== draining) return
        const { checkedOut, waiting } = engine.poolStatus()
        if (checkedOut + waiting === 0) break
      }
      this.disposed++
    } catch (error) {
      this.failure ??= { error }
    }
    if (this.draining.get(url) === draining) this.draining.delete(url)
  }
}
