// Request scopes over real HTTP in Express, Fastify, Koa and Hono: one db.session per request, ended exactly once.
import { EventEmitter } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest'
import { createDb, inspect, NoScopeError, NotFoundError, UniqueViolationError, type Db, type Session } from 'prismalchemy'
import { registry, Role } from '../../generated/models.js'
import { expressScope } from '../../runtime/middleware/express.js'
import { fastifyScope } from '../../runtime/middleware/fastify.js'
import { honoScope } from '../../runtime/middleware/hono.js'
import { koaScope } from '../../runtime/middleware/koa.js'
import type { ScopeMiddlewareOptions } from '../../runtime/middleware/request-scope.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS } from '../helpers/dialects.js'

type AppDb = Db<typeof registry.classes>

/** The database and `db` object of the dialect under test, set by its `describe` block's `beforeAll`. */
let database: TestDatabase
let db: AppDb

// ---------------------------------------------------------------------------------------------
// What the handlers report to the test: framework-independent, shared by every app.

/** A promise the test resolves. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const probe = {
  /** Sessions the handlers of /wait and /hold used, in arrival order. */
  sessions: [] as Session[],
  /** A spy on each handed-out session's close(): teardown calls it exactly once. */
  closes: new Map<Session, MockInstance>(),
  /** What `db.session` gave (or threw) after the handler's gate opened, or in a timer after the response. */
  after: [] as unknown[],
  release: gate(),
}

function resetProbe(): void {
  probe.sessions = []
  probe.closes = new Map()
  probe.after = []
  probe.release = gate()
}

/** The current request's session, with a spy on its close(). */
function watchedSession(): Session {
  const session = db.session.current
  if (!probe.closes.has(session)) probe.closes.set(session, vi.spyOn(session, 'close'))
  return session
}

/** Records what `db.session` is now: the Session, or the error it raises. */
function recordCurrent(): void {
  try {
    probe.after.push(db.session.current)
  } catch (error) {
    probe.after.push(error)
  }
}

interface Input {
  readonly params: Record<string, string>
  readonly body: { name?: string; fail?: boolean; duplicate?: boolean } | undefined
}

interface Route {
  readonly method: 'GET' | 'POST'
  readonly path: string
  readonly handler: (input: Input) => Promise<unknown>
}

/** db.session everywhere in the handler's async call tree. */
async function sameSessionEverywhere(): Promise<unknown> {
  const first = db.session.current
  await db.session.query(Role).count()
  const afterAwait = db.session.current
  const inTimer = await new Promise<Session>((resolve) => setTimeout(() => resolve(db.session.current), 1))
  const fanOut = await Promise.all([1, 2, 3].map(async (ms) => (await sleep(ms), db.session.current)))
  const emitter = new EventEmitter()
  const inListener = new Promise<Session>((resolve) => emitter.once('ready', () => resolve(db.session.current)))
  setTimeout(() => emitter.emit('ready'), 1)
  const seen = [afterAwait, inTimer, ...fanOut, await inListener]
  return { same: seen.every((session) => session === first), checks: seen.length }
}

const routes: readonly Route[] = [
  { method: 'GET', path: '/same', handler: sameSessionEverywhere },
  // Behind a body parser: the JSON body is read in stream callbacks before the handler runs.
  { method: 'POST', path: '/same', handler: sameSessionEverywhere },
  {
    // Uses the session (a read checks out a connection), then waits for the test.
    method: 'GET',
    path: '/wait/:name',
    handler: async ({ params }) => {
      const session = watchedSession()
      probe.sessions.push(session)
      db.session.add(new Role({ name: params.name }))
      await db.session.query(Role).count()
      await probe.release.promise
      recordCurrent()
      return { name: params.name }
    },
  },
  {
    // Writes (holding SQLite's write lock; a row lock on PostgreSQL), then waits for the test.
    method: 'GET',
    path: '/hold/:name',
    handler: async ({ params }) => {
      const session = watchedSession()
      probe.sessions.push(session)
      db.session.add(new Role({ name: params.name }))
      await db.session.flush()
      await probe.release.promise
      recordCurrent()
      return { name: params.name }
    },
  },
  {
    method: 'POST',
    path: '/roles',
    handler: async ({ body }) => {
      watchedSession()
      const role = new Role({ name: String(body?.name) })
      db.session.add(role)
      if (body?.duplicate) return { pending: inspect(role).state } // the commit at teardown will fail
      await db.session.flush()
      if (body?.fail) throw new Error('the handler failed after flushing')
      return { id: role.id }
    },
  },
  {
    method: 'GET',
    path: '/roles/:id',
    handler: async ({ params }) => {
      watchedSession()
      const role = await db.getOr404(Role, Number(params.id))
      return { name: role.name }
    },
  },
  {
    method: 'GET',
    path: '/late',
    handler: async () => {
      watchedSession()
      await db.session.query(Role).count()
      setTimeout(recordCurrent, 50)
      return { ok: true }
    },
  },
]

