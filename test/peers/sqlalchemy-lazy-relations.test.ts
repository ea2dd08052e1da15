// SQLAlchemy's test/orm/test_lazy_relations.py, ported: `select` relationships load on first (awaited) access, from the identity map when they can.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DetachedInstanceError, inspect, joinedload, lazyload, selectinload, Session } from 'prismalchemy'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { DIALECTS, normalizeSql } from '../helpers/dialects.js'
import { capturedSql } from '../helpers/sql-recorder.js'
import { peerModels, type PeerModels } from './fixtures.js'

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = any

const ids = (objects: readonly Obj[]): number[] => objects.map((obj) => obj.id).sort((a, b) => a - b)

/** One-to-one (the foreign key unique), composite many-to-one and a self-referential tree with children. */
const EXTRA_SCHEMA = `datasource db {
  provider = "sqlite"
}

model Owner {
  id      Int      @id
  name    String
  address Place?
}

model Place {
  id      Int    @id
  ownerId Int?   @unique
  email   String
  owner   Owner? @relation(fields: [ownerId], references: [id])
}

model A {
  id1  Int
  id2  Int
  bs   B[]
  rbs  BReversed[]
  @@id([id1, id2])
}

model B {
  id   Int  @id
  aId1 Int?
  aId2 Int?
  a    A?   @relation(fields: [aId1, aId2], references: [id1, id2])
}

model BReversed {
  id   Int  @id
  aId1 Int?
  aId2 Int?
  a    A?   @relation(fields: [aId2, aId1], references: [id2, id1])
}

model Tree {
  id       Int     @id @default(autoincrement())
  parentId Int?
  parent   Tree?   @relation("parent", fields: [parentId], references: [id])
  children Tree[]  @relation("parent")
  leaves   Leaf[]
}

model Leaf {
  id     Int   @id @default(autoincrement())
  treeId Int?
  tree   Tree? @relation(fields: [treeId], references: [id])
}
`

/**
 * The schema on MySQL: BReversed's key (aId2, aId1) -> A(id2, id1) needs an index on A's columns in that order
 * (InnoDB's rule), and Prisma's schema engine adds none (its MySQL push fails with errno 150 "Foreign key
 * constraint is incorrectly formed"), so there A also has a unique (id2, id1), the fix Prisma's users write.
 */
const EXTRA_SCHEMA_MYSQL = EXTRA_SCHEMA.replace('  @@id([id1, id2])\n', '  @@id([id1, id2])\n  @@unique([id2, id1])\n')

