/** Create and drop a Prisma schema's tables through Prisma's schema engine (wasm), like `prisma db push`, with no binary download. */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils'
import type { SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg'
import { ConfigurationError, DatabaseError, SchemaPushError } from '../errors.js'
import { isPostgresUrl } from './engine.js'
import { importOptional, POSTGRES_SCHEMA_ENGINE, SQLITE_SCHEMA_ENGINE, type OptionalFeature } from './optional-package.js'

/** One file of a Prisma schema, as the generator embeds it in generated code. */
export interface SchemaSource {
  readonly path: string
  readonly content: string
}

/** What a push did. */
export interface PushResult {
  /** Number of migration steps the engine executed (0 when the database already matched). */
  readonly executedSteps: number
  /** Data-loss warnings the engine raised and that `force: true` accepted. */
  readonly warnings: readonly string[]
}

/**
 * Create or alter tables so the database matches the schema, exactly like `prisma db push` (no binary
 * download). Throws SchemaPushError.dataLoss(warnings, unexecutable) and changes nothing when the push
 * would lose data or has unexecutable steps, unless force is true (unexecutable steps always throw).
 * Engine failures are wrapped with SchemaPushError.engineFailed('createAll', cause).
 *
 * @example
 * ```ts
 * await pushSchema({ url: 'file:./dev.db', sources: [{ path: 'schema.prisma', content: schemaText }] })
 * ```
 */
export async function pushSchema(options: {
  url: string
  sources: readonly SchemaSource[]
  force?: boolean
  /** Tables the schema declares that live in another database (another bind's models): left alone, never created. */
  externalTables?: readonly string[]
}): Promise<PushResult> {
  const force = options.force ?? false
  const provider = providerOfUrl(options.url)
  const sources = withProvider(provider, options.sources)
  const files = toFiles(sources)
  const filters = { externalTables: filterNames(provider, options.externalTables ?? []), externalEnums: [] }
  const output = await withEngine('createAll', options.url, provider, sources, (engine) => engine.schemaPush({ force, schema: { files }, filters }))
  // The engine applies nothing when it reports unexecutable steps (even with force), or warnings without force.
  if (output.unexecutable.length > 0 || (output.warnings.length > 0 && !force)) {
    throw SchemaPushError.dataLoss(output.warnings, output.unexecutable)
  }
  return { executedSteps: output.executedSteps, warnings: output.warnings }
}

/**
 * Drop every table (and on PostgreSQL every enum) the schema declares, and nothing else, through the engine's diff(datamodel -> empty)
 * script run on the database. Missing tables are not an error. Engine failures are wrapped with
 * SchemaPushError.engineFailed('dropAll', cause); a failing drop script throws DatabaseError.
 */
export async function dropSchema(options: {
  url: string
  sources: readonly SchemaSource[]
  /** Tables the schema declares that live in another database (another bind's models): never dropped here. */
  externalTables?: readonly string[]
}): Promise<void> {
  const provider = providerOfUrl(options.url)
  const sources = withProvider(provider, options.sources)
  const connection = await openScriptConnection(provider, options.url)
  if (connection === undefined) return // no database yet, so nothing to drop
  try {
    const existing = await connection.tableNames()
    const existingEnums = await connection.enumNames()
    const files = toFiles(sources)
    const script = await withEngine('dropAll', options.url, provider, sources, async (engine) => {
      // Why two diffs: diff(datamodel -> empty) alone drops every declared table and fails on the first one
      // that is missing. Diffing from the live database instead emits statements only for what exists, in
      // the engine's own order; marking every existing table the schema does not declare as "external"
      // keeps the engine's hands off them. The first diff is only used to learn the declared table names
      // (after @@map) in the engine's own words, so we never parse the Prisma schema ourselves.
      // Enums get the same treatment: one the schema does not declare may be used by a table that stays.
      const dropAll = await diffScript(engine, { tag: 'schemaDatamodel', files }, { tag: 'empty' }, noFilters())
      const declared = declaredNames(dropAll, 'TABLE')
      const declaredEnums = declaredNames(dropAll, 'TYPE')
      const kept = new Set(options.externalTables ?? [])
      const externalTables = existing.filter((name) => !declared.has(name) || kept.has(name))
      const externalEnums = existingEnums.filter((name) => !declaredEnums.has(name))
      if (existing.length === externalTables.length && existingEnums.length === externalEnums.length) return ''
      const live = { tag: 'schemaDatasource', files, configDir: process.cwd() } as const
      return diffScript(engine, live, { tag: 'empty' }, { externalTables: filterNames(provider, externalTables), externalEnums: filterNames(provider, externalEnums) })
    })
    if (script.trim() === '') return
    try {
      await connection.exec(script)
    } catch (cause) {
      throw DatabaseError.fromDriver(cause, script)
    }
  } finally {
    await connection.close()
  }
}

// ---------------------------------------------------------------------------------------------------------
// Providers: everything that differs between databases lives in adapterFactory and openScriptConnection.

/** @internal The databases schemas are pushed to, named as a datasource block's `provider`. */
type Provider = 'sqlite' | 'postgresql'

/** @internal The provider a URL calls for: `file:` is SQLite, `postgres(ql)://` PostgreSQL. */
function providerOfUrl(url: string): Provider {
  if (isPostgresUrl(url)) return 'postgresql'
  if (url.startsWith('file:')) return 'sqlite'
  throw ConfigurationError.unsupportedUrl(url)
}

/** @internal A datasource block's `provider = "..."`: the value is the second group. */
const DATASOURCE_PROVIDER = /(datasource\s+\w+\s*\{[^}]*?\bprovider\s*=\s*")([^"]+)(")/

/** @internal The `provider = "..."` of the sources' datasource block. */
function providerOf(sources: readonly SchemaSource[]): string {
  for (const source of sources) {
    const match = DATASOURCE_PROVIDER.exec(source.content)
    if (match) return match[2]
  }
  throw ConfigurationError.badOption('sources', sources.map((source) => source.path), 'Prisma schema files with a datasource block that names its provider')
}

/**
 * @internal The sources with `provider` in their datasource block. Models are portable between
 * databases (the runtime compiles per dialect), so the same schema creates its tables on SQLite and on
 * PostgreSQL; a schema using one database's native types fails validation for the other, with Prisma's
 * own message.
 */
function withProvider(provider: Provider, sources: readonly SchemaSource[]): readonly SchemaSource[] {
  const retargeted =
    providerOf(sources) === provider ? sources : sources.map((source) => ({ path: source.path, content: source.content.replace(DATASOURCE_PROVIDER, `$1${provider}$3`) }))
  return provider === 'sqlite' ? withoutJsonDefaults(retargeted) : retargeted
}

/** @internal A `Json` field's line with a constant `@default("...")`: the attribute is the second group. */
const JSON_DEFAULT = /^(\s*\w+\s+Json\??\s[^\n]*?)(\s*@default\(\s*"(?:[^"\\\n]|\\.)*"\s*\))/gm

/**
 * @internal On SQLite, Prisma's schema engine writes a `Json` field's `@default("{...}")` into the
 * CREATE TABLE unquoted (`DEFAULT {"a": 1}`), which SQLite rejects ("unrecognized token"; prisma/orm#26571,
 * `prisma db push` fails the same way). Such defaults are left out of the tables: the runtime writes the
 * default itself on every INSERT, as PrismaClient does (it sends constant defaults with the row), so rows
 * get it either way; only SQL that inserts rows by hand no longer does.
 */
function withoutJsonDefaults(sources: readonly SchemaSource[]): readonly SchemaSource[] {
  return sources.map((source) => ({ path: source.path, content: source.content.replace(JSON_DEFAULT, '$1') }))
}

/** @internal The optional packages createAll/dropAll load on `provider`, as their missing-package error names them. */
function schemaEngineFeature(provider: Provider): OptionalFeature {
  return provider === 'sqlite' ? SQLITE_SCHEMA_ENGINE : POSTGRES_SCHEMA_ENGINE
}

/**
 * @internal The driver-adapter factory the engine connects through, chosen by provider, imported on
 * first use (optional packages), so applications on SQLite never load pg and the reverse.
 */
async function adapterFactory(provider: Provider, url: string): Promise<SqlMigrationAwareDriverAdapterFactory> {
  const feature = schemaEngineFeature(provider)
  switch (provider) {
    case 'sqlite':
      return new (await importOptional(feature, () => import('@prisma/adapter-better-sqlite3'))).PrismaBetterSqlite3({ url })
    case 'postgresql':
      return (await importOptional(feature, () => import('./postgres-schema.js'))).postgresSchemaAdapterFactory(url)
  }
}

/** @internal The schema the engine works in on PostgreSQL: adapter-pg reports none to it, so it takes its default. */
const POSTGRES_SCHEMA = 'public'

/** @internal Table and enum names as the engine's filters take them: on PostgreSQL qualified with the schema (it refuses bare names, P3023). */
function filterNames(provider: Provider, names: readonly string[]): string[] {
  return provider === 'postgresql' ? names.map((name) => `${POSTGRES_SCHEMA}.${name}`) : [...names]
}

/** @internal A plain connection that lists tables and enums and runs a multi-statement script. */
export interface ScriptConnection {
  tableNames(): string[] | Promise<string[]>
  /** Enum types (PostgreSQL's; SQLite has none). */
  enumNames(): string[] | Promise<string[]>
  exec(script: string): void | Promise<void>
  close(): void | Promise<void>
}

/**
 * @internal Open a plain connection for dropSchema, or undefined when the database does not exist.
 * SQLite scripts carry `PRAGMA foreign_keys=off`, which only takes effect outside a transaction, so they
 * run through better-sqlite3's `exec` (no implicit transaction) on a connection of their own.
 */
async function openScriptConnection(provider: Provider, url: string): Promise<ScriptConnection | undefined> {
  switch (provider) {
    case 'sqlite': {
      const file = url.slice('file:'.length) // the adapter strips `file:` the same way
      if (file !== ':memory:' && !existsSync(file)) return undefined
      const { default: BetterSqlite3 } = await importOptional(schemaEngineFeature(provider), () => import('better-sqlite3'))
      const db = new BetterSqlite3(file)
      return {
        tableNames: () =>
          db
            .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
            .all()
            .map((row) => row.name),
        enumNames: () => [],
        exec: (script) => void db.exec(script),
        close: () => void db.close(),
      }
    }
    case 'postgresql':
      return (await importOptional(schemaEngineFeature(provider), () => import('./postgres-schema.js'))).openPostgresScriptConnection(url)
  }
}

// ---------------------------------------------------------------------------------------------------------
// Engine plumbing.

type WasmBindings = typeof import('@prisma/schema-engine-wasm/schema_engine_bg')

/** @internal The one WebAssembly call we need; the project's libs (ES2023 + @types/node 20) do not declare it. */
declare const WebAssembly: {
  instantiate(binary: Uint8Array, imports: Record<string, object>): Promise<{ instance: { exports: Record<string, unknown> } }>
}
type DiffTarget = Parameters<SchemaEngine['diff']>[0]['from']

let wasmReady: Promise<WasmBindings> | undefined

/**
 * @internal The engine arms 60 s timers (connection timeouts) that outlive every call and would keep a
 * script alive after `createAll()`; hand the wasm a `setTimeout` whose timers do not hold the event loop.
 */
function withUnrefTimers(bindings: WasmBindings): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...bindings }
  for (const [name, fn] of Object.entries(bindings)) {
    if (name.startsWith('__wbg_setTimeout_') && typeof fn === 'function') {
      imports[name] = (...args: unknown[]) => {
        const timer = (fn as (...a: unknown[]) => unknown)(...args)
        ;(timer as { unref?: () => void } | undefined)?.unref?.()
        return timer
      }
    }
  }
  return imports
}

