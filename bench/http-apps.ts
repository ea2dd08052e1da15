/** The HTTP benchmark's app, built four ways on Express: prismalchemy's middleware + db.session, db.Session.begin, plain PrismaClient, and the raw driver (the ceiling). */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import type { PrismaPg } from '@prisma/adapter-pg'
import express, { type NextFunction, type Request, type Response } from 'express'
import { expressScope } from 'prismalchemy/express'
import { db } from '../generated/db.js'
import { Role, User } from '../generated/models.js'
import { benchDbOf } from './db-option.js'
import { generatePrismaClient, prismaAdapterFor } from './prisma-peer.js'

/** Names of the implementations, in report order. */
export const HTTP_APP_NAMES = ['prismalchemy', 'pa-no-scope', 'prisma', 'raw'] as const

/** One implementation of the app. */
export type HttpAppName = (typeof HTTP_APP_NAMES)[number]

/** What `POST /users` takes: a new username and the name of an existing role. */
export interface NewUserBody {
  readonly username: string
  readonly role: string
}

/** What `POST /users` answers with status 201. */
export interface CreatedUser {
  readonly id: number
  readonly username: string
  readonly roleId: number | null
}

/** A ready app and how to inspect and close what it opened. */
export interface HttpApp {
  readonly app: express.Express
  /** Facts for the report: the database layer and, for prismalchemy, the pool figures. */
  stats(): Record<string, unknown>
  close(): Promise<void>
}

/** The parts of a generated PrismaClient (prisma-client-js) the app calls. */
interface PrismaClientLike {
  $connect(): Promise<void>
  $disconnect(): Promise<void>
  $queryRawUnsafe(sql: string): Promise<unknown>
  role: { findUnique(args: { where: { name: string } }): Promise<{ id: number; name: string } | null> }
  user: { create(args: { data: { username: string; roleId: number } }): Promise<CreatedUser> }
}

/** Express with the JSON body parser, the routes added by `routes`, and a JSON error handler. */
function expressApp(routes: (app: express.Express) => void): express.Express {
  const app = express()
  app.disable('x-powered-by')
  app.disable('etag')
  app.use(express.json())
  routes(app)
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: String(error) })
  })
  return app
}

function noSuchRole(res: Response, name: string): void {
  res.status(404).json({ error: `no role named ${JSON.stringify(name)}` })
}

/** prismalchemy as documented for web apps: the request-scope middleware and `db.session`. */
function prismalchemyApp(url: string): HttpApp {
  db.configure({ url })
  const app = expressApp((app) => {
    app.use(expressScope(db))
    app.post('/users', async (req, res) => {
      const body = req.body as NewUserBody
      const role = await db.session.query(Role).filterBy({ name: body.role }).oneOrNone()
      if (role === null) return noSuchRole(res, body.role)
      const user = new User({ username: body.username, role })
      db.session.add(user)
      await db.session.commit()
      res.status(201).json({ id: user.id, username: user.username, roleId: user.roleId } satisfies CreatedUser)
    })
  })
  return { app, stats: () => ({ pool: db.engine.poolStatus() }), close: () => db.dispose() }
}

/** prismalchemy without the request scope: an explicit unit of work per request (`db.Session.begin`). */
function prismalchemyNoScopeApp(url: string): HttpApp {
  db.configure({ url })
  const app = expressApp((app) => {
    app.post('/users', async (req, res) => {
      const body = req.body as NewUserBody
      const created = await db.Session.begin(async (session) => {
        const role = await session.query(Role).filterBy({ name: body.role }).oneOrNone()
        if (role === null) return null
        const user = new User({ username: body.username, role })
        session.add(user)
        await session.flush()
        return { id: user.id, username: user.username, roleId: user.roleId } satisfies CreatedUser
      })
      if (created === null) return noSuchRole(res, body.role)
      res.status(201).json(created)
    })
  })
  return { app, stats: () => ({ pool: db.engine.poolStatus() }), close: () => db.dispose() }
}

/** Plain PrismaClient 7 with `@prisma/adapter-better-sqlite3` or `@prisma/adapter-pg`: `role.findUnique`, then `user.create`. */
async function prismaApp(url: string): Promise<HttpApp> {
  const db = benchDbOf(url)
  const require = createRequire(import.meta.url)
  const { PrismaClient } = require(join(generatePrismaClient(db), 'index.js')) as {
    PrismaClient: new (options: { adapter: PrismaBetterSqlite3 | PrismaPg }) => PrismaClientLike
  }
  const prisma = new PrismaClient({ adapter: prismaAdapterFor(url) })
  await prisma.$connect()
  // Same durability as prismalchemy's SQLite connections (the bench peers do the same).
  if (db === 'sqlite') await prisma.$queryRawUnsafe('PRAGMA synchronous = NORMAL')
  const app = expressApp((app) => {
    app.post('/users', async (req, res) => {
      const body = req.body as NewUserBody
      const role = await prisma.role.findUnique({ where: { name: body.role } })
      if (role === null) return noSuchRole(res, body.role)
      const user = await prisma.user.create({ data: { username: body.username, roleId: role.id } })
      res.status(201).json({ id: user.id, username: user.username, roleId: user.roleId } satisfies CreatedUser)
    })
  })
  return { app, stats: () => ({}), close: () => prisma.$disconnect() }
}

/**
 * The raw driver behind the same Express app: better-sqlite3 on one connection, or a pg.Pool, sending the
 * SQL prismalchemy sends (the raw peers of the in-process benchmark). No data layer can serve this app
 * faster, so its rate bounds what any layer can reach against PrismaClient.
 */
async function rawApp(url: string): Promise<HttpApp> {
  const peer = benchDbOf(url) === 'sqlite' ? new (await import('./raw-peer.js')).RawPeer(url.slice('file:'.length)) : new (await import('./raw-pg-peer.js')).RawPgPeer(url)
  const app = expressApp((app) => {
    app.post('/users', async (req, res) => {
      const body = req.body as NewUserBody
      const created = await peer.addUserToNamedRole(body.username, body.role)
      if (created === null) return noSuchRole(res, body.role)
      res.status(201).json(created satisfies CreatedUser)
    })
  })
  return { app, stats: () => ({}), close: () => peer.close() }
}

/**
 * Builds one implementation of the app on the database at `url` (a `file:` or `postgresql://` URL). Every implementation answers
 * `POST /users` with a {@link NewUserBody}: it gets the role by name, adds the user, commits, and
 * replies 201 with a {@link CreatedUser} (404 for an unknown role, 500 for any error).
 */
export async function createHttpApp(name: HttpAppName, url: string): Promise<HttpApp> {
  switch (name) {
    case 'prismalchemy':
      return prismalchemyApp(url)
    case 'pa-no-scope':
      return prismalchemyNoScopeApp(url)
    case 'prisma':
      return prismaApp(url)
    case 'raw':
      return rawApp(url)
  }
}
