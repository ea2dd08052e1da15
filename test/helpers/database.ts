// A fresh database per test, on SQLite (a real file) or on the test run's PostgreSQL or MySQL server, with the example schema's tables.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import mariadb, { type Connection as MariaDbConnection, type ConnectionConfig as MariaDbConnectionConfig } from 'mariadb'
import pg from 'pg'
import { inject } from 'vitest'
import { createEngine, Session, type Engine, type EngineOptions, type SchemaSource } from 'prismalchemy'
import { registry } from '../../generated/models.js'
import { pushSchema } from '../../runtime/engine/schema-engine.js'
import { MYSQL_TEMPLATE, POSTGRES_TEMPLATE, type TestDialect } from './dialects.js'

/** An empty (or template-copied) database of one dialect, with raw access that bypasses every session. */
export interface ScratchDatabase {
  readonly dialect: TestDialect
  readonly url: string
  /**
   * Reads rows with the plain driver (better-sqlite3, pg or mariadb; no session, no cache): what is really stored.
   * On MySQL identifiers are quoted with `"` as on the others (ANSI_QUOTES on these connections only).
   */
  readRows<T = Record<string, unknown>>(sqlText: string): Promise<T[]>
  /** Runs SQL with the plain driver (e.g. to change rows behind a session's back). */
  execute(sqlText: string): Promise<void>
  /** Deletes the database. */
  drop(): Promise<void>
}

let counter = 0
let admin: pg.Client | undefined

/** The superuser connection to the test server, opened once per worker. */
async function adminClient(): Promise<pg.Client> {
  if (admin === undefined) {
    const url = inject('postgresUrl')
    if (!url) throw new Error('PostgreSQL is not under test in this run (see PRISMALCHEMY_TEST_DIALECTS)')
    admin = new pg.Client({ connectionString: url })
    await admin.connect()
    admin.on('error', () => undefined) // a test that restarts the server must not crash the worker
  }
  return admin
}

/**
 * Creates a database: a file in a fresh folder on SQLite; `CREATE DATABASE` (optionally from the example schema's template)
 * on PostgreSQL and MySQL.
 */
export async function scratchDatabase(dialect: TestDialect, options: { fromTemplate?: boolean } = {}): Promise<ScratchDatabase> {
  if (dialect === 'mysql') return mysqlScratchDatabase(options)
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-test-'))
    const filename = path.join(dir, 'test.db')
    const url = `file:${filename}`
    if (options.fromTemplate) await pushSchema({ url, sources: registry.schema.sources })
    return {
      dialect,
      url,
      readRows: async <T>(sqlText: string) => readRows<T>(filename, sqlText),
      execute: async (sqlText) => {
        const raw = new Database(filename)
        try {
          raw.exec(sqlText)
        } finally {
          raw.close()
        }
      },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    }
  }
  const client = await adminClient()
  const reused = options.fromTemplate ? emptiedTemplateCopies.pop() : undefined
  const name = reused ?? `test_${process.pid}_${++counter}_${Date.now().toString(36)}`
  if (reused === undefined) await client.query(`CREATE DATABASE "${name}"${options.fromTemplate ? ` TEMPLATE "${POSTGRES_TEMPLATE}"` : ''}`)
  const url = inject('postgresUrl').replace(/\/postgres$/, `/${name}`)
  const withClient = async <T>(use: (raw: pg.Client) => Promise<T>): Promise<T> => {
    const raw = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' })
    await raw.connect()
    try {
      return await use(raw)
    } finally {
      await raw.end()
    }
  }
  return {
    dialect,
    url,
    readRows: <T>(sqlText: string) => withClient(async (raw) => (await raw.query(sqlText)).rows as T[]),
    execute: (sqlText) => withClient(async (raw) => void (await raw.query(sqlText))),
    drop: async () => {
      if (options.fromTemplate && (await emptied(url))) emptiedTemplateCopies.push(name)
      else await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    },
  }
}

