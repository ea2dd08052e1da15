// SQLAlchemy's test/orm/test_dynamic.py, ported: a `dynamic` relationship is a query object you refine, count, append to and remove from.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DetachedInstanceError, DynamicRelationship, inspect, NoResultFoundError, Session } from 'prismalchemy'
import { importInlineModels } from '../helpers/inline-models.js'
import { DIALECTS, normalizeSql } from '../helpers/dialects.js'
import { capturedSql } from '../helpers/sql-recorder.js'
import { peerModels, peerSchema, type PeerModels } from './fixtures.js'

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = any

const emails = (addresses: readonly Obj[]): string[] => addresses.map((address) => address.emailAddress)
const ids = (objects: readonly Obj[]): number[] => objects.map((obj) => obj.id)
const history = (obj: Obj, name: string) => (inspect(obj) as Obj).attrs[name].history

describe.each(DIALECTS)('on %s', (dialect) => {
  /** User.addresses, Order.items, Item.orders and Node.children are `dynamic`. */
  let models: PeerModels
  /** The same, with `@cascade(delete, delete-orphan)` on User.addresses. */
  let cascading: PeerModels
  let session: Session | undefined
  const dynamic = { 'User.addresses': 'dynamic', 'Order.items': 'dynamic', 'Item.orders': 'dynamic', 'Node.children': 'dynamic' }

  beforeAll(async () => {
    models = await peerModels('sa-dynamic', dialect, { lazy: dynamic })
    cascading = await peerModels('sa-dynamic-cascade', dialect, { lazy: dynamic, cascade: { 'User.addresses': 'delete, delete-orphan' } })
  })

  afterAll(async () => {
    await models.dispose()
    await cascading.dispose()
  })

  beforeEach(async () => {
    await models.clear()
    await cascading.clear()
  })

  afterEach(async () => {
    await session?.close()
    session = undefined
  })

  const open = (options: { autoflush?: boolean; expireOnCommit?: boolean } = {}, on: PeerModels = models): Session => {
    session = new Session({ bind: on.engine, ...options })
    return session
  }

  describe('DynamicTest', () => {
    beforeEach(async () => {
      await models.seed()
    })

    // test_dynamic.py::DynamicTest::test_basic
    it('reads each user\'s addresses through the query object', async () => {
      const { User } = models.classes
      const s = open()
      const [jack] = await s.query(User).where({ id: 7 }).all()
      expect(jack.addresses).toBeInstanceOf(DynamicRelationship)
      expect((await jack.addresses.all()).map((a: Obj) => [a.id, a.emailAddress])).toEqual([[1, 'jack@bean.com']])
      const users = await s.query(User).orderBy({ id: 'asc' }).all()
      const byUser: Record<number, number[]> = {}
      for (const user of users) byUser[user.id] = ids(await user.addresses.orderBy({ id: 'asc' }).all())
      expect(byUser).toEqual({ 7: [1], 8: [2, 3, 4], 9: [5], 10: [] })
      const [again] = await s.query(User).filterBy({ id: 7 }).all()
      expect(again).toBe(jack)
      expect(ids(await again.addresses.all())).toEqual([1])
    })

    // test_dynamic.py::DynamicTest::test_slice_access
    it('limits and offsets like slicing', async () => {
      const { User } = models.classes
      const s = open()
      const ed = await s.get(User, 8)
      const byId = ed.addresses.orderBy({ id: 'asc' })
      expect((await byId.limit(1).one()).id).toBe(2)
      expect((await byId.offset(0).first()).id).toBe(2)
      expect(ids(await byId.offset(0).limit(2).all())).toEqual([2, 3])
    })

    // test_dynamic.py::DynamicTest::test_negative_slice_access_raises
    it('refuses negative offsets and limits', async () => {
      const { User } = models.classes
      const s = open()
      const ed = await s.get(User, 8)
      expect(() => ed.addresses.offset(-1)).toThrow()
      expect(() => ed.addresses.limit(-2)).toThrow()
      expect(() => ed.addresses.offset(-5).limit(3)).toThrow()
    })

    // test_dynamic.py::DynamicTest::test_statement
    it('runs one SELECT carrying the foreign-key condition', async () => {
      const { User } = models.classes
      const s = open()
      const jack = await s.query(User).where({ id: 7 }).first()
      const sql = await capturedSql(models.engine, () => jack.addresses.all())
      expect(sql.map(normalizeSql)).toEqual(['SELECT "id", "user_id", "email_address" FROM "addresses" WHERE "user_id" = ?'])
    })

    // test_dynamic.py::DynamicTest::test_transient_raise (all / one / one_or_none, not added to a session)
    it('answers a transient owner\'s terminal methods with nothing', async () => {
      const { User } = models.classes
      const u1 = new User({ name: 'u1' })
      expect(await u1.addresses.all()).toEqual([])
      await expect(u1.addresses.one()).rejects.toBeInstanceOf(NoResultFoundError)
      expect(await u1.addresses.oneOrNone()).toBeNull()
    })

    // test_dynamic.py::DynamicTest::test_transient_raise (all / one / one_or_none, added to a session)
    it('answers a pending owner\'s terminal methods with nothing', async () => {
      const { User } = models.classes
      const s = open()
      const u1 = new User({ name: 'u1' })
      s.add(u1)
      expect(await u1.addresses.all()).toEqual([])
      await expect(u1.addresses.one()).rejects.toBeInstanceOf(NoResultFoundError)
      expect(await u1.addresses.oneOrNone()).toBeNull()
    })

    // test_dynamic.py::DynamicTest::test_detached_raise
    it('raises DetachedInstanceError for a query on a detached owner', async () => {
      const { User } = models.classes
      const s = open()
      const ed = await s.get(User, 8)
      s.expunge(ed)
      await expect(ed.addresses.filterBy({ emailAddress: 'e' }).all()).rejects.toBeInstanceOf(DetachedInstanceError)
    })

    // test_dynamic.py::DynamicTest::test_transient_all_empty_list
    it('lists nothing for a new owner', async () => {
      const { User } = models.classes
      const u1 = new User()
      expect(await u1.addresses.all()).toEqual([])
    })

    // test_dynamic.py::DynamicTest::test_no_uselist_false and ::test_no_m2o
    it('refuses dynamic on a to-one relationship at generation', async () => {
      const schema = peerSchema({ lazy: { 'Address.user': 'dynamic' } })
      await expect(importInlineModels('sa-dynamic-m2o', schema)).rejects.toThrow(/only allowed on list \(to-many\) relations/)
    })

    // test_dynamic.py::DynamicTest::test_order_by
    it('orders by a column, descending', async () => {
      const { User } = models.classes
      const s = open()
      const ed = await s.get(User, 8)
      expect(emails(await ed.addresses.orderBy({ emailAddress: 'desc' }).all())).toEqual(['ed@wood.com', 'ed@lala.com', 'ed@bettyboop.com'])
    })

    // test_dynamic.py::DynamicTest::test_configured_order_by
    it('starts from the order the relationship declares; orderBy(null) cancels it, for another order or none', async () => {
      const ordered = await peerModels('sa-dynamic-orderby', dialect, { lazy: dynamic, orderBy: { 'User.addresses': 'emailAddress: desc' } })
      try {
        await ordered.seed()
        const s = open({}, ordered)
        const ed = await s.get(ordered.classes.User, 8)
        const sql = (await capturedSql(ordered.engine, async () => {
          expect(emails(await ed.addresses.all())).toEqual(['ed@wood.com', 'ed@lala.com', 'ed@bettyboop.com'])
          expect(emails(await ed.addresses.orderBy(null).orderBy({ emailAddress: 'asc' }).all())).toEqual(['ed@bettyboop.com', 'ed@lala.com', 'ed@wood.com'])
          expect(new Set(emails(await ed.addresses.orderBy(null).all()))).toEqual(new Set(['ed@bettyboop.com', 'ed@lala.com', 'ed@wood.com']))
        })).map(normalizeSql)
        expect(sql.map((text) => text.slice(text.indexOf(' WHERE ')))).toEqual([
          ' WHERE "user_id" = ? ORDER BY "email_address" DESC',
          ' WHERE "user_id" = ? ORDER BY "email_address" ASC',
          ' WHERE "user_id" = ?',
        ])
      } finally {
        await session?.close()
        session = undefined
        await ordered.dispose()
      }
    })

    // test_dynamic.py::DynamicTest::test_order_by_composition_uses_immutable_tuple
    it('refining the relationship never changes it: three identical statements', async () => {
      const { User } = models.classes
      const s = open()
      const ed = await s.get(User, 8)
      const sql = await capturedSql(models.engine, async () => {
        for (let i = 0; i < 3; i++) {
          expect(emails(await ed.addresses.orderBy({ emailAddress: 'desc' }).all())).toEqual(['ed@wood.com', 'ed@lala.com', 'ed@bettyboop.com'])
        }
      })
      const expected = 'SELECT "id", "user_id", "email_address" FROM "addresses" WHERE "user_id" = ? ORDER BY "email_address" DESC'
      expect(sql.map(normalizeSql)).toEqual([expected, expected, expected])
    })

    // test_dynamic.py::DynamicTest::test_count
    it('counts the first user\'s addresses', async () => {
      const { User } = models.classes
      const s = open()
      const first = await s.query(User).orderBy({ id: 'asc' }).first()
      expect(await first.addresses.count()).toBe(1)
    })

    // test_dynamic.py::DynamicTest::test_dynamic_on_backref
    it('clearing the many-to-one runs no SQL and takes the address out of the collection at flush', async () => {
      const { User, Address } = models.classes
      const s = open()
      const ad = await s.get(Address, 1)
      expect(await capturedSql(models.engine, async () => {
        ad.user = null
      })).toEqual([])
      await s.flush()
      const jack = await s.get(User, 7)
      expect(await jack.addresses.all()).not.toContain(ad)
    })

    // test_dynamic.py::DynamicTest::test_no_count
    it('a query and its dynamic collection cost two statements, no COUNT', async () => {
      const { User } = models.classes
      const s = open()
      const sql = await capturedSql(models.engine, async () => {
        const users = await s.query(User).where({ id: 7 }).all()
        expect(users.map((u: Obj) => u.id)).toEqual([7])
        expect(emails(await users[0].addresses.all())).toEqual(['jack@bean.com'])
      })
      expect(sql).toHaveLength(2)
      expect(sql.some((text) => /count\(/i.test(text))).toBe(false)
    })

    // test_dynamic.py::DynamicTest::test_m2m
    it('appending to a many-to-many dynamic collection shows on both sides', async () => {
      const { Order, Item } = models.classes
      const s = open()
      const o1 = new Order({ id: 15, description: 'order 10' })
      const i1 = new Item({ id: 10, description: 'item 8' })
      o1.items.append(i1)
      s.add(o1)
      await s.flush()
      expect(await i1.orders.all()).toContain(o1)
      expect(await o1.items.all()).toContain(i1)
    })

    // test_dynamic.py::DynamicTest::test_transient_count
    it('counts what was appended to a new owner', async () => {
      const { User, Address } = models.classes
      const u1 = new User()
      u1.addresses.append(new Address())
      expect(await u1.addresses.count()).toBe(1)
    })

    // test_dynamic.py::DynamicTest::test_transient_access
    it('returns what was appended to a new owner', async () => {
      const { User, Address } = models.classes
      const u1 = new User()
      const a1 = new Address()
      u1.addresses.append(a1)
      expect(await u1.addresses.first()).toBe(a1)
    })
  })

  describe('DynamicUOWTest', () => {
    /** Addresses whose user_id is set, as (id, user_id, email) rows, read in the session's transaction. */
    const linked = async (s: Session) =>
      (await s.query(models.classes.Address).where({ userId: { not: null } }).orderBy({ id: 'asc' }).all()).map((a: Obj) => [a.id, a.userId, a.emailAddress])

    // test_dynamic.py::DynamicUOWTest::test_persistence
    it('append and remove write the foreign key at each flush', async () => {
      const { User, Address } = models.classes
      const s = open()
      let u1 = new User({ name: 'jack' })
      const a1 = new Address({ emailAddress: 'foo' })
      s.addAll([u1, a1])
      await s.flush()
      expect(await s.query(Address).where({ userId: { not: null } }).count()).toBe(0)
      u1 = await s.get(User, u1.id)
      u1.addresses.append(a1)
      await s.flush()
      expect(await linked(s)).toEqual([[a1.id, u1.id, 'foo']])
      u1.addresses.remove(a1)
      await s.flush()
      expect(await s.query(Address).where({ userId: { not: null } }).count()).toBe(0)
      u1.addresses.append(a1)
      await s.flush()
      expect(await linked(s)).toEqual([[a1.id, u1.id, 'foo']])
      const a2 = new Address({ emailAddress: 'bar' })
      u1.addresses.remove(a1)
      u1.addresses.append(a2)
      await s.flush()
      expect(await linked(s)).toEqual([[a2.id, u1.id, 'bar']])
    })

    // test_dynamic.py::DynamicUOWTest::test_collection_set
    // Skipped: not built yet: assigning a whole list to a relationship (README: Not yet).
    it.skip('assigning a list replaces the collection', async () => {
      const { User, Address } = models.classes
      const s = open({ autoflush: true })
      const u1 = new User({ name: 'jack' })
      const [a1, a2, a3, a4] = ['a1', 'a2', 'a3', 'a4'].map((emailAddress) => new Address({ emailAddress }))
      s.add(u1)
      u1.addresses = [a1, a3]
      const sorted = () => u1.addresses.orderBy({ emailAddress: 'asc' }).all()
      expect(await sorted()).toEqual([a1, a3])
      u1.addresses = [a1, a2, a4]
      expect(await sorted()).toEqual([a1, a2, a4])
      u1.addresses = [a2, a3]
      expect(await sorted()).toEqual([a2, a3])
      u1.addresses = []
      expect(await sorted()).toEqual([])
    })

    // test_dynamic.py::DynamicUOWTest::test_noload_add
    it('flushing an append does not load the collection', async () => {
      const { User, Address } = models.classes
      const s = open()
      const u1 = new User({ name: 'jack' })
      u1.addresses.append(new Address({ emailAddress: 'a1' }))
      s.add(u1)
      await s.commit()
      const u1Id = u1.id
      s.expireAll()
      u1.addresses.append(new Address({ emailAddress: 'a2' }))
      const sql = (await capturedSql(models.engine, () => s.flush())).map(normalizeSql)
      expect(sql.filter((text) => text.startsWith('SELECT') && text.includes('FROM "addresses"'))).toEqual([])
      expect(sql.filter((text) => text.startsWith('INSERT INTO "addresses"'))).toHaveLength(1)
      await s.commit()
      expect(await models.readRows('SELECT "email_address", "user_id" FROM "addresses" ORDER BY "id"')).toEqual([
        { email_address: 'a1', user_id: u1Id },
        { email_address: 'a2', user_id: u1Id },
      ])
    })

    // test_dynamic.py::DynamicUOWTest::test_noload_remove
    it('flushing a remove does not load the collection: one UPDATE to NULL', async () => {
      const { User, Address } = models.classes
      const s = open()
      const u1 = new User({ name: 'jack' })
      u1.addresses.append(new Address({ emailAddress: 'a1' }))
      const a2 = new Address({ emailAddress: 'a2' })
      u1.addresses.append(a2)
      s.add(u1)
      await s.commit()
      const a2Id = a2.id
      s.expireAll()
      u1.addresses.remove(a2)
      const sql = (await capturedSql(models.engine, () => s.flush())).map(normalizeSql)
      expect(sql.filter((text) => text.startsWith('SELECT') && text.includes('FROM "addresses"'))).toEqual([])
      expect(sql.filter((text) => !text.startsWith('BEGIN'))).toEqual(['UPDATE "addresses" SET "user_id" = ? WHERE "id" = ?'])
      await s.commit()
      expect(await models.readRows(`SELECT "user_id" FROM "addresses" WHERE "id" = ${a2Id}`)).toEqual([{ user_id: null }])
    })

    // test_dynamic.py::DynamicUOWTest::test_rollback
    it('rollback forgets an appended, flushed address', async () => {
      const { User, Address } = models.classes
      const s = open({ expireOnCommit: false, autoflush: true })
      const u1 = new User({ name: 'jack' })
      u1.addresses.append(new Address({ emailAddress: 'lala@hoho.com' }))
      s.add(u1)
      await s.flush()
      await s.commit()
      u1.addresses.append(new Address({ emailAddress: 'foo@bar.com' }))
      expect(emails(await u1.addresses.orderBy({ id: 'asc' }).all())).toEqual(['lala@hoho.com', 'foo@bar.com'])
      await s.rollback()
      expect(emails(await u1.addresses.all())).toEqual(['lala@hoho.com'])
    })

    // test_dynamic.py::DynamicUOWTest::test_self_referential
    it('a self-referential dynamic collection', async () => {
      const { Node } = models.classes
      const s = open()
      const n2 = new Node()
      const n3 = new Node()
      const n1 = new Node()
      n1.children.append(n2)
      n1.children.append(n3)
      s.add(n1)
      await s.commit()
      expect(await n1.children.orderBy({ id: 'asc' }).all()).toEqual([n2, n3])
    })

    // test_dynamic.py::DynamicUOWTest::test_remove_orphans
    it('removing from a delete-orphan collection deletes the rows', async () => {
      const { User, Address } = cascading.classes
      const s = open({ autoflush: true }, cascading)
      const u = new User({ name: 'ed' })
      for (const letter of 'abcdef') u.addresses.append(new Address({ emailAddress: letter }))
      s.add(u)
      for (const a of await u.addresses.where({ emailAddress: { in: ['c', 'e', 'f'] } }).all()) u.addresses.remove(a)
      expect(new Set(emails(await s.query(Address).all()))).toEqual(new Set(['a', 'b', 'd']))
    })

    // test_dynamic.py::DynamicUOWTest::test_backref (autoflush on/off, adding the user or the address)
    it.each([
      [true, true],
      [true, false],
      [false, true],
      [false, false],
    ])('the many-to-one side fills the collection (autoflush %s, add user %s)', async (autoflush, saveUser) => {
      const { User, Address } = models.classes
      const s = open({ autoflush })
      const u = new User({ name: 'buffy' })
      const a = new Address({ emailAddress: 'foo@bar.com' })
      a.user = u
      s.add(saveUser ? u : a)
      if (!autoflush) await s.flush()
      expect(inspect(u).session).toBe(s)
      expect(inspect(a).session).toBe(s)
      expect(await u.addresses.all()).toEqual([a])
      a.user = null
      if (!autoflush) {
        expect(await u.addresses.all()).toEqual([a])
        await s.flush()
      }
      expect(await u.addresses.all()).toEqual([])
    })

    // test_dynamic.py::DynamicUOWTest::test_backref_events
    it('append sets the other side at once', async () => {
      const { User, Address } = models.classes
      const u1 = new User()
      const a1 = new Address()
      u1.addresses.append(a1)
      expect(await a1.user).toBe(u1)
    })

    // test_dynamic.py::DynamicUOWTest::test_no_deref
    it('a collection reads fine from a query result no one holds', async () => {
      const { User, Address } = models.classes
      const s = open()
      const user = new User({ name: 'joe' })
      const address = new Address({ emailAddress: 'joe@joesdomain.example' })
      address.user = user
      s.add(user)
      await s.commit()
      await s.close()
      for (let i = 0; i < 3; i++) {
        const fresh = new Session({ bind: models.engine })
        try {
          expect(emails(await (await fresh.query(User).first())!.addresses.all())).toEqual(['joe@joesdomain.example'])
        } finally {
          await fresh.close()
        }
      }
    })

    // test_dynamic.py::DynamicUOWTest::test_merge_persistent ("empty": the merged copy leaves the collection out)
    // Skipped: difference: a dynamic relationship's history lists only unflushed appends and removals (README: Ported tests that do not hold).
    it.skip('merging an owner without its collection leaves the collection alone', async () => {
      const { User, Address } = models.classes
      const s = open({ autoflush: false })
      const a1 = new Address({ emailAddress: 'a1' })
      const a2 = new Address({ emailAddress: 'a2' })
      const a3 = new Address({ emailAddress: 'a3' })
      const u1 = new User({ name: 'jack' })
      u1.addresses.append(a2)
      u1.addresses.append(a3)
      s.addAll([u1, a1])
      await s.flush()
      const merged = await s.merge(new User({ id: u1.id, name: 'jane' }))
      expect(merged).toBe(u1)
      expect(history(merged, 'addresses')).toEqual({ added: [], unchanged: [a2, a3], deleted: [] })
      await s.flush()
      expect(await merged.addresses.orderBy({ emailAddress: 'asc' }).all()).toEqual([a2, a3])
      expect(merged.name).toBe('jane')
    })

    // test_dynamic.py::DynamicUOWTest::test_merge_persistent ("persistent": the merged copy brings another collection)
    it('merging an owner with a collection replaces the collection', async () => {
      const { User, Address } = models.classes
      const s = open({ autoflush: false })
      const a1 = new Address({ emailAddress: 'a1' })
      const a2 = new Address({ emailAddress: 'a2' })
      const a3 = new Address({ emailAddress: 'a3' })
      const u1 = new User({ name: 'jack' })
      u1.addresses.append(a2)
      u1.addresses.append(a3)
      s.addAll([u1, a1])
      await s.flush()
      const copy = new User({ id: u1.id, name: 'jane' })
      copy.addresses.append(a1)
      copy.addresses.append(a3)
      const merged = await s.merge(copy)
      await s.flush()
      expect(await merged.addresses.orderBy({ emailAddress: 'asc' }).all()).toEqual([a1, a3])
    })

    /** Addresses by whether their user_id is NULL, read with the plain driver. */
    const nullCounts = async (on: PeerModels) => {
      const rows = await on.readRows<{ user_id: number | null }>('SELECT "user_id" FROM "addresses"')
      const counts: Record<string, number> = {}
      for (const row of rows) counts[String(row.user_id === null)] = (counts[String(row.user_id === null)] ?? 0) + 1
      return counts
    }

    // test_dynamic.py::DynamicUOWTest::test_delete_cascade (delete cascade configured)
    it('deleting the owner deletes its addresses with @cascade(delete)', async () => {
      const { User, Address } = cascading.classes
      const s = open({ autoflush: true }, cascading)
      const u = new User({ name: 'ed' })
      for (const letter of 'abcdef') u.addresses.append(new Address({ emailAddress: letter }))
      s.add(u)
      await s.commit()
      expect(await nullCounts(cascading)).toEqual({ false: 6 })
      s.delete(u)
      await s.commit()
      expect(await cascading.readRows('SELECT "id" FROM "addresses"')).toEqual([])
    })

    // test_dynamic.py::DynamicUOWTest::test_delete_cascade (no delete cascade)
    it('deleting the owner leaves its addresses with a NULL user_id without a delete cascade', async () => {
      const { User, Address } = models.classes
      const s = open({ autoflush: true })
      const u = new User({ name: 'ed' })
      for (const letter of 'abcdef') u.addresses.append(new Address({ emailAddress: letter }))
      s.add(u)
      await s.commit()
      expect(await nullCounts(models)).toEqual({ false: 6 })
      s.delete(u)
      await s.commit()
      expect(await nullCounts(models)).toEqual({ true: 6 })
    })
  })

  // SQLAlchemy's history of a dynamic collection without loading it (its PASSIVE_NO_FETCH answer): reading
  // history is synchronous here, so it never runs SQL, and members the database holds are not listed as unchanged.
  describe('DynamicHistoryTest', () => {
    const persistentFixture = async (autoflush = true) => {
      const { User, Address } = models.classes
      const u1 = new User({ name: 'u1' })
      const a1 = new Address({ emailAddress: 'a1' })
      const s = open({ autoflush })
      s.add(u1)
      await s.flush()
      return { u1, a1, s }
    }

    // test_dynamic.py::DynamicHistoryTest::test_add_transient
    it('append to a new owner is added', () => {
      const { User, Address } = models.classes
      const u1 = new User()
      const a1 = new Address()
      u1.addresses.append(a1)
      expect(history(u1, 'addresses')).toEqual({ added: [a1], unchanged: [], deleted: [] })
    })

    // test_dynamic.py::DynamicHistoryTest::test_add_persistent
    it('append to a persistent owner is added', async () => {
      const { u1, a1 } = await persistentFixture()
      u1.addresses.append(a1)
      expect(history(u1, 'addresses')).toEqual({ added: [a1], unchanged: [], deleted: [] })
    })

    // test_dynamic.py::DynamicHistoryTest::test_remove_transient
    it('append then remove on a new owner leaves no history', () => {
      const { User, Address } = models.classes
      const u1 = new User()
      const a1 = new Address()
      u1.addresses.append(a1)
      u1.addresses.remove(a1)
      expect(history(u1, 'addresses')).toEqual({ added: [], unchanged: [], deleted: [] })
    })

    // test_dynamic.py::DynamicHistoryTest::test_backref_pop_transient
    it('clearing the many-to-one takes the address out of added', () => {
      const { User, Address } = models.classes
      const u1 = new User()
      const a1 = new Address()
      u1.addresses.append(a1)
      expect(history(u1, 'addresses')).toEqual({ added: [a1], unchanged: [], deleted: [] })
      a1.user = null
      expect(history(u1, 'addresses')).toEqual({ added: [], unchanged: [], deleted: [] })
    })

    // test_dynamic.py::DynamicHistoryTest::test_remove_persistent
    it('remove of a flushed member is deleted', async () => {
      const { u1, a1, s } = await persistentFixture()
      u1.addresses.append(a1)
      await s.flush()
      s.expireAll()
      u1.addresses.remove(a1)
      expect(history(u1, 'addresses')).toEqual({ added: [], unchanged: [], deleted: [a1] })
    })

    // test_dynamic.py::DynamicHistoryTest::test_backref_pop_persistent_autoflush_o2m_active_hist
    it('clearing a flushed member\'s many-to-one is deleted', async () => {
      const { u1, a1, s } = await persistentFixture()
      u1.addresses.append(a1)
      await s.flush()
      s.expireAll()
      a1.user = null
      expect(history(u1, 'addresses')).toEqual({ added: [], unchanged: [], deleted: [a1] })
    })

    // test_dynamic.py::DynamicHistoryTest::test_backref_pop_persistent_autoflush_m2m and ::test_backref_pop_persistent_noflush_m2m
    it.each([true, false])('removing from the other side of a many-to-many is deleted (autoflush %s)', async (autoflush) => {
      const { Order, Item } = models.classes
      const s = open({ autoflush })
      const o1 = new Order()
      const i1 = new Item({ description: 'i1' })
      s.add(o1)
      await s.flush()
      o1.items.append(i1)
      await s.flush()
      s.expireAll()
      i1.orders.remove(o1)
      expect(history(o1, 'items')).toEqual({ added: [], unchanged: [], deleted: [i1] })
    })

    // test_dynamic.py::DynamicHistoryTest::test_unchanged_persistent (SQLAlchemy's passive answer)
    it('after a flush only the new changes show', async () => {
      const { Address } = models.classes
      const { u1, a1, s } = await persistentFixture()
      const a2 = new Address({ emailAddress: 'a2' })
      const a3 = new Address({ emailAddress: 'a3' })
      u1.addresses.append(a1)
      u1.addresses.append(a2)
      await s.flush()
      u1.addresses.append(a3)
      u1.addresses.remove(a2)
      expect(history(u1, 'addresses')).toEqual({ added: [a3], unchanged: [], deleted: [a2] })
    })

    // test_dynamic.py::DynamicHistoryTest::test_persistent_but_readded (SQLAlchemy's passive answer)
    it('appending a flushed member again shows it as added', async () => {
      const { u1, a1, s } = await persistentFixture()
      u1.addresses.append(a1)
      await s.flush()
      u1.addresses.append(a1)
      expect(history(u1, 'addresses')).toEqual({ added: [a1], unchanged: [], deleted: [] })
    })

    // test_dynamic.py::DynamicHistoryTest::test_missing_but_removed_noflush (SQLAlchemy's passive answer)
    // Skipped: difference: remove() of a non-member records nothing (README: Ported tests that do not hold).
    it.skip('removing an object never appended shows it as deleted', async () => {
      const { u1, a1 } = await persistentFixture(false)
      u1.addresses.remove(a1)
      expect(history(u1, 'addresses')).toEqual({ added: [], unchanged: [], deleted: [a1] })
    })
  })
})
