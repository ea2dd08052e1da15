// Under load: overlapping real HTTP requests through expressScope and db.session each see only their own session and rows; memory stays flat.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import v8 from 'node:v8'
import vm from 'node:vm'
import express, { type NextFunction, type Request, type Response } from 'express'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createDb, type Db, type ScopeHandle, type Session } from 'prismalchemy'
import { Role, registry } from '../../generated/models.js'
import { expressScope } from '../../runtime/middleware/express.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS } from '../helpers/dialects.js'

/** Requests in flight at once (the client's keep-alive sockets). */
const CONCURRENCY = 100
/** Names within this distance of a request's own number are what it looks for after its flush. */
const WINDOW = 50

type Outcome = 'commit' | 'fail-before-flush' | 'fail-after-flush'

/** Deterministic by request number: 3 in 5 commit, 1 in 5 throws after `add`, 1 in 5 throws after `flush` (holding SQLite's write lock; on PostgreSQL, an uncommitted row). */
function outcomeOf(n: number): Outcome {
  const r = n % 5
  return r === 2 ? 'fail-before-flush' : r === 4 ? 'fail-after-flush' : 'commit'
}

/** What one request's session saw, sent back in the response body (201 or 500). */
interface Observed {
  readonly name: string
  /** `db.session.new` right after `add`, as names: only this request's role. */
  readonly pending: string[]
  /** Roles named run-(n-WINDOW .. n+WINDOW) visible in this session after its flush. */
  readonly seen: string[]
  /** `db.session.current` was the same Session before and after every await. */
  readonly sameSession: boolean
}

class RequestFailed extends Error {
  constructor(readonly observed: Observed) {
    super(`request ${observed.name} failed on purpose`)
  }
}

// The state of the dialect under test, set afresh by its `describe` block's `beforeAll`.
let database: TestDatabase
let db: Db<typeof registry.classes>
let server: http.Server
let agent: http.Agent
let port: number

/** Sessions already handed to a request; a second request getting one of them is a leak between scopes. */
const sessionOwners = new WeakMap<Session, string>()
let sharedSessions: string[] = []
let teardownErrors: unknown[] = []
let inFlight = 0
let maxInFlight = 0

/** Counts scopes the middleware opens and ends, by wrapping `db.session.open()`; `live` must drain to empty. */
let scopes = { opened: 0, ended: 0, endedWithSession: 0, maxLive: 0, live: new Set<ScopeHandle>() }

function trackScopes(): void {
  const scoped = db.session
  const open = scoped.open.bind(scoped)
  scoped.open = () => {
    const handle = open()
    scopes.opened++
    scopes.live.add(handle)
    scopes.maxLive = Math.max(scopes.maxLive, scopes.live.size)
    return {
      scope: handle.scope,
      run: handle.run,
      end: async (options) => {
        try {
          await handle.end(options)
        } finally {
          if (scopes.live.delete(handle)) scopes.ended++
          if (handle.scope.session !== undefined) scopes.endedWithSession++
        }
      },
    }
  }
}

/**
 * Requests with an even number commit in the handler (`db.session.commit()`); odd ones leave it to
 * the middleware (`commitOnTeardown`, which commits after a response below 400 and rolls back otherwise).
 */
function pathOf(run: string, n: number, hold = 0): string {
  return `/${n % 2 === 0 ? 'explicit' : 'teardown'}/runs/${run}/roles/${n}?hold=${hold}`
}

