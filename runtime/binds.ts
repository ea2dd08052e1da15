/** The db object's databases by bind key (Flask-SQLAlchemy's `SQLALCHEMY_BINDS`): URLs to engines, replicas, and each database's tables. */
import { createEngine, type Engine, type EngineOptions } from './engine/engine.js'
import { ConfigurationError } from './errors.js'
import type { ModelRegistry } from './orm/registry.js'
import type { BindTarget } from './orm/routing.js'

/** One bind given as an object: its URL, its read replicas, and engine options overriding the db's. */
export interface BindOptions extends EngineOptions {
  /** The database URL. */
  readonly url: string
  /** URLs of read replicas: sessions read from one of them until they write. */
  readonly replicas?: readonly string[] | undefined
}

/** What `binds` maps a bind key to: a database URL, or {@link BindOptions}. */
export type BindConfig = string | BindOptions

/** The db's database configuration: the default database and the named binds. */
export interface BindsConfig {
  /** URL of the default database (models without `/// @bind`). */
  readonly url: string
  /** Read replicas of the default database. */
  readonly replicas?: readonly string[] | undefined
  /** The other databases, by bind key. */
  readonly binds?: Readonly<Record<string, BindConfig>> | undefined
  /** Engine options every engine gets unless its bind overrides them. */
  readonly engineOptions: EngineOptions
}

/** One bind resolved: its URL and engine options, and its replicas' URLs. */
interface ResolvedBind {
  readonly url: string
  readonly replicas: readonly string[]
  readonly options: EngineOptions
}

/** One `createAll()`/`dropAll()` step: a database URL, and the tables of the schema it must leave alone. */
export interface SchemaStep {
  readonly url: string
  /** Tables of the models in other databases (or binds not selected): neither created nor dropped here. */
  readonly externalTables: readonly string[]
}

/** Which binds `createAll({ bind })` or `dropAll({ bind })` selects: one key (null: the default), several, or all when omitted. */
export type BindSelection = string | null | readonly (string | null)[]

function resolve(config: BindsConfig): Map<string | null, ResolvedBind> {
  const resolved = new Map<string | null, ResolvedBind>([[null, { url: config.url, replicas: config.replicas ?? [], options: config.engineOptions }]])
  for (const [key, bind] of Object.entries(config.binds ?? {})) {
    if (typeof bind === 'string') resolved.set(key, { url: bind, replicas: [], options: config.engineOptions })
    else {
      const { url, replicas, ...options } = bind
      if (typeof url !== 'string' || url === '') throw ConfigurationError.badOption(`binds.${key}.url`, url, 'a database URL')
      resolved.set(key, { url, replicas: replicas ?? [], options: { ...config.engineOptions, ...options } })
    }
  }
  return resolved
}

/** Refuses a registry whose models use a bind key the configuration does not name. */
function checkConfigured(registry: ModelRegistry, configured: ReadonlyMap<string | null, ResolvedBind>): void {
  for (const key of registry.tablesByBind.keys()) {
    if (key === null || configured.has(key)) continue
    const models = [...registry.mappers.values()].filter((mapper) => mapper.bindKey === key).map((mapper) => mapper.name)
    throw ConfigurationError.unknownBind(key, models, 'db')
  }
}

/**
 * The engines of a db object: per bind key (null for the default database) a primary engine and
 * its replicas. Binds with the same URL share one engine (with SQLite, two engines on one file
 * would each hold their own write lock and wait for each other). No connection opens until a
 * session needs one.
 */
export class BindEngines {
  /** The primary engine of each bind, the default one under null. */
  readonly primaries: ReadonlyMap<string | null, Engine>
  /** The read replicas of each bind (empty without). */
  readonly replicas: ReadonlyMap<string | null, readonly Engine[]>
  /** Every engine once: primaries, then replicas. */
  readonly all: readonly Engine[]
  /** What sessions bind the default database to: its engine, or its primary and replicas. */
  readonly defaultTarget: BindTarget
  /** What sessions bind the named binds to, by key; undefined when there are none. */
  readonly namedTargets: Readonly<Record<string, BindTarget>> | undefined

  constructor(config: BindsConfig, registry: ModelRegistry) {
    const binds = resolve(config)
    checkConfigured(registry, binds)
    const byUrl = new Map<string, Engine>()
    const replicasByUrl = new Map<string, Engine>()
    const engineAt = (cache: Map<string, Engine>, url: string, options: EngineOptions): Engine => {
      let engine = cache.get(url)
      if (engine === undefined) {
        engine = createEngine(url, options)
        cache.set(url, engine)
      }
      return engine
    }
    const primaries = new Map<string | null, Engine>()
    const replicas = new Map<string | null, readonly Engine[]>()
    const targets = new Map<string | null, BindTarget>()
    for (const [key, bind] of binds) {
      const primary = engineAt(byUrl, bind.url, bind.options)
      const copies = bind.replicas.map((url) => engineAt(replicasByUrl, url, bind.options))
      primaries.set(key, primary)
      replicas.set(key, copies)
      targets.set(key, copies.length === 0 ? primary : { primary, replicas: copies })
    }
    this.primaries = primaries
    this.replicas = replicas
    this.all = [...byUrl.values(), ...replicasByUrl.values()]
    this.defaultTarget = targets.get(null)!
    const named = [...targets].filter((entry): entry is [string, BindTarget] => entry[0] !== null)
    this.namedTargets = named.length === 0 ? undefined : Object.fromEntries(named)
  }
}

/**
 * The steps of `createAll()` / `dropAll()` for the selected binds: one per database URL, each
 * leaving alone the tables of every model not in a selected bind at that URL.
 */
export function schemaSteps(config: BindsConfig, registry: ModelRegistry, selection: BindSelection | undefined): SchemaStep[] {
  const binds = resolve(config)
  checkConfigured(registry, binds)
  const selected = selection === undefined ? [...binds.keys()] : Array.isArray(selection) ? selection : [selection as string | null]
  const keysByUrl = new Map<string, Set<string | null>>()
  for (const key of selected) {
    const bind = binds.get(key)
    if (bind === undefined) throw ConfigurationError.unknownBind(key!, [], 'db')
    keysByUrl.set(bind.url, (keysByUrl.get(bind.url) ?? new Set()).add(key))
  }
  return [...keysByUrl].map(([url, keys]) => {
    const own = new Set([...keys].flatMap((key) => registry.tablesByBind.get(key) ?? []))
    const externalTables = [...registry.tablesByBind.values()].flat().filter((table) => !own.has(table))
    return { url, externalTables: [...new Set(externalTables)] }
  })
}
