// Same bytes as Prisma, on SQLite, PostgreSQL and MySQL: every scalar type written through a session reads identically through a real PrismaClient, and back.
import Database from 'better-sqlite3'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Decimal, type Session } from 'prismalchemy'
import { Plan, Post, Role, User } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS } from '../helpers/dialects.js'
import { loadPrismaClient, type PrismaClientLike } from '../helpers/prisma-client.js'

const values = {
  email: 'ann@example.com',
  plan: Plan.PRO,
  active: false,
  quota: 9007199254740993n,
  score: 1.5,
  balance: new Decimal('12.25'),
  settings: { theme: 'dark', sizes: [1, 2], nested: { ok: true, none: null } },
  avatar: new Uint8Array([0, 1, 255]),
  createdAt: new Date('2024-01-02T03:04:05.678Z'),
}

describe.each(DIALECTS)('on %s', (dialect) => {
  let openClient: (url: string) => PrismaClientLike
  let db: TestDatabase
  let client: PrismaClientLike
  let session: Session

  beforeAll(async () => {
    openClient = await loadPrismaClient('schema/schema.prisma', dialect)
  }, 120_000)

  beforeEach(async () => {
    db = await createTestDatabase({}, dialect)
    client = openClient(db.url)
    session = db.session()
  })

  afterEach(async () => {
    await session.close()
    await client.$disconnect()
    await db.dispose()
  })

  /**
   * Every column of `users` as stored, but `created_at`'s value (a default differs by the clock). Storage
   * differs per database: SQLite keeps a storage class per value, so each comes with `typeof()` and its
   * literal; PostgreSQL and MySQL columns have fixed types, so each comes as its text form (MySQL's JSON,
   * a LONGTEXT on MariaDB, keeps the text written).
   */
  async function storedUsers(): Promise<Record<string, unknown>[]> {
    if (dialect === 'mysql') {
      return db.readRows(
        `SELECT username, email, plan, CAST(active AS CHAR) AS active, CAST(quota AS CHAR) AS quota, CAST(score AS CHAR) AS score,
                CAST(balance AS CHAR) AS balance, settings, HEX(avatar) AS avatar FROM users ORDER BY username`,
      )
    }
    if (dialect === 'postgresql') {
      return db.readRows(
        `SELECT username, email, plan::text, active::text, quota::text, score::text, balance::text, settings::text,
                encode(avatar, 'hex') AS avatar FROM users ORDER BY username`,
      )
    }
    const raw = new Database(db.url.slice('file:'.length), { readonly: true })
    raw.defaultSafeIntegers(true)
    try {
      return raw
        .prepare(
          `SELECT username, typeof(email) te, email, plan, typeof(active) ta, active, typeof(quota) tq, quota, typeof(score) ts, score,
                  typeof(balance) tb, balance, typeof(settings) tj, settings, typeof(avatar) tav, hex(avatar) avatar,
                  typeof(created_at) tc FROM users ORDER BY username`,
        )
        .all() as Record<string, unknown>[]
    } finally {
      raw.close()
    }
  }

  describe('values written through a session', () => {
    it('read back identically through PrismaClient', async () => {
      const admin = new Role({ name: 'admin' })
      session.add(new User({ username: 'ann', role: admin, ...values }))
      await session.commit()
      const fromPrisma = await client.user.findUnique({ where: { username: 'ann' }, include: { role: true } })
      expect(fromPrisma.email).toBe(values.email)
      expect(fromPrisma.plan).toBe('PRO')
      expect(fromPrisma.active).toBe(false)
      expect(fromPrisma.quota).toBe(9007199254740993n)
      expect(fromPrisma.score).toBe(1.5)
      expect(fromPrisma.balance.toString()).toBe('12.25')
      expect(fromPrisma.settings).toEqual(values.settings)
      expect(Array.from(fromPrisma.avatar as Uint8Array)).toEqual([0, 1, 255])
      expect(fromPrisma.createdAt.toISOString()).toBe('2024-01-02T03:04:05.678Z')
      expect(fromPrisma.updatedAt).toBeInstanceOf(Date)
      expect(fromPrisma.role.name).toBe('admin')
    })

    it('are stored with the same storage classes and literals as PrismaClient stores them', async () => {
      session.add(new User({ username: 'ann', ...values }))
      await session.commit()
      await client.user.create({ data: { username: 'bob', ...values, avatar: Buffer.from(values.avatar) } })
      const [ann, bob] = await storedUsers()
      expect({ ...ann, username: undefined }).toEqual({ ...bob, username: undefined })
      // The same instant, stored the same way by both.
      expect(await db.readRows("SELECT created_at FROM users WHERE username = 'ann'")).toEqual(await db.readRows("SELECT created_at FROM users WHERE username = 'bob'"))
      // SQLite: a DateTime is stored as text, as Prisma does (on PostgreSQL the column's type decides).
      if (dialect === 'sqlite') expect(ann.tc).toBe('text')
    })

    it('store the same defaults as PrismaClient for unset fields', async () => {
      session.add(new User({ username: 'ann' }))
      await session.commit()
      await client.user.create({ data: { username: 'bob' } })
      const [ann, bob] = await storedUsers()
      expect({ ...ann, username: undefined }).toEqual({ ...bob, username: undefined })
    })
  })

  describe('values written through PrismaClient', () => {
    it('read back identically through a session', async () => {
      await client.user.create({
        data: { username: 'ann', ...values, avatar: Buffer.from(values.avatar), role: { create: { name: 'admin' } }, posts: { create: [{ title: 'hi' }] } },
      })
      const ann = (await session.query(User).filterBy({ username: 'ann' }).one())!
      expect(ann.email).toBe(values.email)
      expect(ann.plan).toBe('PRO')
      expect(ann.active).toBe(false)
      expect(ann.quota).toBe(9007199254740993n)
      expect(ann.score).toBe(1.5)
      expect(ann.balance).toBeInstanceOf(Decimal)
      expect(ann.balance.toString()).toBe('12.25')
      expect(ann.settings).toEqual(values.settings)
      expect(ann.avatar).toEqual(values.avatar)
      expect(ann.createdAt.toISOString()).toBe('2024-01-02T03:04:05.678Z')
      expect((await ann.role)?.name).toBe('admin')
      expect((await ann.posts.all()).map((post: Post) => post.title)).toEqual(['hi'])
    })

    it('are seen by a session after PrismaClient updates them (after commit the row is re-read)', async () => {
      session.add(new User({ username: 'ann' }))
      await session.commit()
      const ann = (await session.query(User).one())!
      await session.commit()
      await client.user.update({ where: { username: 'ann' }, data: { score: 7.25, active: false } })
      const again = (await session.query(User).one())!
      expect(again).toBe(ann)
      expect(ann.score).toBe(7.25)
      expect(ann.active).toBe(false)
    })
  })
})