/**
 * Copies of the template database whose rows were deleted, ready for the next test of this worker:
 * `CREATE DATABASE ... TEMPLATE` takes 300-500 ms here, emptying the tables 10-30 ms.
 */
const emptiedTemplateCopies: string[] = []

/** Empties every table of the example schema (restarting sequences); false when that cannot be done at once (a leaked session holds locks). */
async function emptied(url: string): Promise<boolean> {
  const raw = new pg.Client({ connectionString: url })
  try {
    await raw.connect()
    await raw.query("SET lock_timeout = '1s'")
    const tables = (await raw.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")).rows
    await raw.query(`TRUNCATE ${tables.map((table) => `"${table.name}"`).join(', ')} RESTART IDENTITY CASCADE`)
    return true
  } catch {
    return false
  } finally {
    await raw.end().catch(() => undefined)
  }
}

let mysqlAdmin: Promise<MariaDbConnection> | undefined

/** MySQL's error number for a lock wait that timed out (ER_LOCK_WAIT_TIMEOUT). */
const LOCK_WAIT_TIMEOUT = 1205

/**
 * The `mariadb` driver's options for a mysql:// URL, for this file's own connections: ANSI_QUOTES, so the
 * tests' raw SQL quotes identifiers with `"` as on SQLite and PostgreSQL (set per connection: the server
 * keeps its default mode, which the runtime must work with); several statements per call, as on the
 * others; DATETIME read as UTC, as the runtime stores it; BIGINT (what `COUNT(*)` and `CAST(... AS INTEGER)`
 * give) as a number, as SQLite reads integers, or an error when not exact (read such a value `AS CHAR`).
 */
function mysqlConfig(url: string): MariaDbConnectionConfig {
  const parsed = new URL(url)
  return {
    host: parsed.hostname,
    port: Number(parsed.port),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: parsed.pathname.slice(1),
    multipleStatements: true,
    timezone: '+00:00',
    bigIntAsNumber: true,
    checkNumberRange: true,
    initSql: "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')",
  }
}

/** Runs `use` on a new raw connection to `url`, closed after. */
async function withMysql<T>(url: string, use: (raw: MariaDbConnection) => Promise<T>): Promise<T> {
  const raw = await mariadb.createConnection(mysqlConfig(url))
  try {
    return await use(raw)
  } finally {
    await raw.end()
  }
}

/** The password user's connection to the MySQL test server (its `mysql` database), opened once per worker. */
function mysqlAdminConnection(): Promise<MariaDbConnection> {
  mysqlAdmin ??= (async () => {
    const url = inject('mysqlUrl')
    if (!url) throw new Error('MySQL is not under test in this run (see PRISMALCHEMY_TEST_DIALECTS)')
    const connection = await mariadb.createConnection(mysqlConfig(url))
    connection.on('error', () => undefined) // a test that restarts the server must not crash the worker
    // A drop blocked by a leaked transaction's metadata locks fails after 1 s instead of a day (see mysqlScratchDatabase).
    await connection.query('SET SESSION lock_wait_timeout = 1')
    return connection
  })()
  return mysqlAdmin
}

let templateTables: Promise<string[]> | undefined

/** The `CREATE TABLE` statements of the template's tables, foreign keys included, read once per worker. */
function mysqlTemplateTables(admin: MariaDbConnection): Promise<string[]> {
  templateTables ??= (async () => {
    const failure = inject('mysqlTemplateError')
    if (failure) throw new Error(`The MySQL template database has no tables: pushing the example schema failed in test/setup/mariadb-server.ts: ${failure}`)
    const tables: { name: string }[] = await admin.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?', [MYSQL_TEMPLATE])
    return Promise.all(tables.map(async ({ name }) => ((await admin.query(`SHOW CREATE TABLE "${MYSQL_TEMPLATE}"."${name}"`)) as { 'Create Table': string }[])[0]['Create Table']))
  })()
  return templateTables
}

/**
 * A database on the MySQL test server; with `fromTemplate`, the template's tables re-created in it. MySQL has
 * no `CREATE DATABASE ... TEMPLATE`. Measured on the example schema (4 tables, 3 foreign keys), with the
 * server's data in memory: the template's `SHOW CREATE TABLE` statements, run in one call with foreign key
 * checks off (so in any order), copy it in about 5 ms and DROP DATABASE takes about 2 ms, where a push of the
 * schema takes about 500 ms, `CREATE TABLE ... LIKE` plus adding the foreign keys 8 ms, and emptying a used
 * copy for reuse (TRUNCATE, as the PostgreSQL branch does) 7 ms.
 */
async function mysqlScratchDatabase(options: { fromTemplate?: boolean }): Promise<ScratchDatabase> {
  const admin = await mysqlAdminConnection()
  const name = `test_${process.pid}_${++counter}_${Date.now().toString(36)}`
  if (options.fromTemplate) {
    const tables = await mysqlTemplateTables(admin)
    await admin.query(`CREATE DATABASE "${name}"; USE "${name}"; SET foreign_key_checks = 0; ${tables.join('; ')}; SET foreign_key_checks = 1; USE mysql`)
  } else {
    await admin.query(`CREATE DATABASE "${name}"`)
  }
  const url = inject('mysqlUrl').replace(/\/mysql$/, `/${name}`)
  return {
    dialect: 'mysql',
    url,
    readRows: <T>(sqlText: string) => withMysql(url, async (raw) => (await raw.query(sqlText)) as T[]),
    execute: (sqlText) => withMysql(url, async (raw) => void (await raw.query(sqlText))),
    drop: async () => {
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}"`)
      } catch (error) {
        if ((error as { errno?: number }).errno !== LOCK_WAIT_TIMEOUT) throw error
        // A transaction a failed test leaked holds metadata locks: end the connections still in the database, as
        // PostgreSQL's DROP DATABASE ... WITH (FORCE) does. Only then: those of a disposed engine are still
        // quitting (seen in the process list for a few ms), and killing one while it connects fails its pool.
        const leaked: { id: number }[] = await admin.query('SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()', [name])
        for (const { id } of leaked) await admin.query(`KILL ${id}`).catch(() => undefined)
        await admin.query(`DROP DATABASE IF EXISTS "${name}"`)
      }
    },
  }
}

