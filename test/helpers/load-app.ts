// An Express app under load for db.session tests: overlapping real HTTP requests through expressScope, each adding a role, with what each session saw sent back.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import express, { type NextFunction, type Request, type Response } from 'express'
import { afterAll, beforeAll, expect, vi } from 'vitest'
import { createDb, type Db, type ScopeHandle, type Session } from 'prismalchemy'
import { Role, registry } from '../../generated/models.js'
import { expressScope } from '../../runtime/middleware/express.js'
import { createTestDatabase, type TestDatabase } from './database.js'
import type { TestDialect } from './dialects.js'

/** Requests in flight at once (the client's keep-alive sockets). */
export const CONCURRENCY = 100
/** Names within this distance of a request's own number are what it looks for after its flush. */
const WINDOW = 50

/** What a request does after adding its role. */
export type Outcome = 'commit' | 'fail-before-flush' | 'fail-after-flush'

/** Deterministic by request number: 3 in 5 commit, 1 in 5 throws after `add`, 1 in 5 throws after `flush` (holding SQLite's write lock; on PostgreSQL, an uncommitted row). */
export function outcomeOf(n: number): Outcome {
  const r = n % 5
  return r === 2 ? 'fail-before-flush' : r === 4 ? 'fail-after-flush' : 'commit'
}

/** What one request's session saw, sent back in the response body (201 or 500). */
export interface Observed {
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

/**
 * Requests with an even number commit in the handler (`db.session.commit()`); odd ones leave it to
 * the middleware (`commitOnTeardown`, which commits after a response below 400 and rolls back otherwise).
 */
export function pathOf(run: string, n: number, hold = 0): string {
  return `/${n % 2 === 0 ? 'explicit' : 'teardown'}/runs/${run}/roles/${n}?hold=${hold}`
}

/** Runs `work(i)` for i in [from, to) with at most `concurrency` calls pending. */
export async function fire<T>(from: number, to: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
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

/** Scopes the middleware opened and ended, counted by wrapping `db.session.open()`; `live` must drain to empty. */
export interface ScopeCounts {
  opened: number
  ended: number
  endedWithSession: number
  maxLive: number
  readonly live: Set<ScopeHandle>
}

/** The app of one dialect, its database and what its requests observed; started and stopped by {@link useLoadApp}'s hooks. */
export class LoadApp {
  database!: TestDatabase
  db!: Db<typeof registry.classes>
  /** Sessions handed to a second request (a leak between scopes), as messages. */
  readonly sharedSessions: string[] = []
  readonly teardownErrors: unknown[] = []
  readonly scopes: ScopeCounts = { opened: 0, ended: 0, endedWithSession: 0, maxLive: 0, live: new Set() }
  maxInFlight = 0
  private inFlight = 0
  /** Sessions already handed to a request; a second request getting one of them is a leak between scopes. */
  private readonly sessionOwners = new WeakMap<Session, string>()
  private server: http.Server | undefined
  private agent: http.Agent | undefined
  private port = 0

  constructor(readonly dialect: TestDialect) {}

  /** Creates the database with one role `base`, and listens on a free port. */
  async start(): Promise<void> {
    this.database = await createTestDatabase({}, this.dialect)
    this.db = createDb(registry, { url: this.database.url, poolSize: 5, maxOverflow: 10 })
    await this.db.Session.begin((session) => session.add(new Role({ name: 'base' })))
    this.trackScopes()
    const server = this.buildApp().listen(0, '127.0.0.1')
    this.server = server
    await new Promise<void>((resolve) => server.once('listening', resolve))
    this.port = (server.address() as AddressInfo).port
    this.agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  }

  /** Closes the server, the db and the database. */
  async stop(): Promise<void> {
    this.agent?.destroy()
    this.server?.closeAllConnections()
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)))
    await this.db?.dispose()
    await this.database?.dispose()
  }

  /** One POST on the keep-alive agent; resolves with the status and the parsed body. */
  post(path: string): Promise<{ status: number; body: Partial<Observed> & { error?: string } }> {
    return new Promise((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port: this.port, path, method: 'POST', agent: this.agent }, (response) => {
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

  /** The names of the run's roles in the database, read with a plain driver connection (better-sqlite3, pg or mariadb). */
  async committedNames(run: string): Promise<Set<string>> {
    const rows = await this.database.readRows<{ name: string }>(`SELECT "name" FROM "Role" WHERE "name" LIKE '${run}-%'`)
    return new Set(rows.map((row) => row.name))
  }

  /** Waits until every scope the middleware opened has ended (teardown runs after the response is sent). */
  async drained(): Promise<void> {
    await vi.waitFor(() => expect(this.scopes.live.size).toBe(0), { timeout: 10_000, interval: 10 })
  }

  private trackScopes(): void {
    const scoped = this.db.session
    const open = scoped.open.bind(scoped)
    const scopes = this.scopes
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

  /** POST /runs/:run/roles/:n: read, add the role `run-n`, then commit or fail as {@link outcomeOf} says; reply with what the session saw. */
  private roleRoutes(commitInHandler: boolean): express.Router {
    const router = express.Router()
    const db = this.db
    router.post('/runs/:run/roles/:n', async (req, res) => {
      const run = String(req.params.run)
      const n = Number(req.params.n)
      const name = `${run}-${n}`
      const session = db.session.current
      if (this.sessionOwners.has(session)) this.sharedSessions.push(`${name} got the session of ${this.sessionOwners.get(session)}`)
      this.sessionOwners.set(session, name)

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

  private buildApp(): express.Express {
    const app = express()
    app.use((_req, res, next) => {
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight)
      res.once('close', () => this.inFlight--)
      next()
    })
    const onTeardownError = (error: unknown) => this.teardownErrors.push(error)
    app.use('/explicit', expressScope(this.db, { onTeardownError }), this.roleRoutes(true))
    app.use('/teardown', expressScope(this.db, { commitOnTeardown: true, onTeardownError }), this.roleRoutes(false))
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const observed = error instanceof RequestFailed ? error.observed : undefined
      res.status(500).json({ error: String(error), ...observed })
    })
    return app
  }
}

/** Registers the calling suite's hooks that start a {@link LoadApp} on `dialect` before its tests and stop it after them. */
export function useLoadApp(dialect: TestDialect): LoadApp {
  const app = new LoadApp(dialect)
  beforeAll(() => app.start())
  afterAll(() => app.stop())
  return app
}
