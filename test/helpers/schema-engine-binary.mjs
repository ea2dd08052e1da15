#!/usr/bin/env node
// Stands in for Prisma's native schema-engine binary (which the CLI downloads, and cannot here): the CLI's stdio protocol, served by Prisma's own wasm schema engine.
//
// Prisma's CLI runs the binary named by PRISMA_SCHEMA_ENGINE_BINARY in two ways:
//   schema-engine --datasource <json> cli <can-connect-to-database | create-database>   (exit 0, or JSON log lines on stderr)
//   schema-engine [--datamodels <file>]... [--datasource <json>]                          (JSON-RPC 2.0, one message a line on stdin/stdout)
// Every RPC method is the wasm engine's method of the same name, so migrations are computed and applied by Prisma's own code.
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import readline from 'node:readline'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { PrismaPg } from '@prisma/adapter-pg'
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils'
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg'
import Database from 'better-sqlite3'
import pg from 'pg'

/** The command line: datamodel files, the datasource, and the `cli` subcommand if any. */
function parseArguments(argv) {
  const parsed = { datamodels: [], datasource: {}, command: undefined }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--datamodels') parsed.datamodels.push(argv[++i])
    else if (argv[i] === '--datasource') parsed.datasource = JSON.parse(argv[++i])
    else if (argv[i] === 'cli') parsed.command = argv[++i]
    else if (argv[i] === '--version') parsed.command = '--version'
  }
  return parsed
}

const isPostgres = (url) => /^postgres(ql)?:\/\//.test(url)

/** The SQLite file of a `file:` URL, relative to the working directory the CLI gives. */
const sqliteFile = (url) => path.resolve(url.slice('file:'.length))

/** A pg client that reads OID 18 ("char") columns as text: the engine's catalog queries use them and adapter-pg refuses them. */
class CharAsTextClient extends pg.Client {
  query(...args) {
    const fix = (result) => {
      for (const part of Array.isArray(result) ? result : [result]) for (const field of part?.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25
      return result
    }
    const last = args.length - 1
    if (typeof args[last] === 'function') {
      const callback = args[last]
      args[last] = (error, result) => callback(error, error ? result : fix(result))
      return super.query(...args)
    }
    const returned = super.query(...args)
    return returned instanceof Promise ? returned.then(fix) : returned
  }
}

/**
 * A PostgreSQL URL as separate pool settings: adapter-pg opens the shadow database with its pool settings and another
 * `database`, which a `connectionString` would override (the shadow database would then be the real one).
 */
function postgresConnection(url) {
  const parsed = new URL(url)
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.slice(1)),
  }
}

/** Runs `work` on a plain connection to the URL's own database (to create or drop other databases). */
async function withConnection(url, work) {
  const client = new pg.Client(postgresConnection(url))
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/**
 * adapter-pg's factory, with a shadow database of our own: adapter-pg's drops its shadow database before closing its
 * pool, which PostgreSQL refuses ("being accessed by other users"); this one closes the pool first.
 */
function postgresFactory(url) {
  const settings = { ...postgresConnection(url), Client: CharAsTextClient, max: 2 }
  const factory = new PrismaPg(settings)
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => factory.connect(),
    connectToShadowDb: async () => {
      const name = `prisma_migrate_shadow_db_${randomUUID()}`
      await withConnection(url, (client) => client.query(`CREATE DATABASE "${name}"`))
      const adapter = await new PrismaPg({ ...settings, database: name }).connect()
      const dispose = adapter.dispose.bind(adapter)
      adapter.dispose = async () => {
        await dispose()
        await withConnection(url, (client) => client.query(`DROP DATABASE IF EXISTS "${name}"`))
      }
      return adapter
    },
  }
}

/** The driver-adapter factory the wasm engine works through. */
function adapterFactory(datasource) {
  const url = datasource.url
  if (isPostgres(url)) return postgresFactory(url)
  return withScripts(new PrismaBetterSqlite3({ url: `file:${sqliteFile(url)}` }, datasource.shadowDatabaseUrl ? { shadowDatabaseUrl: datasource.shadowDatabaseUrl } : {}))
}

/**
 * The wasm engine replays migrations into the shadow database with one `executeRaw` per migration.sql, which
 * better-sqlite3 refuses ("more than one statement"); the native engine runs such scripts whole. Run them with
 * `executeScript` (SQLite's exec), as the native engine does.
 */
function withScripts(factory) {
  const wrap = (adapter) => {
    const executeRaw = adapter.executeRaw.bind(adapter)
    adapter.executeRaw = (query) =>
      executeRaw(query).catch(async (error) => {
        if (!(error instanceof RangeError) || query.args.length > 0) throw error
        await adapter.executeScript(query.sql)
        return 0
      })
    return adapter
  }
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => wrap(await factory.connect()),
    connectToShadowDb: async () => wrap(await factory.connectToShadowDb()),
  }
}

