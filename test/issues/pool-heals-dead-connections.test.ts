// Regression (issue 14): a checkout that finds several dead idle connections replaces each of them, not only the first.
import type Database from 'better-sqlite3'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ConnectionLostError, createEngine, Session, type Engine, type EngineOptions } from 'prismalchemy'
import { Role } from '../../generated/models.js'
import { ANSWERED_WITHIN_MS } from '../../runtime/databases/postgres/answered-connections.js'
import type { DriverConnection } from '../../runtime/engine/driver.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, statementsSent } from '../helpers/dialects.js'
import { startLateNewsProxy, type LateNewsProxy } from '../helpers/late-news-proxy.js'

const cleanups: (() => Promise<void>)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/**
 * A request's retry loop after a lone write failed on a dead connection: rolls back, adds the role named
 * `name` again and commits, until a commit works; every failure must be a ConnectionLostError, and fewer
 * than `attempts` of them may come.
 */
async function retryUntilCommitted(session: Session, name: string, attempts: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await session.rollback()
    session.add(new Role({ name }))
    const failure = await session.commit().then(
      () => undefined,
      (error: unknown) => error,
    )
    if (failure === undefined) return
    expect(failure).toBeInstanceOf(ConnectionLostError)
    expect(attempt).toBeLessThan(attempts)
  }
}

/** Backends of the test database other than the asking one. */
async function backends(target: TestDatabase): Promise<number[]> {
  const rows = await target.readRows<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY pid')
  return rows.map((row) => row.pid)
}

/** Opens `count` server connections at once (sessions each inside a transaction, held together), then returns them to the pool. */
async function openConnections(engine: Engine, count: number): Promise<void> {
  const sessions = Array.from({ length: count }, (_, n) => new Session({ bind: engine, owner: `warm ${n}` }))
  await Promise.all(
    sessions.map(async (session, n) => {
      session.add(new Role({ name: `warm ${n}` }))
      await session.flush()
    }),
  )
  await Promise.all(sessions.map((session) => session.close()))
}

/**
 * A test database, and an engine on it behind a proxy that keeps the server's closing of a connection
 * from the pool until it next writes (a NAT or load balancer; a process frozen while it happened),
 * with `count` idle connections the server then terminated with `pg_terminate_backend`.
 */