/** POST /runs/:run/roles/:n: read, add the role `run-n`, then commit or fail as {@link outcomeOf} says; reply with what the session saw. */
function roleRoutes(commitInHandler: boolean): express.Router {
  const router = express.Router()
  router.post('/runs/:run/roles/:n', async (req, res) => {
    const run = String(req.params.run)
    const n = Number(req.params.n)
    const name = `${run}-${n}`
    const session = db.session.current
    if (sessionOwners.has(session)) sharedSessions.push(`${name} got the session of ${sessionOwners.get(session)}`)
    sessionOwners.set(session, name)

    await db.session.query(Role).filterBy({ name: 'base' }).one()
    const role = new Role({ name })
    db.session.add(role)
    const pending = db.session.new.map((obj) => (obj as Role).name)
    // Hold the session (and its pooled connection) a while, so requests overlap between add and flush.
    await sleep(Number(req.query.hold ?? 0) + (n % 4))
    const outcome = outcomeOf(n)
    if (outcome === 'fail-before-flush') throw new RequestFailed({ name, pending, seen: [], sameSession: db.session.current === session })
    await db.session.flush()
    const window = Array.from({ length: 2 * WINDOW + 1 }, (_, i) => `${run}-${n - WINDOW + i}`)
    const seen = (await db.session.query(Role).where({ name: { in: window } }).all()).map((r) => r.name).sort()
    const observed: Observed = { name, pending, seen, sameSession: db.session.current === session }
    if (outcome === 'fail-after-flush') throw new RequestFailed(observed)
    if (commitInHandler) await db.session.commit()
    res.status(201).json(observed)
  })
  return router
}

function buildApp(): express.Express {
  const app = express()
  app.use((_req, res, next) => {
    maxInFlight = Math.max(maxInFlight, ++inFlight)
    res.once('close', () => inFlight--)
    next()
  })
  const onTeardownError = (error: unknown) => teardownErrors.push(error)
  app.use('/explicit', expressScope(db, { onTeardownError }), roleRoutes(true))
  app.use('/teardown', expressScope(db, { commitOnTeardown: true, onTeardownError }), roleRoutes(false))
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const observed = error instanceof RequestFailed ? error.observed : undefined
    res.status(500).json({ error: String(error), ...observed })
  })
  return app
}

/** One POST on the keep-alive agent; resolves with the status and the parsed body. */
function post(path: string): Promise<{ status: number; body: Partial<Observed> & { error?: string } }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) })
        } catch (error) {
          reject(error)
        }
      })
      response.on('error', reject)
    })
    request.on('error', reject)
    request.end()
  })
}

/** Runs `work(i)` for i in [from, to) with at most `concurrency` calls pending. */
async function fire<T>(from: number, to: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(to - from)
  let next = from
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < to) {
        const i = next++
        results[i - from] = await work(i)
      }
    }),
  )
  return results
}

/** The names of the run's roles in the database, read with a plain driver connection (better-sqlite3 or pg). */
async function committedNames(run: string): Promise<Set<string>> {
  const rows = await database.readRows<{ name: string }>(`SELECT "name" FROM "Role" WHERE "name" LIKE '${run}-%'`)
  return new Set(rows.map((row) => row.name))
}

/** Waits until every scope the middleware opened has ended (teardown runs after the response is sent). */
async function drained(): Promise<void> {
  await vi.waitFor(() => expect(scopes.live.size).toBe(0), { timeout: 10_000, interval: 10 })
}