// ---------------------------------------------------------------------------------------------
// One small app per framework, all serving `routes` behind the framework's scope middleware.

interface RunningApp {
  readonly url: string
  close(): Promise<void>
}

type AppFactory = (options: ScopeMiddlewareOptions) => Promise<RunningApp>

function listening(server: http.Server): Promise<RunningApp> {
  return new Promise((resolve) => {
    const ready = () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    }
    if (server.listening) ready()
    else server.once('listening', ready)
  })
}

const expressApp: AppFactory = async (options) => {
  const app = express()
  app.set('env', 'test') // no error logging by the default handler
  app.use(expressScope(db, options))
  app.use(express.json()) // after the scope: body-parser resumes the request in its async context
  for (const route of routes) {
    const method = route.method === 'GET' ? 'get' : 'post'
    app[method](route.path, async (req, res) => {
      res.json(await route.handler({ params: req.params as Record<string, string>, body: req.body as Input['body'] }))
    })
  }
  return listening(app.listen(0, '127.0.0.1'))
}

const fastifyApp: AppFactory = async (options) => {
  const app = Fastify()
  await app.register(fastifyScope(db, options))
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.path,
      handler: (request) => route.handler({ params: request.params as Record<string, string>, body: request.body as Input['body'] }),
    })
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() }
}

/** `/roles/:id` against `/roles/7`: the parameters, or undefined when the path does not match. */
function match(pattern: string, path: string): Record<string, string> | undefined {
  const expected = pattern.split('/')
  const actual = path.split('/')
  if (expected.length !== actual.length) return undefined
  const params: Record<string, string> = {}
  for (const [i, part] of expected.entries()) {
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(actual[i])
    else if (part !== actual[i]) return undefined
  }
  return params
}

async function readJson(request: http.IncomingMessage): Promise<Input['body']> {
  let text = ''
  for await (const chunk of request) text += String(chunk)
  return text === '' ? undefined : (JSON.parse(text) as Input['body'])
}

const koaApp: AppFactory = async (options) => {
  const app = new Koa()
  app.silent = true // no error logging by the default handler
  app.use(koaScope(db, options))
  app.use(async (ctx) => {
    for (const route of routes) {
      const params = route.method === ctx.method ? match(route.path, ctx.path) : undefined
      if (params === undefined) continue
      const body = ctx.method === 'POST' ? await readJson(ctx.req) : undefined
      ctx.body = await route.handler({ params, body })
      return
    }
  })
  return listening(app.listen(0, '127.0.0.1'))
}

const honoApp: AppFactory = async (options) => {
  const app = new Hono()
  app.use(honoScope(db, options))
  for (const route of routes) {
    app.on(route.method, route.path, async (c) => {
      const body = route.method === 'POST' ? await c.req.json<Input['body']>() : undefined
      return c.json(await route.handler({ params: c.req.param() as Record<string, string>, body }))
    })
  }
  return listening(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as http.Server)
}

// ---------------------------------------------------------------------------------------------
// The client: plain node:http on a fresh connection per request, so a test can cut it.

interface Reply {
  readonly status: number
  readonly body: string
}

function send(url: string, options: { method?: string; json?: unknown; bodyDelayMs?: number } = {}): { reply: Promise<Reply>; request: http.ClientRequest } {
  const payload = options.json === undefined ? undefined : JSON.stringify(options.json)
  const request = http.request(url, {
    method: options.method ?? 'GET',
    agent: false,
    headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
  })
  const reply = new Promise<Reply>((resolve, reject) => {
    request.once('error', reject)
    request.once('response', (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.once('end', () => resolve({ status: response.statusCode ?? 0, body }))
      response.once('error', reject)
    })
  })
  if (options.bodyDelayMs === undefined) request.end(payload)
  else {
    // Headers first, the body in a later packet: the server reads it in a later stream callback.
    request.flushHeaders()
    setTimeout(() => request.end(payload), options.bodyDelayMs)
  }
  return { reply, request }
}

