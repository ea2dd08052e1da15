// A fresh database per test, on SQLite (a real file) or on the test run's PostgreSQL server, with the example schema's tables.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { inject } from 'vitest'
import { createEngine, Session, type Engine, type EngineOptions, type SchemaSource } from 'prismalchemy'
import { registry } from '../../generated/models.js'
import { pushSchema } from '../../runtime/engine/schema-engine.js'
import { POSTGRES_TEMPLATE, type TestDialect } from './dialects.js'

/** An empty (or template-copied) database of one dialect, with raw access that bypasses every session. */
export interface ScratchDatabase {
  readonly dialect: TestDialect
  readonly url: string
  /** Reads rows with the plain driver (better-sqlite3 or pg; no session, no cache): what is really stored. */
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

/** Creates a database: a file in a fresh folder on SQLite; `CREATE DATABASE` (optionally from the example schema's template) on PostgreSQL. */
export async function scratchDatabase(dialect: TestDialect, options: { fromTemplate?: boolean } = {}): Promise<ScratchDatabase> {
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