/** The migrations table as Prisma's schema engine creates it on SQLite (the DDL is the engine's own, as its binary holds it). */
const SQLITE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`

/**
 * On SQLite the wasm engine cannot start a migration history: reading `_prisma_migrations` before it exists gives it
 * adapter-better-sqlite3's TableDoesNotExist, which it reports as P1014 where the native engine (reading SQLite's own
 * error) creates the table. Create it first, as the native engine would, when the database exists.
 */
function prepareSqliteHistory(datasource) {
  if (isPostgres(datasource.url) || !existsSync(sqliteFile(datasource.url))) return
  const database = new Database(sqliteFile(datasource.url))
  try {
    database.exec(SQLITE_MIGRATIONS_TABLE)
  } finally {
    database.close()
  }
}

/** Writes an error as the native engine logs it: the CLI skips the first stderr line and reads JSON lines after it. */
function logError(errorCode, message) {
  process.stderr.write('\n' + JSON.stringify({ level: 'ERROR', target: 'schema_engine::logger', fields: { error_code: errorCode, message } }) + '\n')
}

/** `cli can-connect-to-database` and `cli create-database`. */
async function runCliCommand(command, datasource) {
  const url = datasource.url
  if (!isPostgres(url)) {
    const file = sqliteFile(url)
    if (command === 'can-connect-to-database' && !existsSync(file)) return logError('P1003', `Database ${path.basename(file)} does not exist at ${file}`), 1
    if (command === 'create-database') new Database(file).close()
    return 0
  }
  const target = new URL(url)
  const name = decodeURIComponent(target.pathname.slice(1))
  const client = new pg.Client({ connectionString: url })
  try {
    await client.connect()
    return 0
  } catch (error) {
    if (error.code !== '3D000') return logError('P1001', error.message), 1
    if (command === 'can-connect-to-database') return logError('P1003', `Database \`${name}\` does not exist`), 1
  } finally {
    await client.end().catch(() => undefined)
  }
  target.pathname = '/postgres'
  const admin = new pg.Client({ connectionString: target.toString() })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`)
  } finally {
    await admin.end()
  }
  return 0
}

/** Instantiates the wasm engine (its package entry imports the .wasm file, which plain Node cannot). */
async function loadEngine(datamodels, datasource) {
  globalThis.PRISMA_WASM_PANIC_REGISTRY ??= { set_message: (message) => logError(null, `panic: ${message}`) }
  const glue = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg')
  const { instance } = await WebAssembly.instantiate(readFileSync(glue.replace(/\.js$/, '.wasm')), { './schema_engine_bg.js': bindings })
  bindings.__wbg_set_wasm(instance.exports)
  instance.exports.__wbindgen_start()
  const files = datamodels.map((file) => [file, readFileSync(file, 'utf8')])
  return bindings.SchemaEngine.new({ datamodels: files.length > 0 ? files : undefined }, () => undefined, bindMigrationAwareSqlAdapterFactory(adapterFactory(datasource)))
}

/** The RPC methods whose wasm name differs. */
const METHOD_NAMES = { getDatabaseVersion: 'version' }

/** A JSON-RPC error as the CLI reads it: `data.message`, with `data.error_code` when the engine gave a Prisma error code. */
function rpcError(id, error) {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error)
  const data = { is_panic: false, message, error_code: error?.code ?? error?.error_code ?? undefined, meta: error?.meta }
  return { jsonrpc: '2.0', id, error: { code: 4466, message: 'An error happened. Check the data field for details.', data } }
}

/** Answers the CLI's JSON-RPC requests with the wasm engine until the CLI closes stdin. */
async function serveRpc(datamodels, datasource) {
  prepareSqliteHistory(datasource)
  const engine = await loadEngine(datamodels, datasource)
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  // One request at a time, in order, as the native engine answers them.
  let queue = Promise.resolve()
  lines.on('line', (line) => {
    if (line.trim() === '') return
    const request = JSON.parse(line)
    queue = queue.then(async () => {
      const name = METHOD_NAMES[request.method] ?? request.method
      let response
      try {
        if (typeof engine[name] !== 'function') throw new Error(`The schema engine has no method ${request.method}`)
        const result = await engine[name](request.params ?? {})
        response = { jsonrpc: '2.0', id: request.id, result: result ?? null }
      } catch (error) {
        response = rpcError(request.id, error)
      }
      process.stdout.write(JSON.stringify(response) + '\n')
    })
  })
  lines.on('close', () => queue.then(() => process.exit(0)))
}

const { datamodels, datasource, command } = parseArguments(process.argv.slice(2))
if (command === '--version') console.log('schema-engine-cli (wasm stand-in)')
else if (command !== undefined) process.exitCode = await runCliCommand(command, datasource)
else await serveRpc(datamodels, datasource)