/** Pushes `sources` (any Prisma schema) into a fresh database of `dialect`. */
export async function scratchDatabaseWith(dialect: TestDialect, sources: readonly SchemaSource[]): Promise<ScratchDatabase> {
  const database = await scratchDatabase(dialect)
  await pushSchema({ url: database.url, sources })
  return database
}

/** A fresh database with the schema's tables, an engine on it, and cleanup. */
export interface TestDatabase extends ScratchDatabase {
  readonly engine: Engine
  /** A new session on the engine. */
  session(options?: { autoflush?: boolean; expireOnCommit?: boolean }): Session
  /** Disposes the engine and deletes the database. */
  dispose(): Promise<void>
}

/** Creates a database of `dialect` (default SQLite) holding the example schema's tables. */
export async function createTestDatabase(options: EngineOptions = {}, dialect: TestDialect = 'sqlite'): Promise<TestDatabase> {
  const database = await scratchDatabase(dialect, { fromTemplate: true })
  const engine = createEngine(database.url, options)
  return {
    ...database,
    engine,
    session: (sessionOptions) => new Session({ bind: engine, ...sessionOptions }),
    dispose: async () => {
      await engine.dispose()
      await database.drop()
    },
  }
}

/** Reads rows straight from a SQLite file with plain better-sqlite3 (no session, no cache): what is really stored. */
export function readRows<T = Record<string, unknown>>(filename: string, sqlText: string): T[] {
  const raw = new Database(filename, { readonly: true })
  try {
    return raw.prepare(sqlText).all() as T[]
  } finally {
    raw.close()
  }
}