describe.each(DIALECTS)('on %s', (dialect) => {
  let models: PeerModels
  let cascading: PeerModels
  let extra: InlineModels
  let session: Session | undefined

  beforeAll(async () => {
    models = await peerModels('sa-lazy', dialect)
    cascading = await peerModels('sa-lazy-orphan', dialect, { cascade: { 'User.addresses': 'delete, delete-orphan' } })
    extra = await inlineModels('sa-lazy-extra', dialect === 'mysql' ? EXTRA_SCHEMA_MYSQL : EXTRA_SCHEMA, dialect)
    await models.seed()
    await cascading.seed()
  })

  afterAll(async () => {
    await models.dispose()
    await cascading.dispose()
    await extra.dispose()
  })

  afterEach(async () => {
    await session?.close()
    session = undefined
  })

  const open = (options: { autoflush?: boolean } = {}, on: { engine: PeerModels['engine'] } = models): Session => {
    session = new Session({ bind: on.engine, ...options })
    return session
  }

  /** Statements `work` runs, SELECTs only (no BEGIN), with `?` placeholders. */
  const selects = async (work: () => Promise<unknown>, on: { engine: PeerModels['engine'] } = models) =>
    (await capturedSql(on.engine, work)).map(normalizeSql).filter((text) => text.startsWith('SELECT'))

  describe('LazyTest', () => {
    // test_lazy_relations.py::LazyTest::test_basic
    it('loads a user\'s addresses on first access', async () => {
      const { User } = models.classes
      const s = open()
      const users = await s.query(User).where({ id: 7 }).all()
      expect(users.map((u: Obj) => u.id)).toEqual([7])
      expect((await users[0].addresses).map((a: Obj) => [a.id, a.emailAddress])).toEqual([[1, 'jack@bean.com']])
    })

    /** Each user (by id) with the emails of its addresses, loaded lazily with one SELECT per user, on fixture models whose `User.addresses` declares `orderBy`. */
    const addressesInDeclaredOrder = async (orderBy: string) => {
      const ordered = await peerModels(`sa-lazy-orderby-${orderBy.includes('desc') ? 'desc' : 'asc'}`, dialect, { lazy: { 'User.addresses': 'select' }, orderBy: { 'User.addresses': orderBy } })
      try {
        await ordered.seed()
        const s = open({}, ordered)
        const users = await s.query(ordered.classes.User).orderBy({ id: 'asc' }).all()
        const byUser: Record<number, string[]> = {}
        const sql = await selects(async () => {
          for (const user of users) byUser[user.id] = (await user.addresses).map((a: Obj) => a.emailAddress)
        }, ordered)
        return { byUser, sql }
      } finally {
        await session?.close()
        session = undefined
        await ordered.dispose()
      }
    }

    // test_lazy_relations.py::LazyTest::test_orderby
    it('loads a collection in the order the relationship declares (@orderBy(emailAddress))', async () => {
      const { byUser, sql } = await addressesInDeclaredOrder('emailAddress')
      expect(byUser).toEqual({ 7: ['jack@bean.com'], 8: ['ed@bettyboop.com', 'ed@lala.com', 'ed@wood.com'], 9: ['fred@fred.com'], 10: [] })
      expect(sql).toHaveLength(4)
      for (const text of sql) expect(text).toMatch(/FROM "addresses" WHERE "user_id" = \? ORDER BY "email_address" ASC$/)
    })

    // test_lazy_relations.py::LazyTest::test_orderby_desc
    it('loads a collection in a declared descending order (@orderBy(emailAddress: desc))', async () => {
      const { byUser, sql } = await addressesInDeclaredOrder('emailAddress: desc')
      expect(byUser).toEqual({ 7: ['jack@bean.com'], 8: ['ed@wood.com', 'ed@lala.com', 'ed@bettyboop.com'], 9: ['fred@fred.com'], 10: [] })
      expect(sql[0]).toMatch(/ ORDER BY "email_address" DESC$/)
    })

    // test_lazy_relations.py::LazyTest::test_needs_parent
    it('raises DetachedInstanceError when the owner has left the session', async () => {
      const { User } = models.classes
      const s = open()
      const u = await s.query(User).where({ id: 7 }).first()
      s.expunge(u)
      await expect(u.addresses).rejects.toBeInstanceOf(DetachedInstanceError)
    })

    // test_lazy_relations.py::LazyTest::test_no_orphan
    it('a lazily loaded child of a delete-orphan collection is not an orphan', async () => {
      const { User, Address } = cascading.classes
      const s = open({}, cascading)
      const user = await s.get(User, 7)
      const [address] = await user.addresses
      expect(await address.user).toBe(user)
      const sql = await capturedSql(cascading.engine, () => s.flush())
      expect(sql.filter((text) => text.startsWith('DELETE'))).toEqual([])
      expect(await s.get(Address, 1)).toBe(address)
      expect(inspect(address).persistent).toBe(true)
    })

    // test_lazy_relations.py::LazyTest::test_limit
    it('LIMIT and OFFSET with lazy relationships: users 8 and 9 with their addresses, orders and items', async () => {
      const { User } = models.classes
      const s = open()
      const users = await s.query(User).orderBy({ id: 'asc' }).limit(2).offset(1).all()
      const shape = []
      for (const user of users) {
        const orders = []
        for (const order of (await user.orders).sort((a: Obj, b: Obj) => a.id - b.id)) orders.push([order.id, ids(await order.items)])
        shape.push({ id: user.id, addresses: ids(await user.addresses), orders })
      }
      expect(shape).toEqual([
        { id: 8, addresses: [2, 3, 4], orders: [] },
        { id: 9, addresses: [5], orders: [[2, [1, 2, 3]], [4, [1, 5]]] },
      ])
    })

    // test_lazy_relations.py::LazyTest::test_one_to_many_scalar
    it('a one-to-one from the side without the foreign key loads one object', async () => {
      const { Owner, Place } = extra.classes
      const seed = new Session({ bind: extra.engine })
      const owner = new Owner({ id: 7, name: 'jack' })
      seed.addAll([owner, new Place({ id: 1, email: 'jack@bean.com', owner }), new Owner({ id: 8, name: 'ed' })])
      await seed.commit()
      await seed.close()
      const s = open({}, extra)
      const [jack] = await s.query(Owner).where({ id: 7 }).all()
      expect((await jack.address).id).toBe(1)
      const ed = await s.get(Owner, 8)
      expect(await ed.address).toBeNull()
    })

    // test_lazy_relations.py::LazyTest::test_many_to_many
    it('loads many-to-many keywords of each item', async () => {
      const { Item, Keyword } = models.classes
      const s = open()
      const items = await s.query(Item).orderBy({ id: 'asc' }).all()
      const keywords: Record<number, number[]> = {}
      for (const item of items) keywords[item.id] = ids(await item.keywords)
      expect(keywords).toEqual({ 1: [2, 4, 6], 2: [2, 5, 7], 3: [3, 4, 6], 4: [], 5: [] })
      // The items tagged "red" are the first two, from the other side of the relation.
      const red = await s.query(Keyword).filterBy({ name: 'red' }).one()
      expect(ids(await red.items)).toEqual([1, 2])
      expect((await red.items).every((item: Obj) => items.includes(item))).toBe(true)
    })

    // test_lazy_relations.py::LazyTest::test_uses_get
    it('a many-to-one whose target is in the identity map runs no SQL', async () => {
      const { User, Address } = models.classes
      const s = open()
      const a1 = await s.query(Address).filterBy({ emailAddress: 'ed@wood.com' }).one()
      const u1 = await s.get(User, 8)
      expect(await selects(async () => expect(await a1.user).toBe(u1))).toEqual([])
    })

    // test_lazy_relations.py::LazyTest::test_use_get_lambda_key_wont_go_stale
    it('loads the same many-to-one in two sessions in turn', async () => {
      const { Address } = models.classes
      for (let i = 0; i < 2; i++) {
        const s = new Session({ bind: models.engine })
        try {
          const a1 = await s.get(Address, 2)
          expect((await a1.user).id).toBe(8)
        } finally {
          await s.close()
        }
      }
    })

    // test_lazy_relations.py::LazyTest::test_many_to_one
    it('a loaded many-to-one is the object get() returns', async () => {
      const { User, Address } = models.classes
      const s = open()
      const a = await s.query(Address).where({ id: 1 }).one()
      const user = await a.user
      expect(user).not.toBeNull()
      expect(await s.get(User, 7)).toBe(user)
    })

    // test_lazy_relations.py::LazyTest::test_backrefs_dont_lazyload
    // Skipped: difference: a collection change lives on the foreign-key side, so expiring the owner's collection keeps it (README: Ported tests that do not hold).
    it.skip('assignments on either side need no load; reading the collection loads once', async () => {
      const { User, Address } = models.classes
      const s = open({ autoflush: false })
      const ad = await s.query(Address).filterBy({ id: 1 }).one()
      expect((await ad.user).id).toBe(7)
      expect(await selects(async () => {
        ad.user = null
        expect(await ad.user).toBeNull()
      })).toEqual([])
      const u1 = await s.query(User).filterBy({ id: 7 }).one()
      expect(await selects(async () => expect(await u1.addresses).not.toContain(ad))).toHaveLength(1)
      s.expire(u1, ['addresses'])
      // Not flushed (autoflush is off): the database still pairs the address with the user.
      expect(await selects(async () => expect(await u1.addresses).toContain(ad))).toHaveLength(1)
      s.expire(u1, ['addresses'])
      const ad2 = new Address()
      expect(await selects(async () => {
        ad2.user = u1
        expect(await ad2.user).toBe(u1)
      })).toEqual([])
      expect(await selects(async () => expect(await u1.addresses).toContain(ad2))).toHaveLength(1)
    })
  })

  describe('M2OGetTest', () => {
    // test_lazy_relations.py::M2OGetTest::test_m2o_noload
    it('a NULL foreign key answers null without a load', async () => {
      const { Address } = models.classes
      const s = open()
      const ad1 = new Address({ emailAddress: 'somenewaddress', id: 12 })
      s.add(ad1)
      await s.flush()
      s.expungeAll()
      const ad2 = await s.get(Address, 1)
      const ad3 = await s.get(Address, ad1.id)
      expect(await selects(async () => {
        expect((await ad2.user).name).toBe('jack')
        expect(await ad3.user).toBeNull()
      })).toHaveLength(1)
    })

    // test_lazy_relations.py::M2OGetTest::test_composite_m2o_load_partial_pks (allow_partial_pks=False: a key part is NULL)
    it('a composite foreign key with a NULL part answers null without SQL', async () => {
      const { A, B } = extra.classes
      const s = open({}, extra)
      s.addAll([new A({ id1: 5, id2: 1 }), new B({ id: 50, aId1: 5, aId2: null })])
      await s.commit()
      s.expungeAll()
      const b = await s.get(B, 50)
      expect(await selects(async () => expect(await b.a).toBeNull(), extra)).toEqual([])
    })
  })

  describe('RefersToSelfLazyLoadInterferenceTest', () => {
    // test_lazy_relations.py::RefersToSelfLazyLoadInterferenceTest::test_lazy_doesnt_interfere
    it('an object that is its own parent loads with eager options', async () => {
      const { Tree, Leaf } = extra.classes
      const s = open({}, extra)
      const b = new Tree()
      s.add(b)
      await s.flush()
      b.parentId = b.id
      ;(await b.leaves).push(new Leaf(), new Leaf())
      await s.commit()
      const trees = await s.query(Tree).options(joinedload('parent'), selectinload('parent.leaves')).all()
      const self = trees.find((tree: Obj) => tree.id === b.id)
      expect(await self.parent).toBe(self)
      expect(await self.leaves).toHaveLength(2)
    })
  })

  describe('CompositeSimpleM2OTest', () => {
    beforeEach(async () => {
      const { A, B, BReversed } = extra.classes
      const seed = new Session({ bind: extra.engine })
      if ((await seed.get(A, { id1: 1, id2: 2 })) === null) {
        seed.addAll([new A({ id1: 1, id2: 2 }), new B({ id: 1, aId1: 1, aId2: 2 }), new BReversed({ id: 1, aId1: 1, aId2: 2 })])
        await seed.commit()
      }
      await seed.close()
    })

    // test_lazy_relations.py::CompositeSimpleM2OTest::test_use_get_sameorder
    it('a composite many-to-one (key columns in order) answers from the identity map', async () => {
      const { A, B } = extra.classes
      const s = open({}, extra)
      const b = await s.get(B, 1)
      const a = await s.get(A, { id1: 1, id2: 2 })
      expect(await selects(async () => expect(await b.a).toBe(a), extra)).toEqual([])
    })

    // test_lazy_relations.py::CompositeSimpleM2OTest::test_use_get_reverseorder
    it('a composite many-to-one (key columns reversed) answers from the identity map', async () => {
      const { A, BReversed } = extra.classes
      const s = open({}, extra)
      const b = await s.get(BReversed, 1)
      const a = await s.get(A, { id1: 1, id2: 2 })
      expect(await selects(async () => expect(await b.a).toBe(a), extra)).toEqual([])
    })
  })

  describe('lazyload option', () => {
    // test_lazy_relations.py::LazyTest::test_basic (through a lazyload() option, SQLAlchemy's lazy="select" set per query)
    it('lazyload() on a query keeps the relationship lazy: one more SELECT on access', async () => {
      const { User } = models.classes
      const s = open()
      const [jack] = await s.query(User).where({ id: 7 }).options(lazyload('addresses')).all()
      expect(await selects(async () => expect(ids(await jack.addresses)).toEqual([1]))).toEqual([
        'SELECT "id", "user_id", "email_address" FROM "addresses" WHERE "user_id" = ?',
      ])
    })
  })
})
