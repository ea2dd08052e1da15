// Pool settings on SQLite, PostgreSQL and MySQL: PoolTimeoutError naming its holders, pool_recycle, pool_pre_ping, dispose({ wait }), the logger hook, SQLite's write lock.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Database from 'better-sqlite3'
import express from 'express'
import Fastify from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  ConfigurationError,
  createDb,
  DatabaseError,
  DatabaseLockedError,
  PoolTimeoutError,
  Session,
  UniqueViolationError,
  type Db,
  type Engine,
  type ExecutedStatement,
  type StatementLogRecord,
} from 'prismalchemy'
import { registry, Role } from '../../generated/models.js'
import type { DriverConnection } from '../../runtime/engine/driver.js'
import { maskPassword } from '../../runtime/engine/engine.js'
import { sqliteFilename } from '../../runtime/databases/sqlite/sqlite-url.js'
import { expressScope } from '../../runtime/middleware/express.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { beginOf, describeOn, DIALECTS, normalizeSql, type TestDialect } from '../helpers/dialects.js'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A promise the test resolves. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}

/** The better-sqlite3 handle under a SQLite driver connection (the driver keeps it as `db`). */
function handleOf(connection: DriverConnection): Database.Database {
  return (connection as unknown as { db: Database.Database }).db
}

/** Runs `sqlText` (no parameters) on a connection of `engine` inside a transaction, and returns its first row. */
async function firstRow(engine: Engine, sqlText: string): Promise<readonly unknown[]> {
  const connection = await engine.connect()
  try {
    await connection.begin()
    const { rows } = await connection.execute({ sql: sqlText, parameters: [], result: 'rows', isWrite: false, exactIntegers: false })
    return rows[0]
  } finally {
    await engine.release(connection)
  }
}

/** The PostgreSQL server process (MySQL connection id) serving a connection of `engine`: changes when the pool opens a new connection. */
async function backendPid(engine: Engine, dialect: TestDialect): Promise<number> {
  return Number((await firstRow(engine, dialect === 'mysql' ? 'SELECT CONNECTION_ID()' : 'SELECT pg_backend_pid()'))[0])
}

/** Connections open to `target` on the PostgreSQL or MySQL server, other than the one asking. */
async function serverConnections(target: TestDatabase, dialect: TestDialect): Promise<number> {
  const rows = await target.readRows<{ n: number }>(
    dialect === 'mysql'
      ? 'SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()'
      : 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  )
  return Number(rows[0].n)
}

const cleanups: (() => Promise<void>)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A test database of `dialect` whose engine has `options`, disposed after the test. */
async function database(dialect: TestDialect, options: Parameters<typeof createTestDatabase>[0] = {}): Promise<TestDatabase> {
  const created = await createTestDatabase(options, dialect)
  cleanups.push(() => created.dispose())
  return created
}

/** A `db` object on a test database of `dialect`, disposed after the test. */
async function appDb(dialect: TestDialect, options: Parameters<typeof createDb>[1] = {}): Promise<Db<typeof registry.classes>> {
  const { url } = await database(dialect)
  const db = createDb(registry, { url, ...options })
  cleanups.push(() => db.dispose())
  return db
}