async function poolOfDeadConnections(count: number, options: EngineOptions): Promise<{ db: TestDatabase; engine: Engine; proxy: LateNewsProxy }> {
  const db = await createTestDatabase({}, 'postgresql')
  cleanups.push(() => db.dispose())
  const proxy = await startLateNewsProxy(db.url)
  cleanups.push(() => proxy.close())
  const engine = createEngine(proxy.url, options)
  cleanups.push(() => engine.dispose())
  await openConnections(engine, count)
  const pids = await backends(db)
  expect(pids).toHaveLength(count)
  proxy.holdServerNews()
  await db.execute(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid IN (${pids.join(', ')})`)
  await vi.waitFor(async () => expect(await backends(db)).toEqual([]))
  expect(engine.poolStatus()).toMatchObject({ checkedOut: 0, idle: options.poolSize })
  return { db, engine, proxy }
}

describe.runIf(DIALECTS.includes('postgresql'))('on postgresql', () => {
  for (const poolPrePing of [false, true]) {
    describe(`poolPrePing: ${poolPrePing}`, () => {
      it('serves an autocommit read after the server terminated all 5 idle connections, trying each dead one once', async () => {
        const { db, engine, proxy } = await poolOfDeadConnections(5, { poolSize: 3, maxOverflow: 2, poolPrePing })
        const session = new Session({ bind: engine })
        expect(await session.query(Role).count()).toBe(0)
        await session.close()
        expect(proxy.resets).toBe(5)
        expect(await backends(db)).toHaveLength(1)
      })

      it('commits a write after the server terminated all 5 connections idle for longer than 5 s (the BEGIN heals)', async () => {
        const { db, engine, proxy } = await poolOfDeadConnections(5, { poolSize: 3, maxOverflow: 2, poolPrePing })
        // Idle drops come after minutes of silence: past ANSWERED_WITHIN_MS, a lone write keeps its BEGIN by default.
        vi.useFakeTimers({ toFake: ['Date'] })
        cleanups.push(async () => void vi.useRealTimers())
        vi.setSystemTime(Date.now() + ANSWERED_WITHIN_MS + 1)
        const session = new Session({ bind: engine })
        session.add(new Role({ name: 'after terminate' }))
        await session.commit()
        await session.close()
        expect(proxy.resets).toBe(5)
        expect(await db.readRows('SELECT name FROM "Role"')).toEqual([{ name: 'after terminate' }])
      })
    })
  }

  // The trade singleStatementCommits makes: the BEGIN it saves is the round trip that heals, and a write is never sent twice.
  // By default that trade is made only when the connection the write gets answered within ANSWERED_WITHIN_MS, as here:
  // these connections died unseen moments after they answered (a server restart behind a proxy).
  it.each([
    ['with singleStatementCommits: true', { singleStatementCommits: true }],
    ['by default, when the dead connections answered within the last 5 s', {}],
  ])('%s, a lone write on a dead connection raises ConnectionLostError, stores nothing, and the retry commits', async (_, options: EngineOptions) => {
    const { db, engine, proxy } = await poolOfDeadConnections(5, { poolSize: 3, maxOverflow: 2, ...options })
    const session = new Session({ bind: engine })
    session.add(new Role({ name: 'after terminate' }))
    await expect(session.commit()).rejects.toThrow(ConnectionLostError)
    expect(proxy.resets).toBe(1)
    expect(await db.readRows('SELECT name FROM "Role"')).toEqual([])
    // Another dead connection may answer the retry too; a request's retry loop sends it again until one works.
    await retryUntilCommitted(session, 'after terminate', 5)
    await session.close()
    expect(await db.readRows('SELECT name FROM "Role"')).toEqual([{ name: 'after terminate' }])
  })
})

describe.runIf(DIALECTS.includes('mysql'))('on mysql', () => {
  /** The engine's connections to the test database, as the server lists them (the asking one left out). */
  async function mysqlBackends(target: TestDatabase): Promise<number[]> {
    const rows = await target.readRows<{ id: number }>('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID() ORDER BY ID')
    return rows.map((row) => Number(row.id))
  }

  /**
   * A test database, and an engine on it behind a proxy that keeps the server's closing of a connection from
   * the pool until it next writes, whose 3 pooled connections the server then killed. The wall clock stands
   * still from before the connections were last used (the mariadb pool dates their use with it), so each
   * test says how long they sat idle.
   */
  async function poolOfKilledConnections(): Promise<{ db: TestDatabase; engine: Engine; proxy: LateNewsProxy }> {
    const db = await createTestDatabase({}, 'mysql')
    cleanups.push(() => db.dispose())
    const proxy = await startLateNewsProxy(db.url)
    cleanups.push(() => proxy.close())
    vi.useFakeTimers({ toFake: ['Date'] })
    cleanups.push(async () => void vi.useRealTimers())
    const engine = createEngine(proxy.url, { poolSize: 3, maxOverflow: 0 })
    cleanups.push(() => engine.dispose())
    await openConnections(engine, 3)
    const ids = await mysqlBackends(db)
    expect(ids).toHaveLength(3)
    proxy.holdServerNews()
    for (const id of ids) await db.execute(`KILL ${id}`)
    await vi.waitFor(async () => expect(await mysqlBackends(db)).toEqual([]))
    return { db, engine, proxy }
  }

  // singleStatementCommits is on by default on MySQL: the BEGIN it saves is not what heals there, the mariadb
  // pool pings each connection idle for more than 0.5 s (its minDelayValidation) before it hands it out.
  it('sends a lone write alone after the server killed every connection idle for over 0.5 s unseen: the pool pings each dead one and replaces it', async () => {
    const { db, engine, proxy } = await poolOfKilledConnections()
    vi.setSystemTime(Date.now() + 600)
    const session = new Session({ bind: engine })
    session.add(new Role({ name: 'after kill' }))
    expect(await statementsSent(engine, () => session.commit())).toEqual(['INSERT INTO "Role" ("name") VALUES (?)'])
    await session.close()
    expect(proxy.resets).toBe(3)
    expect(await db.readRows('SELECT name FROM "Role"')).toEqual([{ name: 'after kill' }])
  })

  // The trade, as on PostgreSQL: a connection killed within 0.5 s of its last use is handed out without a ping.
  it('a lone write on a connection killed within 0.5 s of its last use raises ConnectionLostError, stores nothing, and the retry commits', async () => {
    const { db, engine, proxy } = await poolOfKilledConnections()
    const session = new Session({ bind: engine })
    session.add(new Role({ name: 'after kill' }))
    expect(await statementsSent(engine, () => expect(session.commit()).rejects.toThrow(ConnectionLostError))).toEqual(['INSERT INTO "Role" ("name") VALUES (?) -- failed'])
    expect(proxy.resets).toBe(1)
    expect(await db.readRows('SELECT name FROM "Role"')).toEqual([])
    // Each dead connection fails one attempt; a request's retry loop sends it again until a fresh one is opened.
    await retryUntilCommitted(session, 'after kill', 3)
    await session.close()
    expect(await db.readRows('SELECT name FROM "Role"')).toEqual([{ name: 'after kill' }])
  })
})

describe.runIf(DIALECTS.includes('sqlite'))('on sqlite', () => {
  /** The better-sqlite3 handle under a SQLite driver connection (the driver keeps it as `db`). */
  const handleOf = (connection: DriverConnection) => (connection as unknown as { db: Database.Database }).db

  it('with poolPrePing, replaces every idle handle closed behind the pool, each at its checkout', async () => {
    const db = await createTestDatabase({ poolSize: 3, maxOverflow: 0, poolPrePing: true }, 'sqlite')
    cleanups.push(() => db.dispose())
    const dead = await Promise.all([db.engine.connect(), db.engine.connect(), db.engine.connect()])
    for (const connection of dead) await db.engine.release(connection)
    for (const connection of dead) handleOf(connection).close()

    const sessions = dead.map(() => new Session({ bind: db.engine }))
    expect(await Promise.all(sessions.map((session) => session.query(Role).count()))).toEqual([0, 0, 0])
    await Promise.all(sessions.map((session) => session.close()))
    const now = await Promise.all([db.engine.connect(), db.engine.connect(), db.engine.connect()])
    expect(now.filter((connection) => dead.includes(connection))).toEqual([])
    expect(now.map((connection) => handleOf(connection).open)).toEqual([true, true, true])
    for (const connection of now) await db.engine.release(connection)
  })
})