/** @internal Operations waiting on the engine: a panic fails them all (the trap itself never reaches their promises). */
const panicListeners = new Set<(message: string) => void>()

/**
 * @internal The wasm glue reports a Rust panic's message to `globalThis.PRISMA_WASM_PANIC_REGISTRY`
 * before trapping; Prisma's CLI defines it. Without it the glue throws a TypeError inside the panic
 * hook and the engine's promise never settles, so a panic would hang the caller.
 */
function installPanicRegistry(): void {
  const global = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(message: string): void } }
  global.PRISMA_WASM_PANIC_REGISTRY ??= {
    set_message: (message) => {
      // The instance is unusable after a panic: the next operation instantiates a fresh one.
      wasmReady = undefined
      for (const listener of panicListeners) listener(message)
    },
  }
}

/**
 * @internal Instantiate the engine's wasm once per process. The package's own entry does
 * `import * as wasm from "./schema_engine_bg.wasm"`, which plain Node cannot load, so we instantiate the
 * binary ourselves against its only import module, the JS glue `./schema_engine_bg.js`.
 */
function loadWasm(wasmBindings: WasmBindings): Promise<WasmBindings> {
  wasmReady ??= (async () => {
    installPanicRegistry()
    const glue = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg')
    const binary = readFileSync(glue.replace(/\.js$/, '.wasm'))
    const imports = { './schema_engine_bg.js': withUnrefTimers(wasmBindings) }
    const { instance } = await WebAssembly.instantiate(binary, imports)
    wasmBindings.__wbg_set_wasm(instance.exports)
    ;(instance.exports.__wbindgen_start as () => void)()
    return wasmBindings
  })()
  wasmReady.catch(() => {
    wasmReady = undefined // let a later call retry
  })
  return wasmReady
}