describe.each(DIALECTS)('on %s', (dialect) => {
  describe('PoolTimeoutError', () => {
    it('comes after about poolTimeout and names the requests holding the connections', async () => {
      const db = await appDb(dialect, { poolSize: 2, maxOverflow: 0, poolTimeout: 0.3 })
      const release = gate()
      const app = express()
      app.use(expressScope(db))
      app.get('/reports/:name', async (_req, res) => {
        await db.session.query(Role).count()
        await release.promise
        res.end()
      })
      const server: Server = await new Promise((resolve) => {
        const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
      })
      cleanups.push(() => new Promise((resolve) => server.close(() => resolve())))
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const responses = [fetch(`${base}/reports/daily?token=secret`), fetch(`${base}/reports/weekly`)]
      await vi.waitFor(() => expect(db.engine.poolStatus().checkedOut).toBe(2))

      const started = performance.now()
      const error = (await db.scope(() => db.session.query(Role).count()).catch((e: unknown) => e)) as PoolTimeoutError
      const elapsed = performance.now() - started

      expect(error).toBeInstanceOf(PoolTimeoutError)
      expect(error.code).toBe('pool_timeout')
      expect(elapsed).toBeGreaterThanOrEqual(280)
      expect(elapsed).toBeLessThan(2000)
      expect(error.message).toContain('Timed out after 300 ms waiting for a connection: 2 of 2 connections are checked out (by GET /reports/')
      expect([...error.checkedOutBy].sort()).toEqual(['GET /reports/daily', 'GET /reports/weekly'])
      expect(error.message).not.toContain('token')
      expect([...db.engine.poolStatus().checkedOutBy].sort()).toEqual(['GET /reports/daily', 'GET /reports/weekly'])

      release.open()
      expect((await Promise.all(responses)).map((response) => response.status)).toEqual([200, 200])
      await vi.waitFor(() => expect(db.engine.poolStatus().checkedOut).toBe(0))
      expect(await db.scope(() => db.session.query(Role).count())).toBe(0)
    })

    /** Two scopes of `open` holding a connection each and a plain session holding the third, then the PoolTimeoutError of a fourth. */
    async function timeoutWhileHeld(db: Db<typeof registry.classes>, open: (hold: () => Promise<void>) => Promise<void>): Promise<{ error: PoolTimeoutError; plainOwner: Session['owner'] }> {
      const release = gate()
      const held = gate()
      let holding = 0
      const hold = async () => {
        await db.session.query(Role).count()
        if (++holding === 2) held.open()
        await release.promise
      }
      const scopes = [1, 2].map(() => open(hold))
      const plain = db.Session()
      await plain.query(Role).count()
      await held.promise
      const error = (await db.scope(() => db.session.query(Role).count()).catch((e: unknown) => e)) as PoolTimeoutError
      expect(error).toBeInstanceOf(PoolTimeoutError)
      expect(db.engine.poolStatus().checkedOutBy).toEqual(error.checkedOutBy)
      release.open()
      await Promise.all(scopes)
      await plain.close()
      expect(db.engine.poolStatus().checkedOut).toBe(0)
      return { error, plainOwner: plain.owner }
    }

    it('names db.scope() by its function, and plain sessions by number', async () => {
      const db = await appDb(dialect, { poolSize: 3, maxOverflow: 0, poolTimeout: 0.1 })
      const nightlyExport = (hold: () => Promise<void>) => hold()
      const named = await timeoutWhileHeld(db, (hold) => db.scope(() => nightlyExport(hold)))
      // An anonymous function: the label says only db.scope(), and the message says how to get its line.
      expect(named.error.message).toContain('3 of 3 connections are checked out (by 2 × db.scope(), Session #')
      expect(named.error.message).toContain('pass scopeSites: true to createDb')
      expect(named.error.checkedOutBy).toContain(named.plainOwner)

      const byName = await timeoutWhileHeld(db, (hold) => db.scope(hold))
      expect(byName.error.message).toMatch(/3 of 3 connections are checked out \(by 2 × db\.scope\(hold\), Session #\d+\)/)
      expect(byName.error.checkedOutBy.filter((owner) => owner === 'db.scope(hold)')).toHaveLength(2)
    })

    it('names db.scope() by its owner option, or by the line that opened it with scopeSites', async () => {
      const db = await appDb(dialect, { poolSize: 3, maxOverflow: 0, poolTimeout: 0.1 })
      const owned = await timeoutWhileHeld(db, (hold) => db.scope(hold, { owner: 'nightly export' }))
      expect(owned.error.checkedOutBy.filter((owner) => owner === 'nightly export')).toHaveLength(2)
      expect(owned.error.message).not.toContain('scopeSites')

      const traced = await appDb(dialect, { poolSize: 3, maxOverflow: 0, poolTimeout: 0.1, scopeSites: true })
      const sited = await timeoutWhileHeld(traced, (hold) => traced.scope(hold))
      expect(sited.error.message).toMatch(/3 of 3 connections are checked out \(by 2 × db\.scope\(\) at \S*pool-settings\.test\.ts:\d+:\d+, Session #\d+\)/)
      expect(sited.error.message).not.toContain('scopeSites')
    })

    it('names an explicit session owner', async () => {
      // poolTimeout is also the connect timeout: MySQL's handshake (with its authentication) can take more than 50 ms on a busy machine.
      const { engine } = await database(dialect, { poolSize: 1, maxOverflow: 0, poolTimeout: dialect === 'mysql' ? 0.5 : 0.05 })
      const nightly = new Session({ bind: engine, owner: 'nightly export' })
      await nightly.query(Role).count()
      const error = await new Session({ bind: engine }).query(Role).count().catch((e: unknown) => e)
      expect((error as PoolTimeoutError).checkedOutBy).toEqual(['nightly export'])
      await nightly.close()
    })
  })

  describe('poolRecycle', () => {
    // How a replaced connection shows differs: a better-sqlite3 handle object on SQLite, a server process on PostgreSQL.
    if (dialect === 'sqlite') {
      it('replaces a connection older than poolRecycle at checkout with a new handle', async () => {
        const { engine } = await database(dialect, { poolRecycle: 0.05 })
        const first = await engine.connect()
        await engine.release(first)
        expect(await engine.connect()).toBe(first)
        await engine.release(first)
        await sleep(80)
        const second = await engine.connect()
        expect(second).not.toBe(first)
        expect(handleOf(first).open).toBe(false)
        expect(handleOf(second).open).toBe(true)
        await engine.release(second)
        const session = new Session({ bind: engine })
        expect(await session.query(Role).count()).toBe(0)
        await session.close()
      })

      it('keeps connections by default', async () => {
        const { engine } = await database(dialect)
        const first = await engine.connect()
        await engine.release(first)
        await sleep(80)
        expect(await engine.connect()).toBe(first)
        await engine.release(first)
      })
    } else {
      if (dialect === 'mysql') {
        it("is refused on MySQL (the mariadb pool gives connections no lifetime), naming what to use instead", async () => {
          const refused = await database(dialect, { poolRecycle: 0.5 }).catch((e: unknown) => e)
          expect(refused).toBeInstanceOf(ConfigurationError)
          expect((refused as ConfigurationError).message).toMatch(/Option "poolRecycle" is not available on MySQL.*Use poolIdleTimeout/)
        })
      } else {
        it("closes a connection older than poolRecycle and opens a new one (pg's maxLifetimeSeconds, whole seconds)", async () => {
          const target = await database(dialect, { poolSize: 1, maxOverflow: 0, poolRecycle: 0.5 })
          const first = await backendPid(target.engine, dialect)
          expect(await backendPid(target.engine, dialect)).toBe(first)
          await sleep(1_200)
          const second = await backendPid(target.engine, dialect)
          expect(second).not.toBe(first)
          expect(await target.readRows(`SELECT pid FROM pg_stat_activity WHERE pid = ${first}`)).toEqual([])
          const session = new Session({ bind: target.engine })
          expect(await session.query(Role).count()).toBe(0)
          await session.close()
        })
      }

      it('keeps connections by default', async () => {
        const { engine } = await database(dialect, { poolSize: 1, maxOverflow: 0 })
        const first = await backendPid(engine, dialect)
        await sleep(1_200)
        expect(await backendPid(engine, dialect)).toBe(first)
      })
    }

    it('refuses a negative value other than -1', async () => {
      await expect(database(dialect, { poolRecycle: -5 })).rejects.toThrow(/poolRecycle.*-1 for never/)
    })
  })

  describe('poolPrePing', () => {
    // SQLite closes the handle behind the pool; PostgreSQL and MySQL have the server end the connection, which needs no pre-ping (below).
    if (dialect === 'sqlite') {
      it('replaces a connection whose handle was closed behind the pool', async () => {
        const { engine } = await database(dialect, { poolPrePing: true })
        const first = await engine.connect()
        await engine.release(first)
        handleOf(first).close()
        const session = new Session({ bind: engine })
        expect(await session.query(Role).count()).toBe(0)
        await session.close()
        const now = await engine.connect()
        expect(now).not.toBe(first)
        expect(handleOf(now).open).toBe(true)
        await engine.release(now)
      })

      it('without it, the dead connection is handed out and the statement fails', async () => {
        const { engine } = await database(dialect)
        const first = await engine.connect()
        await engine.release(first)
        handleOf(first).close()
        const session = new Session({ bind: engine })
        await expect(session.query(Role).count()).rejects.toThrow(DatabaseError)
        await session.close()
      })
    } else {
      it('without it, a connection the server terminated while idle is replaced at the next autocommit read, and at the next write', async () => {
        const target = await database(dialect, { poolSize: 1, maxOverflow: 0 })
        const terminate = (pid: number) => target.execute(dialect === 'mysql' ? `KILL ${pid}` : `SELECT pg_terminate_backend(${pid})`)
        const first = await backendPid(target.engine, dialect)
        await terminate(first)
        const reader = new Session({ bind: target.engine })
        expect(await reader.query(Role).count()).toBe(0)
        await reader.close()
        const second = await backendPid(target.engine, dialect)
        expect(second).not.toBe(first)

        await terminate(second)
        // The write goes alone (singleStatementCommits): no BEGIN to heal with. PostgreSQL's pool has seen the server's
        // goodbye already; the mariadb pool has not, and pings a connection only once it sat idle for 0.5 s.
        if (dialect === 'mysql') await new Promise((resolve) => setTimeout(resolve, 600))
        const writer = new Session({ bind: target.engine })
        writer.add(new Role({ name: 'after terminate' }))
        await writer.commit()
        await writer.close()
        expect(await target.readRows('SELECT name FROM "Role"')).toEqual([{ name: 'after terminate' }])
        expect(await backendPid(target.engine, dialect)).not.toBe(second)
      })
    }
  })

  describe('engine.dispose()', () => {
    it('closes idle connections now, stays usable, and with wait resolves once checked-out connections came back', async () => {
      const target = await database(dialect)
      const { engine } = target
      const holder = new Session({ bind: engine })
      // PostgreSQL and MySQL run reads before the first write in autocommit (no server connection held), so their holder writes;
      // a SQLite writer would hold the write lock the other session below needs.
      if (dialect !== 'sqlite') {
        holder.add(new Role({ name: 'held' }))
        await holder.flush()
      } else {
        await holder.query(Role).count()
      }
      const idle = await engine.connect()
      await idle.begin()
      await idle.execute({ sql: 'SELECT 1', parameters: [], result: 'rows', isWrite: false, exactIntegers: false })
      await engine.release(idle)
      expect(engine.poolStatus()).toMatchObject({ idle: 1, checkedOutBy: [holder.owner] })
      if (dialect === 'postgresql') expect(await serverConnections(target, dialect)).toBe(2)
      // The mariadb pool opens poolSize connections at once, and more while they are checked out.
      if (dialect === 'mysql') expect(await serverConnections(target, dialect)).toBeGreaterThanOrEqual(2)

      let drained = false
      const disposing = engine.dispose({ wait: true }).then(() => (drained = true))
      // The idle connection is closed: its handle on SQLite, its server connection otherwise (the holder's stays).
      await vi.waitFor(async () => {
        if (dialect === 'sqlite') expect(handleOf(idle).open).toBe(false)
        else expect(await serverConnections(target, dialect)).toBe(1)
      })
      expect(drained).toBe(false)

      const other = new Session({ bind: engine })
      other.add(new Role({ name: 'during dispose' }))
      await other.commit()
      await other.close()
      expect(drained).toBe(false)

      await holder.close()
      await disposing
      expect(drained).toBe(true)
      // Only the connection opened after dispose() is left.
      if (dialect === 'postgresql') expect(await serverConnections(target, dialect)).toBe(1)
      // On MySQL the pool opened after dispose() keeps its poolSize (5) connections open.
      if (dialect === 'mysql') await vi.waitFor(async () => expect(await serverConnections(target, dialect)).toBe(5))
    })
  })

  describe('logger', () => {
    // SQLite takes the write lock at BEGIN (BEGIN IMMEDIATE); PostgreSQL and MySQL need no lock for it.
    const begin = beginOf(dialect)
    // MySQL has no RETURNING: the driver reports the generated key (lastInsertId).
    const insertRole = dialect === 'mysql' ? 'INSERT INTO "Role" ("name") VALUES (?)' : 'INSERT INTO "Role" ("name") VALUES (?) RETURNING "id"'

    it('gets each statement as a line and a structured record, failed ones too, and echo turns on with it', async () => {
      const logged: { line: string; record: StatementLogRecord }[] = []
      const { engine, url } = await database(dialect, { logger: (line, record) => logged.push({ line, record }) })
      expect(engine.echo).toBe(true)
      const session = new Session({ bind: engine })
      session.add(new Role({ name: 'admin' }))
      await session.commit()
      session.add(new Role({ name: 'admin' }))
      await expect(session.commit()).rejects.toThrow(UniqueViolationError)
      await session.close()

      const inserts = logged.filter(({ record }) => record.sql.startsWith('INSERT'))
      expect(inserts).toHaveLength(2)
      const [ok, failed] = inserts
      expect({ ...ok.record, sql: normalizeSql(ok.record.sql) }).toMatchObject({
        sql: insertRole,
        parameters: ['admin'],
        url: maskPassword(url),
      })
      expect(ok.record.durationMs).toBeGreaterThanOrEqual(0)
      expect(ok.record.error).toBeUndefined()
      expect(normalizeSql(ok.line).startsWith(`${insertRole} ["admin"] (`)).toBe(true)
      expect(ok.line).toMatch(/ \["admin"\] \(\d+\.\d{3} ms\)$/)
      expect(failed.record.error).toBeInstanceOf(UniqueViolationError)
      expect(failed.line).toMatch(/\(\d+\.\d{3} ms\) failed: UniqueViolationError$/)
      // Each commit flushes one INSERT, which goes alone, without BEGIN and COMMIT (singleStatementCommits, on by default).
      expect(logged.map(({ record }) => record.sql)).toEqual([ok.record.sql, ok.record.sql])
    })

    it('stays quiet with echo: false, and can be switched on at run time', async () => {
      const lines: string[] = []
      const { engine } = await database(dialect, { echo: false, logger: (line) => lines.push(line) })
      const session = new Session({ bind: engine })
      await session.query(Role).count()
      expect(lines).toEqual([])
      engine.echo = true
      await session.query(Role).count()
      expect(lines.map(normalizeSql)).toEqual([expect.stringMatching(/^SELECT count\(\*\) FROM "Role" \(\d+\.\d{3} ms\)$/)])
      await session.close()
    })

    it('feeds a pino logger: one JSON line per statement, errors at level error', async () => {
      const output: Record<string, unknown>[] = []
      // Fastify's logger is a real pino instance; this package depends on Fastify, not on pino directly.
      const log = Fastify({ logger: { level: 'debug', stream: { write: (line: string) => void output.push(JSON.parse(line)) } } }).log
      const { engine, url } = await database(dialect, {
        logger: (line, record) => (record.error ? log.error(record, line) : log.debug(record, line)),
      })
      const session = new Session({ bind: engine })
      session.add(new Role({ name: 'ops' }))
      await session.commit()
      session.add(new Role({ name: 'ops' }))
      await expect(session.commit()).rejects.toThrow(UniqueViolationError)
      await session.close()

      const insert = output.find((entry) => normalizeSql(String(entry.sql)) === insertRole)
      expect(insert).toMatchObject({ level: 20, parameters: ['ops'], url: maskPassword(url), msg: expect.stringMatching(/^INSERT INTO ["`]Role["`] .* \["ops"\] \(\d+\.\d{3} ms\)$/) })
      expect(typeof insert?.durationMs).toBe('number')
      const failure = output.find((entry) => entry.level === 50)
      expect(failure).toMatchObject({ sql: insert?.sql, error: { name: 'UniqueViolationError', code: 'unique_violation' } })
      expect(failure?.msg).toMatch(/failed: UniqueViolationError$/)
    })
  })

  describe('concurrent writers', () => {
    it('concurrent write sessions on one engine all commit: no deadlock, no SQLITE_BUSY', async () => {
      const { engine } = await database(dialect, { poolSize: 5, maxOverflow: 20, busyTimeout: 5 })
      const writers = Array.from({ length: 20 }, async (_, i) => {
        const session = new Session({ bind: engine })
        try {
          await session.query(Role).count()
          session.add(new Role({ name: `first-${i}` }))
          await session.flush()
          await sleep(2)
          session.add(new Role({ name: `second-${i}` }))
          await session.commit()
        } finally {
          await session.close()
        }
      })
      const results = await Promise.allSettled(writers)
      expect(results.filter((result) => result.status === 'rejected')).toEqual([])
      const session = new Session({ bind: engine })
      expect(await session.query(Role).count()).toBe(40)
      await session.close()
      expect(engine.poolStatus()).toMatchObject({ checkedOut: 0, waiting: 0 })
    })
  })
})

describe('maskPassword', () => {
  it('shows server URLs with the password masked', () => {
    expect(maskPassword('postgresql://app:s3cr%2Ft@db.internal:5432/shop?sslmode=require')).toBe('postgresql://app:***@db.internal:5432/shop?sslmode=require')
    expect(maskPassword('postgres://app@db.internal/shop')).toBe('postgres://app@db.internal/shop')
    expect(maskPassword('file:./dev.db')).toBe('file:./dev.db')
  })
})

// SQLite only: its file-level write lock and busy timeout; PostgreSQL locks rows and never makes a writer wait for the whole database.
describeOn('sqlite', 'SQLite write lock', () => {
  /** The database file behind a SQLite test database. */
  const fileOf = (target: TestDatabase) => sqliteFilename(target.url)!

  it('a writer blocked by another connection gets DatabaseLockedError after busyTimeout, and the failed statement is reported', async () => {
    const target = await database('sqlite', { busyTimeout: 0.2 })
    const { engine } = target
    const session = new Session({ bind: engine })
    await session.query(Role).count()
    const reported: ExecutedStatement[] = []
    engine.onStatement((statement) => reported.push(statement))
    const other = new Database(fileOf(target))
    other.exec('BEGIN IMMEDIATE')
    try {
      session.add(new Role({ name: 'blocked' }))
      const started = performance.now()
      const error = await session.commit().catch((e: unknown) => e)
      const elapsed = performance.now() - started
      expect(error).toBeInstanceOf(DatabaseLockedError)
      expect((error as DatabaseLockedError).code).toBe('database_locked')
      expect(elapsed).toBeGreaterThanOrEqual(180)
      expect(elapsed).toBeLessThan(3000)
      expect(reported.at(-1)).toMatchObject({ sql: 'INSERT INTO "Role" ("name") VALUES (?) RETURNING "id"', error })
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    await session.rollback()
    session.add(new Role({ name: 'after' }))
    await session.commit()
    expect(await session.query(Role).count()).toBe(1)
    await session.close()
  })

  it('opening a connection while another process writes a database not yet in WAL mode waits busyTimeout, then DatabaseLockedError', async () => {
    const target = await database('sqlite', { busyTimeout: 0.2 })
    const { engine } = target
    const other = new Database(fileOf(target))
    expect(other.pragma('journal_mode', { simple: true })).not.toBe('wal')
    other.exec('BEGIN IMMEDIATE')
    const session = new Session({ bind: engine })
    let error: unknown
    const started = performance.now()
    try {
      error = await session.query(Role).count().catch((e: unknown) => e)
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    expect(error).toBeInstanceOf(DatabaseLockedError)
    expect(performance.now() - started).toBeGreaterThanOrEqual(180)
    expect(engine.poolStatus()).toMatchObject({ checkedOut: 0, idle: 0 })
    expect(await session.query(Role).count()).toBe(0)
    await session.close()
  })
})