const get = (url: string) => send(url).reply
const post = (url: string, json: unknown) => send(url, { method: 'POST', json }).reply

/** Role names in the database, read with a session outside the app's pool. */
async function committedRoleNames(...names: string[]): Promise<string[]> {
  const session = database.session()
  try {
    const roles = await session.query(Role).where({ name: { in: names } }).all()
    return roles.map((role) => role.name).sort()
  } finally {
    await session.close()
  }
}

/** Waits until `session` was closed exactly once and no connection is checked out, then checks it stays so. */
async function expectEndedOnce(session: Session | undefined): Promise<void> {
  expect(session).toBeDefined()
  const close = probe.closes.get(session as Session)
  await vi.waitFor(() => expect(close).toHaveBeenCalledTimes(1))
  await vi.waitFor(() => expect(db.engine.poolStatus().checkedOut).toBe(0))
  await sleep(20)
  expect(close).toHaveBeenCalledTimes(1)
}

let nameCounter = 0
const uniqueName = (prefix: string) => `${prefix}-${++nameCounter}`

// ---------------------------------------------------------------------------------------------

const frameworks: ReadonlyArray<{ name: string; start: AppFactory }> = [
  { name: 'express', start: expressApp },
  { name: 'fastify', start: fastifyApp },
  { name: 'koa', start: koaApp },
  { name: 'hono', start: honoApp },
]

