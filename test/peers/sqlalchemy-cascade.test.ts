// SQLAlchemy's test/orm/test_cascade.py, ported: save-update reaching objects through relationships, delete and
// delete-orphan declared with @cascade on the parent's side, pending orphans, and objects moved between parents.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { inspect, NotNullViolationError, type Model, type Session } from 'prismalchemy'
import { DIALECTS } from '../helpers/dialects.js'
import { importInlineModels, inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { peerModels, type PeerModels } from './fixtures.js'

type ModelClass = InlineModels['classes'][string]

/** True when `obj` belongs to `session` (SQLAlchemy's `obj in session`). */
const isIn = (session: Session, obj: Model) => inspect(obj).session === session

/** Rows in `table`, counted with the plain driver. */
const countOf = async (models: InlineModels, table: string) =>
  Number((await models.readRows<{ n: number | string }>(`SELECT count(*) AS n FROM "${table}"`))[0].n)

const HEADER = `datasource db {
  provider = "sqlite"
}
`

// users/addresses with raise loading on the cascading collection (CasadeWithRaiseloadTest).
const RAISE_SCHEMA = `${HEADER}
model User {
  id        Int       @id @default(autoincrement())
  name      String
  /// @lazy(raise)
  /// @cascade(delete, delete-orphan)
  addresses Address[]
  @@map("users")
}

model Address {
  id           Int    @id @default(autoincrement())
  userId       Int?   @map("user_id")
  emailAddress String @map("email_address")
  user         User?  @relation(fields: [userId], references: [id])
  @@map("addresses")
}
`

// users with addresses (nullable key) and orders (required key), both delete-orphan (PendingOrphanTestSingleLevel,
// O2MCascadeDeleteOrphanTest::test_standalone_orphan).
const PENDING_ORPHAN_SCHEMA = `${HEADER}
model User {
  id        Int       @id @default(autoincrement())
  name      String?
  /// @cascade(delete, delete-orphan)
  addresses Address[]
  /// @cascade(delete, delete-orphan)
  orders    Order[]
  /// @cascade(delete)
  notes     Note[]
  @@map("users")
}

model Address {
  id           Int     @id @default(autoincrement())
  userId       Int?    @map("user_id")
  emailAddress String? @map("email_address")
  user         User?   @relation(fields: [userId], references: [id])
  @@map("addresses")
}

model Order {
  id          Int     @id @default(autoincrement())
  userId      Int     @map("user_id")
  description String?
  user        User    @relation(fields: [userId], references: [id])
  @@map("orders")
}

model Note {
  id     Int     @id @default(autoincrement())
  userId Int?    @map("user_id")
  text   String?
  user   User?   @relation(fields: [userId], references: [id])
  @@map("notes")
}
`

// order -> item -> attribute, each level delete-orphan and required (PendingOrphanTestTwoLevel).
const TWO_LEVEL_SCHEMA = `${HEADER}
model Order {
  id    Int    @id @default(autoincrement())
  /// @cascade(delete, delete-orphan)
  items Item[]
  @@map("order")
}

model Item {
  id         Int         @id @default(autoincrement())
  orderId    Int         @map("order_id")
  order      Order       @relation(fields: [orderId], references: [id])
  /// @cascade(delete, delete-orphan)
  attributes Attribute[]
  @@map("item")
}

model Attribute {
  id     Int  @id @default(autoincrement())
  itemId Int  @map("item_id")
  item   Item @relation(fields: [itemId], references: [id])
  @@map("attribute")
}
`

// A customer with two delete-orphan parents (DoubleParentO2MOrphanTest), a core with two (OrphanCriterionTest),
// a node tree (O2MSelfReferentialDetelOrphanTest), a/b (CollectionAssignmentOrphanTest, CollectionCascadesNoBackrefTest).
const PARENTS_SCHEMA = `${HEADER}
model SalesRep {
  id        Int        @id @default(autoincrement())
  name      String?
  /// @cascade(delete, delete-orphan)
  customers Customer[]
  @@map("sales_reps")
}

model Account {
  id        Int        @id @default(autoincrement())
  balance   Int?
  /// @cascade(delete, delete-orphan)
  customers Customer[]
  @@map("accounts")
}

model Customer {
  id         Int       @id @default(autoincrement())
  name       String?
  accountId  Int?      @map("account_id")
  salesRepId Int?      @map("sales_rep_id")
  account    Account?  @relation(fields: [accountId], references: [id])
  salesRep   SalesRep? @relation(fields: [salesRepId], references: [id])
  @@map("customers")
}

model RelatedOne {
  id    Int    @id @default(autoincrement())
  /// @cascade(delete, delete-orphan)
  cores Core[]
  @@map("related_one")
}

model RelatedTwo {
  id    Int    @id @default(autoincrement())
  /// @cascade(delete, delete-orphan)
  cores Core[]
  @@map("related_two")
}

model Core {
  id   Int         @id @default(autoincrement())
  r1Id Int?        @map("r1_id")
  r2Id Int?        @map("r2_id")
  r1   RelatedOne? @relation(fields: [r1Id], references: [id])
  r2   RelatedTwo? @relation(fields: [r2Id], references: [id])
  @@map("core")
}

model Node {
  id       Int    @id @default(autoincrement())
  parentId Int?   @map("parent_id")
  parent   Node?  @relation("tree", fields: [parentId], references: [id])
  /// @cascade(delete, delete-orphan)
  children Node[] @relation("tree")
  @@map("node")
}

model TableA {
  id   Int      @id @default(autoincrement())
  name String?
  /// @cascade(delete, delete-orphan)
  bs   TableB[]
  @@map("table_a")
}

model TableB {
  id   Int     @id @default(autoincrement())
  name String?
  foo  String?
  aId  Int?    @map("a_id")
  a    TableA? @relation(fields: [aId], references: [id])
  @@map("table_b")
}
`

// O2MConflictTest's mappings side by side: a required child key, one-to-many or one-to-one, with no cascade,
// delete, or delete + delete-orphan.
const CONFLICT_VARIANTS = [
  { name: 'O2m', list: true, cascade: undefined },
  { name: 'O2o', list: false, cascade: undefined },
  { name: 'O2oDel', list: false, cascade: 'delete' },
  { name: 'O2oOrphan', list: false, cascade: 'delete, delete-orphan' },
  { name: 'O2mOrphan', list: true, cascade: 'delete, delete-orphan' },
] as const
const CONFLICT_SCHEMA =
  HEADER +
  CONFLICT_VARIANTS.map(
    ({ name, list, cascade }) => `
model Parent${name} {
  id    Int     @id @default(autoincrement())
${cascade === undefined ? '' : `  /// @cascade(${cascade})\n`}  child Child${name}${list ? '[]' : '?'}
}

model Child${name} {
  id       Int    @id @default(autoincrement())
  parentId Int    ${list ? '' : '@unique'}
  parent   Parent${name} @relation(fields: [parentId], references: [id])
}
`,
  ).join('')

describe.each(DIALECTS)('on %s', (dialect) => {
  describe('CascadeArgTest', () => {
    // test_cascade.py::CascadeArgTest::test_bad_cascade
    it('an unknown cascade name stops generation, naming it', async () => {
      const schema = `${HEADER}
model User {
  id        Int       @id @default(autoincrement())
  /// @cascade(fake, delete, delete-orphan)
  addresses Address[]
}

model Address {
  id     Int   @id @default(autoincrement())
  userId Int?
  user   User? @relation(fields: [userId], references: [id])
}
`
      await expect(importInlineModels('cascade-bad', schema)).rejects.toThrow(/fake/)
    })
  })

  describe('CasadeWithRaiseloadTest', () => {
    let models: InlineModels
    beforeAll(async () => {
      models = await inlineModels('cascade-raise', RAISE_SCHEMA, dialect)
    }, 60_000)
    afterAll(async () => {
      await models.dispose()
    })

    // test_cascade.py::CasadeWithRaiseloadTest::test_delete_skips_lazy_raise
    it('the delete cascade loads a raise-loaded collection itself', async () => {
      const { User, Address } = models.classes
      await models.inSession(async (session) => {
        const u1 = new User({ name: 'u1' })
        session.addAll([new Address({ emailAddress: 'e1', user: u1 }), new Address({ emailAddress: 'e2', user: u1 })])
        await session.commit()
        const emails = (await session.query(Address).orderBy({ emailAddress: 'asc' }).all()).map((a: any) => a.emailAddress)
        expect(emails).toEqual(['e1', 'e2'])
        await session.close()
        session.delete(u1)
        await session.commit()
        expect(await session.query(Address).all()).toEqual([])
      })
    })
  })

  describe('fixture tables, User.addresses and User.orders delete-orphan', () => {
    let models: PeerModels
    let User: ModelClass
    let Address: ModelClass
    let Order: ModelClass
    let Dingaling: ModelClass
    beforeAll(async () => {
      models = await peerModels('cascade-o2m', dialect, {
        cascade: { 'User.addresses': 'delete, delete-orphan', 'User.orders': 'delete, delete-orphan' },
      })
      ;({ User, Address, Order, Dingaling } = models.classes)
    }, 60_000)
    afterAll(async () => {
      await models.dispose()
    })
    beforeEach(async () => {
      await models.clear()
    })

    /** jack with two orders (given by order.user), added to `session`. */
    function jackWithOrders(session: Session, descriptions = ['someorder', 'someotherorder']) {
      const u = new User({ name: 'jack' })
      const orders = descriptions.map((description) => new Order({ description, user: u }))
      session.addAll([u, ...orders])
      return { u, orders }
    }

    const orderDescriptions = async () => (await models.readRows<{ description: string }>('SELECT "description" FROM "orders" ORDER BY "id"')).map((r) => r.description)

    // test_cascade.py::O2MCascadeDeleteOrphanTest::test_list_assignment_new
    it('a new user with new orders is saved with them', async () => {
      await models.inSession(async (session) => {
        const { u } = jackWithOrders(session, ['order 1', 'order 2'])
        await session.commit()
        expect(u.name).toBe('jack')
        expect((await u.orders).map((o: any) => o.description)).toEqual(['order 1', 'order 2'])
      })
    })

    // test_cascade.py::O2MCascadeDeleteOrphanTest::test_list_assignment_replace
    it('replacing a pending user\'s orders deletes the replaced ones as orphans', async () => {
      await models.inSession(async (session) => {
        const { u } = jackWithOrders(session)
        const orders = await u.orders
        orders.splice(0, orders.length, new Order({ description: 'order 3' }), new Order({ description: 'order 4' }))
        await session.commit()
        expect((await u.orders).map((o: any) => o.description)).toEqual(['order 3', 'order 4'])
      })
      expect(await orderDescriptions()).toEqual(['order 3', 'order 4'])
    })

    // test_cascade.py::O2MCascadeDeleteOrphanTest::test_save_update_sends_pending
    it('adding a detached user back brings the orders appended and kept while it was detached', async () => {
      await models.inSession(async (session) => {
        const [o1, o2, o3] = ['o1', 'o2', 'o3'].map((description) => new Order({ description }))
        const u = new User({ name: 'jack' })
        session.add(u)
        const orders = await u.orders
        orders.push(o1, o2)
        await session.commit()
        await u.orders
        await session.close()
        const detached = await u.orders
        detached.push(o3)
        detached.splice(detached.indexOf(o1), 1)
        session.add(u)
        expect(isIn(session, o1)).toBe(true)
        expect(isIn(session, o2)).toBe(true)
        expect(isIn(session, o3)).toBe(true)
        await session.commit()
      }, { expireOnCommit: false })
      expect(await orderDescriptions()).toEqual(['o2', 'o3'])
    })

    // test_cascade.py::O2MCascadeDeleteOrphanTest::test_remove_pending_from_collection
    it('a pending order removed from its user\'s collection leaves the session', async () => {
      await models.inSession(async (session) => {
        const u = new User({ name: 'jack' })
        session.add(u)
        await session.commit()
        const o1 = new Order({})
        const orders = await u.orders
        orders.push(o1)
        expect(isIn(session, o1)).toBe(true)
        orders.splice(orders.indexOf(o1), 1)
        expect(isIn(session, o1)).toBe(false)
      })
    })

    // test_cascade.py::O2MCascadeDeleteOrphanTest::test_remove_pending_from_pending_parent
    it('an order appended to and removed from a transient user stays pending until the flush drops it', async () => {
      await models.inSession(async (session) => {
        const u = new User({ name: 'jack' })
        const o1 = new Order({})
        session.add(o1)
        const orders = await u.orders
        orders.push(o1)
        orders.splice(orders.indexOf(o1), 1)
        session.add(u)
        expect(isIn(session, o1)).toBe(true)
        await session.flush()
        expect(isIn(session, o1)).toBe(false)
      })
    })

    // test_cascade.py::O2MCascadeDeleteOrphanTest::test_delete
    it('deleting a user deletes its orders', async () => {
      await models.inSession(async (session) => {
        const { u } = jackWithOrders(session)
        await session.flush()
        session.delete(u)
        await session.commit()
      })
      expect(await countOf(models, 'users')).toBe(0)
      expect(await countOf(models, 'orders')).toBe(0)
    })

    // test_cascade.py::O2MCascadeDeleteOrphanTest::test_delete_unloaded_collections
    it('deleting a freshly loaded user deletes its addresses though the collection was never loaded', async () => {
      await models.inSession(async (session) => {
        const u = new User({ name: 'jack' })
        session.addAll([u, new Address({ emailAddress: 'address1', user: u }), new Address({ emailAddress: 'address2', user: u })])
        await session.commit()
        session.expungeAll()
        const loaded = await session.get(User, u.id)
        expect(inspect(loaded).loadedRelationships).not.toContain('addresses')
        session.delete(loaded)
        await session.commit()
      })
      expect(await countOf(models, 'addresses')).toBe(0)
      expect(await countOf(models, 'users')).toBe(0)
    })

    // test_cascade.py::O2MCascadeDeleteOrphanTest::test_cascades_onlycollection
    it('the delete cascade reaches only the orders still in the collection; one moved away survives with its new user', async () => {
      await models.inSession(async (session) => {
        const { u } = jackWithOrders(session)
        await session.flush()
        const orders = await u.orders
        const o = orders[0]
        orders.splice(0, 1)
        session.delete(u)
        expect(session.deleted).toContain(u)
        expect(session.deleted).not.toContain(o)
        expect(isIn(session, o)).toBe(true)
        const u2 = new User({ name: 'newuser' })
        o.user = u2
        session.add(u2)
        await session.commit()
      }, { autoflush: false })
      expect(await models.readRows('SELECT "name" FROM "users"')).toEqual([{ name: 'newuser' }])
      expect(await orderDescriptions()).toEqual(['someorder'])
    })

    // test_cascade.py::O2MCascadeDeleteOrphanTest::test_cascade_nosideeffects
    it('cascading on add and flush loads no relationship', async () => {
      await models.inSession(async (session) => {
        const u = new User({ name: 'jack' })
        session.add(u)
        expect(inspect(u).loadedRelationships).not.toContain('orders')
        await session.flush()
        expect(inspect(u).loadedRelationships).not.toContain('orders')
        const a = new Address({ emailAddress: 'foo@bar.com' })
        session.add(a)
        expect(inspect(a).loadedRelationships).not.toContain('user')
        a.user = u
        await session.flush()
        const d = new Dingaling({ data: 'd1' })
        d.addressId = a.id
        session.add(d)
        expect(inspect(d).loadedRelationships).not.toContain('address')
        await session.flush()
        expect(await d.address).toBe(a)
      })
    })

    // test_cascade.py::O2MCascadeDeleteOrphanTest::test_cascade_delete_plusorphans
    it('an order removed before its user is deleted is deleted too', async () => {
      await models.inSession(async (session) => {
        const { u } = jackWithOrders(session)
        await session.commit()
        expect(await countOf(models, 'orders')).toBe(2)
        const orders = await u.orders
        orders.splice(0, 1)
        session.delete(u)
        await session.commit()
      })
      expect(await countOf(models, 'users')).toBe(0)
      expect(await countOf(models, 'orders')).toBe(0)
    })

    // test_cascade.py::O2MCascadeDeleteOrphanTest::test_collection_orphans
    it('emptying the collection deletes the orders and keeps the user', async () => {
      await models.inSession(async (session) => {
        const { u } = jackWithOrders(session)
        await session.commit()
        const orders = await u.orders
        orders.splice(0, orders.length)
        await session.commit()
      })
      expect(await countOf(models, 'users')).toBe(1)
      expect(await countOf(models, 'orders')).toBe(0)
    })

    // test_cascade.py::O2MCascadeTest::test_none_o2m_collection_append
    it('a null appended to a collection fails the commit with a message naming the collection', async () => {
      await models.inSession(async (session) => {
        const u1 = new User({ name: 'u' })
        session.add(u1)
        const addresses = await u1.addresses
        addresses.push(null as never)
        expect([...addresses]).toEqual([null])
        await expect(session.commit()).rejects.toThrow(/User\.addresses/)
      })
    })

    // test_cascade.py::NoBackrefCascadeTest::test_o2m_basic
    it('assigning a new address to a user in the session does not add the address', async () => {
      await models.inSession(async (session) => {
        const u1 = new User({ name: 'u1' })
        session.add(u1)
        const a1 = new Address({ emailAddress: 'a1' })
        a1.user = u1
        expect(isIn(session, a1)).toBe(false)
      })
    })

    // test_cascade.py::NoBackrefCascadeTest::test_o2m_commit_warns
    it('committing leaves that address out', async () => {
      await models.inSession(async (session) => {
        const u1 = new User({ name: 'u1' })
        session.add(u1)
        const a1 = new Address({ emailAddress: 'a1' })
        a1.user = u1
        await session.commit()
        expect(isIn(session, a1)).toBe(false)
        expect(inspect(a1).transient).toBe(true)
      })
      expect(await countOf(models, 'addresses')).toBe(0)
    })

    // test_cascade.py::NoBackrefCascadeTest::test_o2m_on_backref_no_cascade
    it('assigning a pending address to a new dingaling puts the dingaling in the address\'s collection, not in the session', async () => {
      await models.inSession(async (session) => {
        const a1 = new Address({ emailAddress: 'a1' })
        session.add(a1)
        const d1 = new Dingaling({})
        d1.address = a1
        expect(await a1.dingalings).toContain(d1)
        expect(isIn(session, d1)).toBe(false)
      }, { autoflush: false })
    })

    // test_cascade.py::NoBackrefCascadeTest::test_m2o_basic
    it('appending a pending dingaling to a transient address does not add the address', async () => {
      await models.inSession(async (session) => {
        const a1 = new Address({ emailAddress: 'a1' })
        const d1 = new Dingaling({})
        session.add(d1)
        ;(await a1.dingalings).push(d1)
        expect(isIn(session, a1)).toBe(false)
      })
    })

    // test_cascade.py::NoBackrefCascadeTest::test_m2o_on_backref_no_cascade
    it('appending a pending address to a transient user does not add the user', async () => {
      await models.inSession(async (session) => {
        const a1 = new Address({ emailAddress: 'a1' })
        session.add(a1)
        const u1 = new User({ name: 'u1' })
        ;(await u1.addresses).push(a1)
        expect(isIn(session, u1)).toBe(false)
      })
    })

    // test_cascade.py::NoBackrefCascadeTest::test_m2o_commit_no_cascade
    it('committing then leaves the transient address out', async () => {
      await models.inSession(async (session) => {
        const a1 = new Address({ emailAddress: 'a1' })
        const d1 = new Dingaling({})
        session.add(d1)
        ;(await a1.dingalings).push(d1)
        expect(isIn(session, a1)).toBe(false)
        await session.commit()
        expect(isIn(session, a1)).toBe(false)
      })
      expect(await countOf(models, 'addresses')).toBe(0)
    })
  })

  describe('O2MCascadeDeleteNoOrphanTest', () => {
    let models: PeerModels
    beforeAll(async () => {
      models = await peerModels('cascade-no-orphan', dialect, { cascade: { 'User.orders': 'delete' } })
    }, 60_000)
    afterAll(async () => {
      await models.dispose()
    })

    // test_cascade.py::O2MCascadeDeleteNoOrphanTest::test_cascade_delete_noorphans
    it('without delete-orphan, an order removed before its user is deleted survives', async () => {
      const { User, Order } = models.classes
      await models.inSession(async (session) => {
        const u = new User({ name: 'jack' })
        session.addAll([u, new Order({ description: 'someorder', user: u }), new Order({ description: 'someotherorder', user: u })])
        await session.commit()
        expect(await countOf(models, 'orders')).toBe(2)
        const orders = await u.orders
        orders.splice(0, 1)
        session.delete(u)
        await session.commit()
      })
      expect(await countOf(models, 'users')).toBe(0)
      expect(await countOf(models, 'orders')).toBe(1)
    })
  })

  describe('PendingOrphanTestSingleLevel', () => {
    let models: InlineModels
    let User: ModelClass
    let Address: ModelClass
    let Order: ModelClass
    let Note: ModelClass
    beforeAll(async () => {
      models = await inlineModels('cascade-pending-orphan', PENDING_ORPHAN_SCHEMA, dialect)
      ;({ User, Address, Order, Note } = models.classes)
    }, 60_000)
    afterAll(async () => {
      await models.dispose()
    })
    beforeEach(async () => {
      await models.database.execute('DELETE FROM "notes"; DELETE FROM "orders"; DELETE FROM "addresses"; DELETE FROM "users";')
    })

    // test_cascade.py::O2MCascadeDeleteOrphanTest::test_standalone_orphan
    it('a standalone order without its required user fails the flush in the database', async () => {
      await models.inSession(async (session) => {
        session.add(new Order({ description: 'order 5' }))
        await expect(session.flush()).rejects.toBeInstanceOf(NotNullViolationError)
      })
    })

    // test_cascade.py::PendingOrphanTestSingleLevel::test_pending_standalone_orphan
    it('standalone orphans persist when the foreign key allows it: a nullable one goes in, a required one only with a key', async () => {
      await models.inSession(async (session) => {
        const a = new Address({})
        session.add(a)
        await session.commit()
        expect(await countOf(models, 'addresses')).toBe(1)
        session.add(new Order({}))
        await expect(session.commit()).rejects.toBeInstanceOf(NotNullViolationError)
        await session.rollback()
        const u = new User({})
        session.add(u)
        await session.flush()
        const o = new Order({ userId: u.id })
        session.add(o)
        await session.commit()
        expect(isIn(session, o)).toBe(true)
        expect(session.new).not.toContain(o)
      })
    })

    // test_cascade.py::PendingOrphanTestSingleLevel::test_pending_collection_expunge
    it('a pending address removed from its user leaves the session and is never written', async () => {
      await models.inSession(async (session) => {
        const u = new User({})
        session.add(u)
        await session.flush()
        const a = new Address({})
        const addresses = await u.addresses
        addresses.push(a)
        expect(isIn(session, a)).toBe(true)
        addresses.splice(addresses.indexOf(a), 1)
        expect(isIn(session, a)).toBe(false)
        session.delete(u)
        await session.flush()
        expect(a.id).toBeUndefined()
      })
    })

    // test_cascade.py::PendingOrphanTestSingleLevel::test_nonorphans_ok
    it('with delete but no delete-orphan, a removed pending note stays in the session and is saved', async () => {
      await models.inSession(async (session) => {
        const u = new User({ name: 'u1' })
        session.add(u)
        const notes = await u.notes
        notes.push(new Note({ text: 'ad1' }))
        const n1 = notes[0]
        notes.splice(0, 1)
        expect(isIn(session, n1)).toBe(true)
        await session.commit()
      }, { autoflush: false })
      expect(await models.readRows('SELECT "text", "user_id" FROM "notes"')).toEqual([{ text: 'ad1', user_id: null }])
    })
  })

  describe('PendingOrphanTestTwoLevel', () => {
    let models: InlineModels
    beforeAll(async () => {
      models = await inlineModels('cascade-two-level', TWO_LEVEL_SCHEMA, dialect)
    }, 60_000)
    afterAll(async () => {
      await models.dispose()
    })

    // test_cascade.py::PendingOrphanTestTwoLevel::test_singlelevel_remove
    it('an item appended and removed again is not written', async () => {
      const { Order, Item } = models.classes
      await models.inSession(async (session) => {
        const o1 = new Order({})
        session.add(o1)
        const i1 = new Item({})
        const items = await o1.items
        items.push(i1)
        items.splice(items.indexOf(i1), 1)
        await session.commit()
        expect(await o1.items).not.toContain(i1)
      })
      expect(await countOf(models, 'item')).toBe(0)
    })

    // test_cascade.py::PendingOrphanTestTwoLevel::test_multilevel_remove
    it('removing a pending item also drops its pending attributes', async () => {
      const { Order, Item, Attribute } = models.classes
      await models.inSession(async (session) => {
        const o1 = new Order({})
        session.add(o1)
        const i1 = new Item({})
        const a1 = new Attribute({})
        ;(await i1.attributes).push(a1)
        const items = await o1.items
        items.push(i1)
        expect(isIn(session, i1)).toBe(true)
        expect(isIn(session, a1)).toBe(true)
        items.splice(items.indexOf(i1), 1)
        expect(isIn(session, i1)).toBe(false)
        expect(isIn(session, a1)).toBe(false)
        await session.commit()
        expect(isIn(session, o1)).toBe(true)
        expect(isIn(session, a1)).toBe(false)
        expect(isIn(session, i1)).toBe(false)
      }, { autoflush: false })
      expect(await countOf(models, 'item')).toBe(0)
      expect(await countOf(models, 'attribute')).toBe(0)
    })
  })

  describe('two delete-orphan parents, trees and collections', () => {
    let models: InlineModels
    let c: Record<string, ModelClass>
    beforeAll(async () => {
      models = await inlineModels('cascade-parents', PARENTS_SCHEMA, dialect)
      c = models.classes
    }, 60_000)
    afterAll(async () => {
      await models.dispose()
    })

    // test_cascade.py::DoubleParentO2MOrphanTest::test_double_parent_expunge_o2m_current
    it('a pending customer removed from either of its two delete-orphan parents leaves the session', async () => {
      await models.inSession(async (session) => {
        const a = new c.Account({ balance: 0 })
        const sr = new c.SalesRep({ name: 'John' })
        session.addAll([a, sr])
        await session.commit()
        const customer = new c.Customer({ name: 'Jane' })
        const fromAccount = await a.customers
        const fromRep = await sr.customers
        fromAccount.push(customer)
        fromRep.push(customer)
        expect(isIn(session, customer)).toBe(true)
        fromAccount.splice(fromAccount.indexOf(customer), 1)
        expect(isIn(session, customer)).toBe(false)
        fromRep.splice(fromRep.indexOf(customer), 1)
        expect(isIn(session, customer)).toBe(false)
      }, { autoflush: false, expireOnCommit: false })
    })

    /** A core persisted with both parents, or without any (`parents: false`). */
    async function persistedCore(session: Session, parents: boolean) {
      const core = new c.Core({})
      if (parents) {
        core.r1 = new c.RelatedOne({})
        core.r2 = new c.RelatedTwo({})
      }
      session.add(core)
      await session.flush()
      return core
    }

    // test_cascade.py::OrphanCriterionTest::test_current_pers_r1_r2
    it('a persistent core with both parents is not an orphan', async () => {
      await models.inSession(async (session) => {
        const core = await persistedCore(session, true)
        await session.flush()
        expect(inspect(core).persistent).toBe(true)
      })
    })

    // test_cascade.py::OrphanCriterionTest::test_current_pers_r1_notr2
    it('a persistent core that lost one of its two parents is an orphan: deleted at flush', async () => {
      await models.inSession(async (session) => {
        const core = await persistedCore(session, true)
        core.r2 = null
        await session.flush()
        expect(inspect(core).deleted).toBe(true)
      })
    })

    // test_cascade.py::OrphanCriterionTest::test_current_pers_notr1_notr2
    it('a persistent core that lost both parents is an orphan', async () => {
      await models.inSession(async (session) => {
        const core = await persistedCore(session, true)
        core.r1 = null
        core.r2 = null
        await session.flush()
        expect(inspect(core).deleted).toBe(true)
      })
    })

    // test_cascade.py::OrphanCriterionTest::test_current_persistent_notr1_notr2_noevent
    it('a persistent core that never had a parent is not an orphan', async () => {
      await models.inSession(async (session) => {
        const core = await persistedCore(session, false)
        core.r1Id = null
        await session.flush()
        expect(inspect(core).persistent).toBe(true)
      })
    })

    // test_cascade.py::O2MSelfReferentialDetelOrphanTest::test_self_referential_delete
    it('a node removed from its parent\'s children is deleted with its own children', async () => {
      await models.inSession(async (session) => {
        const [n1, n2, n3, n4] = [0, 1, 2, 3].map(() => new c.Node({}))
        n2.parent = n1
        n3.parent = n1
        n4.parent = n3
        session.addAll([n1, n2, n3, n4])
        await session.commit()
        expect(await session.query(c.Node).count()).toBe(4)
        const children = await n1.children
        children.splice(children.indexOf(n3), 1)
        await session.commit()
        expect(await session.query(c.Node).count()).toBe(2)
      })
    })

    // test_cascade.py::CollectionAssignmentOrphanTest::test_basic
    it('changing loaded children does not make them orphans', async () => {
      const id = await models.inSession(async (session) => {
        const a1 = new c.TableA({ name: 'a1' })
        session.addAll(['b1', 'b2', 'b3'].map((name) => new c.TableB({ name, a: a1 })))
        await session.flush()
        await session.commit()
        return a1.id as number
      })
      await models.inSession(async (session) => {
        const a1 = await session.get(c.TableA, id)
        const bs = await a1.bs
        expect(bs.map((b: any) => b.name).sort()).toEqual(['b1', 'b2', 'b3'])
        bs[0].foo = 'b2modified'
        bs[1].foo = 'b3modified'
        await session.commit()
      })
      await models.inSession(async (session) => {
        const a1 = await session.get(c.TableA, id)
        expect((await a1.bs).map((b: any) => b.name).sort()).toEqual(['b1', 'b2', 'b3'])
        expect((await a1.bs).map((b: any) => b.foo).sort()).toEqual(['b2modified', 'b3modified', null])
      })
    })

    // test_cascade.py::CollectionCascadesNoBackrefTest::test_cascades_on_collection (list, append)
    it('appending to a collection adds the objects; assigning the other side does not', async () => {
      await models.inSession(async (session) => {
        const a1 = new c.TableA({})
        session.add(a1)
        const [b1, b2, b3] = ['b1', 'b2', 'b3'].map((name) => new c.TableB({ name }))
        b1.a = a1
        b3.a = a1
        expect(isIn(session, b1)).toBe(false)
        expect(isIn(session, b3)).toBe(false)
        const bs = await a1.bs
        bs.push(b1)
        bs.push(b2)
        expect(isIn(session, b1)).toBe(true)
        expect(isIn(session, b2)).toBe(true)
        expect(isIn(session, b3)).toBe(false)
      }, { autoflush: false })
    })

    // test_cascade.py::CollectionCascadesNoBackrefTest::test_cascades_on_collection (list, assign)
    it('replacing a collection\'s contents adds the objects too', async () => {
      await models.inSession(async (session) => {
        const a1 = new c.TableA({})
        session.add(a1)
        const [b1, b2, b3] = ['b1', 'b2', 'b3'].map((name) => new c.TableB({ name }))
        b1.a = a1
        b3.a = a1
        const bs = await a1.bs
        bs.splice(0, bs.length, b1, b2)
        expect(isIn(session, b1)).toBe(true)
        expect(isIn(session, b2)).toBe(true)
        expect(isIn(session, b3)).toBe(false)
      }, { autoflush: false })
    })
  })

  describe('O2MConflictTest', () => {
    let models: InlineModels
    beforeAll(async () => {
      models = await inlineModels('cascade-conflict', CONFLICT_SCHEMA, dialect)
    }, 60_000)
    afterAll(async () => {
      await models.dispose()
    })

    /** Moves a child from p1 to p2 (deleting p1 first when `deleteOld`), and checks the child now belongs to p2. */
    async function moveTest(variant: (typeof CONFLICT_VARIANTS)[number], deleteOld: boolean) {
      const Parent = models.classes[`Parent${variant.name}`]
      const Child = models.classes[`Child${variant.name}`]
      await models.inSession(async (session) => {
        const p1 = new Parent({})
        const p2 = new Parent({})
        const c1 = new Child({ parent: p1 })
        session.addAll([p1, c1])
        await session.flush()
        if (deleteOld) session.delete(p1)
        if (variant.list) {
          session.add(p2)
          ;(await p2.child).push(c1)
        } else {
          c1.parent = p2
          session.add(p2)
        }
        await session.flush()
        expect(await session.query(Child).filterBy({ parentId: p2.id }).all()).toEqual([c1])
        expect(inspect(c1).persistent).toBe(true)
      }, { autoflush: false })
    }

    // test_cascade.py::O2MConflictTest::test_o2m_delete_old
    it('one-to-many: a child moved to a new parent, with and without deleting the old one', async () => {
      await moveTest(CONFLICT_VARIANTS[0], true)
      await moveTest(CONFLICT_VARIANTS[0], false)
    })

    // test_cascade.py::O2MConflictTest::test_o2o_delete_old (and test_o2o_backref_delete_old: Prisma relations always have both sides)
    it('one-to-one: a child moved to a new parent, with and without deleting the old one', async () => {
      await moveTest(CONFLICT_VARIANTS[1], true)
      await moveTest(CONFLICT_VARIANTS[1], false)
    })

    // test_cascade.py::O2MConflictTest::test_o2o_delcascade_delete_old
    it('one-to-one with delete: the moved child survives its old parent\'s delete', async () => {
      await moveTest(CONFLICT_VARIANTS[2], true)
      await moveTest(CONFLICT_VARIANTS[2], false)
    })

    // test_cascade.py::O2MConflictTest::test_o2o_delorphan_delete_old (and test_o2o_delorphan_backref_delete_old)
    it('one-to-one with delete and delete-orphan: the moved child is neither deleted nor orphaned', async () => {
      await moveTest(CONFLICT_VARIANTS[3], true)
      await moveTest(CONFLICT_VARIANTS[3], false)
    })

    // test_cascade.py::O2MConflictTest::test_o2m_backref_delorphan_delete_old (cascade declared on the collection side here)
    it('one-to-many with delete and delete-orphan: the moved child is neither deleted nor orphaned', async () => {
      await moveTest(CONFLICT_VARIANTS[4], true)
      await moveTest(CONFLICT_VARIANTS[4], false)
    })
  })
})
