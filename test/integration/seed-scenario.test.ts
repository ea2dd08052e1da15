// The seed scenario over real HTTP with Express: an uncommitted request and a committing one in flight at once.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest'
import { createDb, inspect, type Db, type Session } from 'prismalchemy'
import { registry, Role } from '../../generated/models.js'
import { expressScope } from '../../runtime/middleware/express.js'
import type { Scope } from '../../runtime/orm/scope-registry.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS } from '../helpers/dialects.js'

interface Deferred {
  promise: Promise<void>
  resolve: () => void
}

function deferred(): Deferred {
  let resolve!: () => void
  const promise = new Promise<void>((done) => (resolve = done))
  return { promise, resolve }
}

describe.each(DIALECTS)('on %s', (dialect) => {
  let database: TestDatabase
  let db: Db<typeof registry.classes>
  let server: http.Server
  let baseUrl: string

  /** What /add1 did, for the assertions after its response. */
  let add1: { session: Session; close: MockInstance; scope: Scope; role: Role } | undefined
  let add2Scope: Scope | undefined
  let add1Arrived: Deferred
  let releaseAdd1: Deferred
  const teardownErrors: unknown[] = []

  beforeAll(async () => {
    database = await createTestDatabase({}, dialect)
    db = createDb(registry, { url: database.url })
    const app = express()
    app.set('env', 'test')
    app.use(expressScope(db, { onTeardownError: (error) => teardownErrors.push(error) }))
    app.post('/add1', async (req, res) => {
      const session = db.session.current
      const role = new Role({ name: String(req.query.name ?? 'add1') })
      db.session.add(role)
      if (req.query.flush === '1') await db.session.flush() // locks until the scope ends: SQLite's write lock, PostgreSQL's lock on the new unique name
      add1 = { session, close: vi.spyOn(session, 'close'), scope: db.session.registry.current(), role }
      add1Arrived.resolve()
      await releaseAdd1.promise
      res.json({ state: inspect(role).state })
    })
    app.post('/add2', async (req, res) => {
      add2Scope = db.session.registry.current()
      db.session.add(new Role({ name: String(req.query.name ?? 'add2') }))
      await db.session.commit()
      res.json({ committed: true })
    })
    server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await db.dispose()
    await database.dispose()
  })

  beforeEach(() => {
    add1 = undefined
    add2Scope = undefined
    add1Arrived = deferred()
    releaseAdd1 = deferred()
    teardownErrors.length = 0
  })

  async function post(path: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${baseUrl}${path}`, { method: 'POST' })
    return { status: response.status, body: await response.json() }
  }

  async function committedNames(): Promise<string[]> {
    const session = database.session()
    try {
      return (await session.query(Role).all()).map((role) => role.name).sort()
    } finally {
      await session.close()
    }
  }

  /** After both requests: add1 rolled back and closed once, nothing checked out, no scope left holding a session. */
  async function expectCleanTeardown(): Promise<void> {
    expect(add1).toBeDefined()
    const { close, scope, role } = add1!
    await vi.waitFor(() => expect(close).toHaveBeenCalledTimes(1))
    await vi.waitFor(() => expect(db.engine.poolStatus().checkedOut).toBe(0))
    expect(inspect(role).state).toBe('transient') // the rollback discarded the pending insert
    for (const ended of [scope, add2Scope]) {
      expect(ended?.ended).toBe(true)
      expect(ended?.session).toBeUndefined()
    }
    expect(db.session.registry.find()).toBeUndefined()
    expect(db.session.registry.global).toBeUndefined()
    expect(teardownErrors).toEqual([])
  }

  describe('seed scenario: /add1 adds and waits without committing, /add2 adds and commits', () => {
    it('keeps only /add2 row; /add1 is rolled back and closed at teardown', async () => {
      const first = post('/add1?name=s1-add1')
      await add1Arrived.promise
      const second = await post('/add2?name=s1-add2') // completes while /add1 is still in flight
      expect(second).toEqual({ status: 200, body: { committed: true } })
      expect(add1!.close).not.toHaveBeenCalled()
      expect(inspect(add1!.role).state).toBe('pending')
      releaseAdd1.resolve()
      expect(await first).toEqual({ status: 200, body: { state: 'pending' } })
      await expectCleanTeardown()
      expect(await committedNames()).toEqual(['s1-add2'])
    })

    it('when /add1 flushed, its teardown releases the lock that /add2 waits for', async () => {
      // Both add the same name, so /add2 waits on PostgreSQL too (for the uncommitted unique key), not only on SQLite's write lock.
      const first = post('/add1?name=s2-same&flush=1')
      await add1Arrived.promise
      const second = post('/add2?name=s2-same') // its commit waits for /add1's lock
      await vi.waitFor(() => expect(db.engine.poolStatus().checkedOut).toBe(2))
      releaseAdd1.resolve()
      expect((await first).status).toBe(200)
      expect(await second).toEqual({ status: 200, body: { committed: true } })
      await expectCleanTeardown()
      expect(await committedNames()).toEqual(['s1-add2', 's2-same'])
    })
  })
})