describe.each(DIALECTS)('on %s', (dialect) => {
  beforeAll(async () => {
    sharedSessions = []
    teardownErrors = []
    inFlight = 0
    maxInFlight = 0
    scopes = { opened: 0, ended: 0, endedWithSession: 0, maxLive: 0, live: new Set() }
    database = await createTestDatabase({}, dialect)
    db = createDb(registry, { url: database.url, poolSize: 5, maxOverflow: 10 })
    await db.Session.begin((session) => session.add(new Role({ name: 'base' })))
    trackScopes()
    server = buildApp().listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', resolve))
    port = (server.address() as AddressInfo).port
    agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  })

  afterAll(async () => {
    agent?.destroy()
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
    await db?.dispose()
    await database?.dispose()
  })

  describe('db.session under load', () => {
    it('keeps 500 overlapping requests apart: each sees only its own session and rows, exactly the committed rows remain', { timeout: 60_000 }, async () => {
      const count = 500
      const responses = await fire(0, count, CONCURRENCY, (n) => post(pathOf('load', n, 30)))
      await drained()

      expect(scopes.maxLive).toBeGreaterThanOrEqual(CONCURRENCY / 2)
      const expectedNames = new Set<string>()
      let sawOthers = 0
      responses.forEach(({ status, body }, n) => {
        const name = `load-${n}`
        const outcome = outcomeOf(n)
        expect(status, `${name}: ${body.error}`).toBe(outcome === 'commit' ? 201 : 500)
        expect(body.name).toBe(name)
        expect(body.pending).toEqual([name])
        expect(body.sameSession).toBe(true)
        if (outcome === 'commit') expectedNames.add(name)
        if (outcome === 'fail-before-flush') return
        expect(body.seen).toContain(name)
        const others = body.seen!.filter((seen) => seen !== name)
        // Another request's uncommitted (later rolled-back) row is never visible.
        expect(others.filter((other) => outcomeOf(Number(other.split('-')[1])) !== 'commit'), name).toEqual([])
        sawOthers += others.length
      })
      expect(sawOthers).toBeGreaterThan(0) // committed rows of other requests are visible, so the check above is not vacuous
      expect(sharedSessions).toEqual([])
      expect(teardownErrors).toEqual([])

      expect(await committedNames('load')).toEqual(expectedNames)
      expect(scopes).toMatchObject({ opened: count, ended: count, endedWithSession: 0 })
      expect(scopes.live.size).toBe(0)
      expect(db.session.registry.find()).toBeUndefined()
      expect(db.session.hasSession).toBe(false)
      expect(db.engine.poolStatus()).toMatchObject({ checkedOut: 0, waiting: 0 })
      console.log(`${dialect} load: ${count} requests, up to ${maxInFlight} in flight and ${scopes.maxLive} scopes open at once, ${expectedNames.size} committed; pool ${JSON.stringify(db.engine.poolStatus())}`)
    })

    it('keeps memory flat across 10,000 requests', { timeout: 120_000 }, async () => {
      v8.setFlagsFromString('--expose-gc')
      const gc = vm.runInNewContext('gc') as () => void
      const heapAfterGc = async () => {
        await drained()
        for (let i = 0; i < 3; i++) {
          gc()
          await new Promise((resolve) => setImmediate(resolve))
        }
        return process.memoryUsage()
      }
      const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(2)
      const total = 10_000
      const step = 2_000
      const started = performance.now()
      const statuses = new Map<number, number>()
      const samples: { requests: number; heapUsed: number; rss: number }[] = []
      for (let from = 0; from < total; from += step) {
        const batch = await fire(from, from + step, CONCURRENCY, async (n) => {
          const { status } = await post(pathOf('mem', n))
          return status === (outcomeOf(n) === 'commit' ? 201 : 500)
        })
        statuses.set(from, batch.filter((ok) => !ok).length)
        const usage = await heapAfterGc()
        samples.push({ requests: from + step, heapUsed: usage.heapUsed, rss: usage.rss })
      }
      const seconds = (performance.now() - started) / 1000
      const growth = samples.at(-1)!.heapUsed - samples[0].heapUsed
      console.log(
        `${dialect} memory: ${total} requests in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} req/s, ${CONCURRENCY} in flight); heapUsed after GC at ` +
          samples.map((s) => `${s.requests}: ${mb(s.heapUsed)} MB`).join(', ') +
          `; growth ${step}->${total}: ${mb(growth)} MB; rss ${mb(samples[0].rss)} -> ${mb(samples.at(-1)!.rss)} MB`,
      )

      expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(0) // every request got its expected status
      expect((await committedNames('mem')).size).toBe(Array.from({ length: total }, (_, n) => outcomeOf(n)).filter((o) => o === 'commit').length)
      expect(scopes.live.size).toBe(0)
      expect(scopes.ended).toBe(scopes.opened)
      expect(scopes.endedWithSession).toBe(0)
      expect(sharedSessions).toEqual([])
      expect(teardownErrors).toEqual([])
      expect(db.engine.poolStatus()).toMatchObject({ checkedOut: 0, waiting: 0 })
      // 4 MB over 8,000 requests is ~500 bytes each: keeping even the closed, empty Session of every request (~850 bytes) fails this.
      expect(growth).toBeLessThan(4 * 2 ** 20)
    })
  })
})
