/** Create and drop a Prisma schema's tables like `prisma db push`, with no binary download: through Prisma's schema engine (wasm), or the DDL a database renders itself where the engine has no connector. */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils'
import type { SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg'
import type { SchemaEnginePush, SchemaPushSupport } from '../databases/database-definition.js'
import { databaseOf } from '../databases/registry.js'
import { ConfigurationError, DatabaseError, SchemaPushError } from '../errors.js'
import { importOptional } from './optional-package.js'
import type { PushResult, SchemaSource } from './schema-push.js'

export type { PushResult, SchemaSource } from './schema-push.js'

/**
 * Create or alter tables so the database matches the schema, exactly like `prisma db push` (no binary
 * download). Throws SchemaPushError.dataLoss(warnings, unexecutable) and changes nothing when the push
 * would lose data or has unexecutable steps, unless force is true (unexecutable steps always throw).
 * Engine failures are wrapped with SchemaPushError.engineFailed('createAll', cause).
 *
 * A database Prisma's wasm engine has no connector for (MySQL) renders Prisma's DDL itself
 * (a `RenderedSchemaPush`): it creates the missing tables exactly as `prisma db push` would, and throws
 * SchemaPushError.existingTablesDiffer, changing nothing, when a table that exists differs from the schema.
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
  const target = databaseOf(options.url).schemaPush
  const sources = withProvider(target, options.sources)
  if (target.kind === 'rendered-ddl') return target.push({ url: options.url, sources, force, externalTables: options.externalTables ?? [] })
  const files = toFiles(sources)
  const filters = { externalTables: (options.externalTables ?? []).map(target.filterName), externalEnums: [] }
  const output = await withEngine('createAll', options.url, target, sources, (engine) => engine.schemaPush({ force, schema: { files }, filters }))
  // The engine applies nothing when it reports unexecutable steps (even with force), or warnings without force.
  if (output.unexecutable.length > 0 || (output.warnings.length > 0 && !force)) {
    throw SchemaPushError.dataLoss(output.warnings, output.unexecutable)
  }
  return { executedSteps: output.executedSteps, warnings: output.warnings }
}

/**
 * Drop every table (and on PostgreSQL every enum) the schema declares, and nothing else, through the engine's diff(datamodel -> empty)
 * script run on the database. Missing tables are not an error. Engine failures are wrapped with
 * SchemaPushError.engineFailed('dropAll', cause); a failing drop script throws DatabaseError. A database
 * whose DDL is rendered here (MySQL) drops the declared tables that exist, their foreign keys first.
 */
export async function dropSchema(options: {
  url: string
  sources: readonly SchemaSource[]
  /** Tables the schema declares that live in another database (another bind's models): never dropped here. */
  externalTables?: readonly string[]
}): Promise<void> {
  const target = databaseOf(options.url).schemaPush
  const sources = withProvider(target, options.sources)
  if (target.kind === 'rendered-ddl') return target.drop({ url: options.url, sources, externalTables: options.externalTables ?? [] })
  const connection = await (await target.load()).openScriptConnection(options.url)
  if (connection === undefined) return // no database yet, so nothing to drop
  try {
    const existing = await connection.tableNames()
    const existingEnums = await connection.enumNames()
    const files = toFiles(sources)
    const script = await withEngine('dropAll', options.url, target, sources, async (engine) => {
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
      return diffScript(engine, live, { tag: 'empty' }, { externalTables: externalTables.map(target.filterName), externalEnums: externalEnums.map(target.filterName) })
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
// Sources: what differs between databases comes from their row in the database table (databases/registry.ts).

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
 * @internal The sources with the target's provider in their datasource block, adjusted for it. Models are
 * portable between databases (the runtime compiles per dialect), so the same schema creates its tables on
 * SQLite and on PostgreSQL; a schema using one database's native types fails validation for the other,
 * with Prisma's own message.
 */
function withProvider(target: SchemaPushSupport, sources: readonly SchemaSource[]): readonly SchemaSource[] {
  const { provider } = target
  const retargeted = providerOf(sources) === provider ? sources : sources.map((source) => ({ path: source.path, content: source.content.replace(DATASOURCE_PROVIDER, `$1${provider}$3`) }))
  if (target.kind === 'rendered-ddl') return retargeted
  return retargeted.map((source) => ({ path: source.path, content: target.adjustSource(source.content) }))
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
  target: SchemaEnginePush,
  sources: readonly SchemaSource[],
  use: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  // Imported before the engine runs, so that a missing package is reported as such, not as an engine failure.
  const wasmBindings = await importOptional(target.feature, () => import('@prisma/schema-engine-wasm/schema_engine_bg'))
  const factory = await (await target.load()).adapterFactory(url)
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
