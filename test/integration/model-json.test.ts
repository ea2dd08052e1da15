// JSON out (issue 13, item 7): JSON.stringify(model) writes column values as Prisma's JSON protocol does (checked against
// Prisma's own serializer), toJSON({ include }) adds loaded relationships without loading any, util.inspect prints a short repr.
import { inspect as utilInspect } from 'node:util'
import { serializeJsonQuery } from '@prisma/client/runtime/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Decimal, InvalidRequestError, loadOnly, selectinload, type Session } from 'prismalchemy'
import { Comment, Post, Role, User } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { inSession as inSessionOf } from '../helpers/in-session.js'
import { DIALECTS, type TestDialect } from '../helpers/dialects.js'
import { loadPrismaClient, type PrismaClientLike } from '../helpers/prisma-client.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const CREATED = new Date('2024-03-01T12:34:56.789Z')

/** The user row with a value of every scalar kind, as JSON: what JSON.stringify(user) must give. */
const ANN_JSON = {
  id: 1,
  username: 'ann',
  email: null,
  roleId: 1,
  plan: 'PRO',
  active: true,
  quota: '9007199254740993',
  score: 2.5,
  balance: '0.0000001',
  settings: { theme: 'dark', sizes: [1, 2], nested: { on: true } },
  avatar: 'AQID/w==',
  createdAt: '2024-03-01T12:34:56.789Z',
}

/** A value of Prisma's JSON protocol without its type tag (`{ $type: 'BigInt', value: '1' }` is `'1'`; Json is parsed). */
function untagged(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || !('$type' in value)) return value
  const { $type, value: inner } = value as { $type: string; value: unknown }
  return $type === 'Json' ? JSON.parse(inner as string) : inner
}

/** What Prisma's own JSON protocol writes for `row`'s values (as the data of a create), untagged: the outside oracle. */
function prismaProtocolJSON(client: PrismaClientLike, model: string, row: Record<string, unknown>): Record<string, unknown> {
  const query = serializeJsonQuery({
    modelName: model,
    action: 'create',
    args: { data: row } as Parameters<typeof serializeJsonQuery>[0]['args'],
    runtimeDataModel: client._runtimeDataModel,
    extensions: client._extensions,
    clientMethod: `${model.toLowerCase()}.create`,
    clientVersion: 'test',
    errorFormat: 'minimal',
    previewFeatures: [],
  })
  const data = (query.query.arguments as { data: Record<string, unknown> }).data
  return Object.fromEntries(Object.entries(data).map(([name, value]) => [name, untagged(value)]))
}