describe.each(DIALECTS)('on %s', (dialect) => {
  beforeAll(async () => {
    database = await createTestDatabase({}, dialect)
    db = createDb(registry, { url: database.url })
  })

  afterAll(async () => {
    await db.dispose()
    await database.dispose()
  })

  describe.each(frameworks)('$name', ({ start }) => {
    const teardownErrors: unknown[] = []
    const onTeardownError = (error: unknown) => teardownErrors.push(error)
    let plain: RunningApp
    let committing: RunningApp

    beforeAll(async () => {
      plain = await start({ onTeardownError })
      committing = await start({ commitOnTeardown: true, onTeardownError })
    })

    afterAll(async () => {
      await plain.close()
      await committing.close()
    })

    beforeEach(() => {
      resetProbe()
      teardownErrors.length = 0
      // Hono's default error handler logs every error it answers; keep the test output clean.
      vi.spyOn(console, 'error').mockImplementation(() => undefined)
    })

    afterEach(async () => {
      probe.release.open()
      vi.restoreAllMocks()
      await vi.waitFor(() => expect(db.engine.poolStatus().checkedOut).toBe(0))
    })

    it('gives the handler one session across awaits, timers, Promise.all and event listeners', async () => {
      const reply = await get(`${plain.url}/same`)
      expect(reply.status).toBe(200)
      expect(JSON.parse(reply.body)).toEqual({ same: true, checks: 6 })
    })

    it('keeps the scope behind a JSON body parser', async () => {
      const reply = await post(`${plain.url}/same`, { name: 'unused' })
      expect(reply.status).toBe(200)
      expect(JSON.parse(reply.body)).toEqual({ same: true, checks: 6 })
    })

    it('keeps the scope when the JSON body arrives after the headers', async () => {
      const reply = await send(`${plain.url}/same`, { method: 'POST', json: { name: 'unused' }, bodyDelayMs: 30 }).reply
      expect(reply.status).toBe(200)
      expect(JSON.parse(reply.body)).toEqual({ same: true, checks: 6 })
    })

    it('gives concurrent requests different sessions', async () => {
      const first = get(`${plain.url}/wait/${uniqueName('a')}`)
      const second = get(`${plain.url}/wait/${uniqueName('b')}`)
      await vi.waitFor(() => expect(probe.sessions).toHaveLength(2))
      expect(probe.sessions[0]).not.toBe(probe.sessions[1])
      expect(db.engine.poolStatus().checkedOut).toBe(2)
      probe.release.open()
      expect((await first).status).toBe(200)
      expect((await second).status).toBe(200)
      // After its wait, each handler still had its own session.
      expect(new Set(probe.after)).toEqual(new Set(probe.sessions))
      await expectEndedOnce(probe.sessions[0])
      await expectEndedOnce(probe.sessions[1])
    })

    it('ends the scope once after a successful response and rolls back what was not committed', async () => {
      const name = uniqueName('ok')
      const reply = await post(`${plain.url}/roles`, { name })
      expect(reply.status).toBe(200)
      await expectEndedOnce([...probe.closes.keys()][0])
      expect(await committedRoleNames(name)).toEqual([])
      expect(teardownErrors).toEqual([])
    })

    it('ends the scope once after a thrown error (500)', async () => {
      const reply = await post(`${plain.url}/roles`, { name: uniqueName('boom'), fail: true })
      expect(reply.status).toBe(500)
      await expectEndedOnce([...probe.closes.keys()][0])
      expect(teardownErrors).toEqual([])
    })

    it('ends the scope once when the client goes away while the handler waits', async () => {
      const name = uniqueName('abort')
      const { reply, request } = send(`${committing.url}/hold/${name}`)
      reply.catch(() => undefined)
      await vi.waitFor(() => expect(probe.sessions).toHaveLength(1))
      expect(db.engine.poolStatus().checkedOut).toBe(1)
      request.destroy()
      // Rolled back and released while the handler is still waiting.
      await expectEndedOnce(probe.sessions[0])
      expect(probe.after).toEqual([])
      probe.release.open()
      await vi.waitFor(() => expect(probe.after).toHaveLength(1))
      expect(probe.after[0]).toBeInstanceOf(NoScopeError)
      expect(probe.closes.get(probe.sessions[0])).toHaveBeenCalledTimes(1)
      expect(await committedRoleNames(name)).toEqual([])
      expect(teardownErrors).toEqual([])
    })

    it('with commitOnTeardown, commits after a successful response', async () => {
      const name = uniqueName('commit')
      const reply = await post(`${committing.url}/roles`, { name })
      expect(reply.status).toBe(200)
      await expectEndedOnce([...probe.closes.keys()][0])
      expect(await committedRoleNames(name)).toEqual([name])
      expect(teardownErrors).toEqual([])
    })

    it('with commitOnTeardown, rolls back after a thrown error', async () => {
      const name = uniqueName('rollback')
      const reply = await post(`${committing.url}/roles`, { name, fail: true })
      expect(reply.status).toBe(500)
      await expectEndedOnce([...probe.closes.keys()][0])
      expect(await committedRoleNames(name)).toEqual([])
      expect(teardownErrors).toEqual([])
    })

    it('with commitOnTeardown, reports a failed commit to onTeardownError and still closes the session', async () => {
      const name = uniqueName('dup')
      expect((await post(`${committing.url}/roles`, { name })).status).toBe(200)
      await vi.waitFor(async () => expect(await committedRoleNames(name)).toEqual([name]))
      resetProbe()
      const reply = await post(`${committing.url}/roles`, { name, duplicate: true })
      expect(reply.status).toBe(200)
      await expectEndedOnce([...probe.closes.keys()][0])
      expect(teardownErrors).toHaveLength(1)
      expect(teardownErrors[0]).toBeInstanceOf(UniqueViolationError)
    })

    it('answers NotFoundError from db.getOr404 with 404', async () => {
      const reply = await get(`${committing.url}/roles/999`)
      expect(reply.status).toBe(404)
      expect(reply.body).toContain('Role 999 was not found.')
      await expectEndedOnce([...probe.closes.keys()][0])
      expect(teardownErrors).toEqual([])
    })

    it('raises NoScopeError in a timer that outlives the request', async () => {
      expect((await get(`${plain.url}/late`)).status).toBe(200)
      await vi.waitFor(() => expect(probe.after).toHaveLength(1))
      expect(probe.after[0]).toBeInstanceOf(NoScopeError)
      expect((probe.after[0] as NoScopeError).message).toContain('after its scope ended')
    })
  })

  describe('outside any request', () => {
    it('db.session raises NoScopeError', async () => {
      expect(() => db.session.current).toThrow(NoScopeError)
      expect(() => db.session.add(new Role({ name: 'nowhere' }))).toThrow(NoScopeError)
      await expect(db.getOr404(Role, 1)).rejects.toThrow(NoScopeError)
      expect(() => Role.query).toThrow(NoScopeError)
    })
  })
})

describe('NotFoundError', () => {
  it('carries the status the frameworks read', () => {
    const error = NotFoundError.of('Role 1')
    expect([error.status, error.statusCode, error.expose]).toEqual([404, 404, true])
  })
})
