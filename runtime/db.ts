/** createDb(): the Flask-SQLAlchemy-style `db` object bound to one schema's models: engine, sessions, createAll/dropAll. */
import { createEngine, type Engine, type EngineOptions } from './engine/engine.js'
import { dropSchema, pushSchema, type PushResult } from './engine/schema-engine.js'
import { ConfigurationError } from './errors.js'
import type { ModelClass } from './orm/model.js'
import type { ModelRegistry } from './orm/registry.js'
import { sessionmaker, type SessionFactory } from './orm/sessionmaker.js'

/** Options of {@link createDb}: the database URL, engine options and session defaults. */
export interface DbOptions extends EngineOptions {
  /** Database URL; default `DATABASE_URL` from the environment, else `file:./dev.db`. */
  readonly url?: string
  /** Session default: flush before queries (default true). */
  readonly autoflush?: boolean
  /** Session default: mark objects stale after commit (default true). */
  readonly expireOnCommit?: boolean
}

/** The default database when neither the options nor the environment name one. */
export const DEFAULT_DATABASE_URL = 'file:./dev.db'

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
  private engineInstance: Engine | undefined
  private sessionFactory: SessionFactory | undefined

  /** @internal Use {@link createDb}. */
  constructor(registry: ModelRegistry<M>, options: DbOptions) {
    this.registry = registry
    this.models = registry.classes
    this.options = options
  }

  /** Changes options before first use (Flask-SQLAlchemy's `init_app`). */
  configure(options: DbOptions): void {
    if (this.engineInstance !== undefined) {
      throw ConfigurationError.alreadyStarted()
    }
    this.options = { ...this.options, ...options }
  }

  /** The URL the engine uses (or will use). */
  get url(): string {
    return this.options.url ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL
  }

  /** The engine, created on first access. */
  get engine(): Engine {
    this.engineInstance ??= createEngine(this.url, this.options)
    return this.engineInstance
  }

  /** The session factory bound to the engine: `db.Session()` or `db.Session.begin(fn)`. */
  get Session(): SessionFactory {
    this.sessionFactory ??= sessionmaker({
      bind: this.engine,
      autoflush: this.options.autoflush,
      expireOnCommit: this.options.expireOnCommit,
    })
    return this.sessionFactory
  }

  /**
   * Creates the schema's tables, like `prisma db push`: missing tables are created and safe changes
   * applied; a change that would lose data raises `SchemaPushError` and changes nothing unless
   * `force` is set.
   */
  createAll(options: { force?: boolean } = {}): Promise<PushResult> {
    return pushSchema({ url: this.url, sources: this.registry.schema.sources, force: options.force })
  }

  /** Drops the schema's tables (and nothing else). */
  dropAll(): Promise<void> {
    return dropSchema({ url: this.url, sources: this.registry.schema.sources })
  }

  /** Closes every pooled connection; the next use creates a fresh engine. */
  async dispose(): Promise<void> {
    const engine = this.engineInstance
    this.engineInstance = undefined
    this.sessionFactory = undefined
    await engine?.dispose()
  }
}

/** Creates the `db` object for a schema's models. Generated `db.ts` calls it. */
export function createDb<M extends Record<string, ModelClass>>(registry: ModelRegistry<M>, options: DbOptions = {}): Db<M> {
  return new Db(registry, options)
}