describe.each(DIALECTS)('on %s', (dialect: TestDialect) => {
  let database: TestDatabase
  let client: PrismaClientLike

  beforeAll(async () => {
    database = await createTestDatabase({}, dialect)
    const seeding = database.session()
    const admin = new Role({ name: 'admin' })
    const ann = new User({
      username: 'ann',
      role: admin,
      plan: 'PRO',
      quota: 9007199254740993n,
      score: 2.5,
      balance: new Decimal('0.0000001'),
      settings: { theme: 'dark', sizes: [1, 2], nested: { on: true } },
      avatar: new Uint8Array([1, 2, 3, 255]),
      createdAt: CREATED,
    })
    const post = new Post({ title: 'hello', body: 'text', author: ann })
    seeding.addAll([admin, ann, post, new Comment({ body: 'first!', post, createdAt: CREATED }), new Comment({ body: 'second', post, createdAt: CREATED })])
    await seeding.commit()
    await seeding.close()
    client = (await loadPrismaClient('schema/schema.prisma', dialect))(database.url)
  })

  afterAll(async () => {
    await client?.$disconnect()
    await database.dispose()
  })

  /** Runs `work` in a new session, always closed. */
  const inSession = (work: (session: Session) => Promise<void>) => inSessionOf(database, work)

  it('JSON.stringify(user) writes every scalar kind as Prisma JSON protocol does, the same as Prisma serialises the row read by PrismaClient', () =>
    inSession(async (session) => {
      const ann = (await session.get(User, 1))!
      const json = JSON.parse(JSON.stringify(ann)) as Record<string, unknown>
      const { updatedAt, ...rest } = json
      expect(rest).toEqual(ANN_JSON)
      expect(updatedAt).toBe(ann.updatedAt.toISOString())
      const row = (await client.user.findUnique({ where: { id: 1 } })) as Record<string, unknown>
      expect(json).toEqual(prismaProtocolJSON(client, 'User', row))
      expect(ann.toJSON()).toEqual(json)
    }))

  it('toJSON({ include }) adds loaded relationships with no SQL; one not loaded is left out', () =>
    inSession(async (session) => {
      const post = (await session.get(Post, 1))!
      let json: Record<string, unknown> = {}
      const sql = await capturedSql(database.engine, async () => {
        json = post.toJSON({ include: ['author', 'comments'] })
      })
      expect(sql).toEqual([])
      expect(json).toEqual({ id: 1, title: 'hello', body: 'text', published: false, views: 0, authorId: 1 })
      await post.comments
      expect(post.toJSON({ include: ['comments'] }).comments).toEqual([
        { id: 1, body: 'first!', likes: 0, postId: 1, createdAt: '2024-03-01T12:34:56.789Z' },
        { id: 2, body: 'second', likes: 0, postId: 1, createdAt: '2024-03-01T12:34:56.789Z' },
      ])
    }))

  it('nested includes follow loaded relationships of related objects; a null to-one is null', () =>
    inSession(async (session) => {
      const [post] = await session.query(Post).options(selectinload('author.role'), selectinload('comments')).all()
      const json = post.toJSON({ include: { comments: true, author: { include: ['role'] } } })
      expect(json.author?.role).toEqual({ id: 1, name: 'admin' })
      expect(json.author?.username).toBe('ann')
      expect(json.comments?.map((comment) => comment.body)).toEqual(['first!', 'second'])
      const loner = new User({ username: 'loner', role: null })
      expect(loner.toJSON({ include: ['role'] })).toEqual({ username: 'loner', role: null })
    }))

  it('includes _count when the object was loaded with counts', () =>
    inSession(async (session) => {
      const [post] = await session.query(Post).withCount('comments').all()
      expect(JSON.parse(JSON.stringify(post))).toMatchObject({ id: 1, _count: { comments: 2 } })
      expect(post.toJSON()._count).toEqual({ comments: 2 })
    }))

  it('refuses a dynamic or unknown relationship in include, with named errors', () =>
    inSession(async (session) => {
      const ann = (await session.get(User, 1))!
      // @ts-expect-error posts is dynamic: a query, never included
      expect(() => ann.toJSON({ include: ['posts'] })).toThrow(expect.objectContaining({ code: 'dynamic_in_json' }))
      // @ts-expect-error no such relationship
      expect(() => ann.toJSON({ include: ['nope'] })).toThrow(InvalidRequestError)
      // @ts-expect-error no such relationship
      expect(() => ann.toJSON({ include: ['nope'] })).toThrow(expect.objectContaining({ code: 'unknown_json_relationship' }))
    }))

  it('console.log / util.inspect print the class and loaded columns, with the state when not persistent', () =>
    inSession(async (session) => {
      const admin = (await session.get(Role, 1))!
      expect(utilInspect(admin)).toBe("Role { id: 1, name: 'admin' }")
      expect(utilInspect([admin])).toBe("[ Role { id: 1, name: 'admin' } ]")
      const guest = new Role({ name: 'guest' })
      expect(utilInspect(guest)).toBe("Role (transient) { name: 'guest' }")
      session.add(guest)
      expect(utilInspect(guest)).toBe("Role (pending) { name: 'guest' }")
      const [post] = await session.query(Post).options(loadOnly('title')).all()
      expect(utilInspect(post)).toBe("Post { id: 1, title: 'hello' }")
      expect(utilInspect({ deep: { post } }, { depth: 1 })).toBe('{ deep: { post: [Post] } }')
    }))
})
