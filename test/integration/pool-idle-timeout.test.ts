// poolIdleTimeout: connections idle longer than it are closed (PostgreSQL backends, SQLite handles), so an idle service holds none; the next checkout opens a new one.
import type Database from 'better-sqlite3'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ConfigurationError, createEngine, Session, type Engine } from 'prismalchemy'
import { Role } from '../../generated/models.js'
import type { DriverConnection } from '../../runtime/engine/driver.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, type TestDialect } from '../helpers/dialects.js'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const cleanups: (() => Promise<void>)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function database(dialect: TestDialect, options: Parameters<typeof createTestDatabase>[0]): Promise<TestDatabase> {
  const created = await createTestDatabase(options, dialect)
  cleanups.push(() => created.dispose())
  return created
}

/** Opens `count` server connections at once (sessions each inside a transaction, held together), then returns them to the pool. */
async function openConnections(engine: Engine, count: number): Promise<void> {
  const sessions = Array.from({ length: count }, () => new Session({ bind: engine }))
  await Promise.all(
    sessions.map(async (session, n) => {
      session.add(new Role({ name: `warm ${n}` }))
      await session.flush()
    }),
  )
  await Promise.all(sessions.map((session) => session.close()))
}

/** Backends of the test database other than the asking one. */
async function backends(target: TestDatabase): Promise<number[]> {
  const rows = await target.readRows<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY pid')
  return rows.map((row) => row.pid)
}

/** The better-sqlite3 handle under a SQLite driver connection (the driver keeps it as `db`). */
function handleOf(connection: DriverConnection): Database.Database {
  return (connection as unknown as { db: Database.Database }).db
}

describe.runIf(DIALECTS.includes('postgresql'))('on postgresql', () => {
  it('closes every idle backend after poolIdleTimeout, and the next checkout opens a new one', async () => {
    const db = await database('postgresql', { poolSize: 5, maxOverflow: 10, poolIdleTimeout: 0.3 })
    await openConnections(db.engine, 7)
    const opened = await backends(db)
    expect(opened).toHaveLength(7)
    expect(db.engine.poolStatus()).toMatchObject({ checkedOut: 0, idle: 5 })

    await vi.waitFor(async () => expect(await backends(db)).toEqual([]), { timeout: 3_000, interval: 100 })
    expect(db.engine.poolStatus()).toMatchObject({ checkedOut: 0, idle: 0 })

    const session = new Session({ bind: db.engine })
    session.add(new Role({ name: 'after idle' }))
    await session.commit()
    await session.close()
    const now = await backends(db)
    expect(now).toHaveLength(1)
    expect(opened).not.toContain(now[0])
  })

  it('keeps poolSize backends open while idle without it', async () => {
    const db = await database('postgresql', { poolSize: 5, maxOverflow: 10 })
    await openConnections(db.engine, 5)
    await sleep(600)
    expect(await backends(db)).toHaveLength(5)
  })
})

describe.runIf(DIALECTS.includes('sqlite'))('on sqlite', () => {
  it('closes idle handles after poolIdleTimeout, and the next checkout opens a new one', async () => {
    const { engine } = await database('sqlite', { poolSize: 3, maxOverflow: 0, poolIdleTimeout: 0.1 })
    const held = await Promise.all([engine.connect(), engine.connect(), engine.connect()])
    for (const connection of held) await engine.release(connection)
    expect(engine.poolStatus().idle).toBe(3)

    await vi.waitFor(() => expect(held.map((connection) => handleOf(connection).open)).toEqual([false, false, false]), { timeout: 2_000 })
    expect(engine.poolStatus()).toMatchObject({ checkedOut: 0, idle: 0 })

    const next = await engine.connect()
    expect(held).not.toContain(next)
    expect(handleOf(next).open).toBe(true)
    await engine.release(next)
    const session = new Session({ bind: engine })
    expect(await session.query(Role).count()).toBe(0)
    await session.close()
  })
})

describe('poolIdleTimeout validation', () => {
  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number])('refuses %s with a ConfigurationError naming the option', (value) => {
    let error: unknown
    try {
      createEngine('file:./never-opened.db', { poolIdleTimeout: value })
    } catch (thrown) {
      error = thrown
    }
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error).toMatchObject({ code: 'configuration' })
    expect((error as Error).message).toContain('Option "poolIdleTimeout" has the value')
    expect((error as Error).message).toContain('expected a number of seconds > 0, or -1 for never')
  })

  it('takes -1 as never', async () => {
    const { engine } = await database('sqlite', { poolIdleTimeout: -1 })
    await engine.release(await engine.connect())
    await sleep(50)
    expect(engine.poolStatus().idle).toBe(1)
  })
})