/**
 * @internal Run `use` with a fresh engine connected to `url`, then free the engine and dispose every
 * adapter connection it opened (freeing the engine does not close them). Anything the engine throws is
 * wrapped as SchemaPushError.engineFailed(operation, cause).
 */
async function withEngine<T>(
  operation: string,
  url: string,
  provider: Provider,
  sources: readonly SchemaSource[],
  use: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  // Imported before the engine runs, so that a missing package is reported as such, not as an engine failure.
  const wasmBindings = await importOptional(schemaEngineFeature(provider), () => import('@prisma/schema-engine-wasm/schema_engine_bg'))
  const factory = await adapterFactory(provider, url)
  const opened: SqlDriverAdapter[] = []
  const remember = (adapter: SqlDriverAdapter): SqlDriverAdapter => (opened.push(adapter), adapter)
  const tracking: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => remember(await factory.connect()),
    connectToShadowDb: async () => remember(await factory.connectToShadowDb()),
  }
  let engine: SchemaEngine | undefined
  try {
    const bindings = await loadWasm(wasmBindings)
    const datamodels = sources.map((source): [string, string] => [source.path, source.content])
    // The log callback receives the engine's JSON tracing lines; they are dropped so nothing reaches stdout.
    engine = await bindings.SchemaEngine.new({ datamodels }, ignoreLog, bindMigrationAwareSqlAdapterFactory(tracking))
    const ready = engine
    return await new Promise<T>((resolve, reject) => {
      const onPanic = (message: string): void => reject(new Error(`the schema engine panicked: ${message}`))
      panicListeners.add(onPanic)
      use(ready)
        .then(resolve, reject)
        .finally(() => panicListeners.delete(onPanic))
    })
  } catch (cause) {
    throw SchemaPushError.engineFailed(operation, cause)
  } finally {
    engine?.free()
    await Promise.allSettled(opened.map((adapter) => adapter.dispose()))
  }
}

/** @internal The engine's SQL script taking the schema from `from` to `to`. */
async function diffScript(engine: SchemaEngine, from: DiffTarget, to: DiffTarget, filters: SchemaFilter): Promise<string> {
  const result = await engine.diff({ from, to, script: true, exitCode: null, filters })
  return result.stdout ?? ''
}

/** @internal Table (or enum type) names in a drop script: `DROP TABLE "name"` or `DROP TYPE "schema"."name"`. */
function declaredNames(dropScript: string, kind: 'TABLE' | 'TYPE'): Set<string> {
  const names = new Set<string>()
  for (const match of dropScript.matchAll(new RegExp(`DROP ${kind} (?:"(?:[^"]|"")+"\\.)?"((?:[^"]|"")+)"`, 'g'))) {
    names.add(match[1].replaceAll('""', '"'))
  }
  return names
}

function toFiles(sources: readonly SchemaSource[]): { path: string; content: string }[] {
  return sources.map((source) => ({ path: source.path, content: source.content }))
}

function noFilters(): SchemaFilter {
  return { externalTables: [], externalEnums: [] }
}

function ignoreLog(): void {}
