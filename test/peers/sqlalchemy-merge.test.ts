// SQLAlchemy's test/orm/test_merge.py, ported: `session.merge(obj)` copies a transient or detached object's state onto
// the session's object with the same key (loading it, or adding a new pending one) and returns that object.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { inspect, Session } from 'prismalchemy'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { DIALECTS, normalizeSql } from '../helpers/dialects.js'
import { capturedSql } from '../helpers/sql-recorder.js'
import { peerModels, type PeerModels } from './fixtures.js'

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = any

const emails = (addresses: readonly Obj[]): string[] => addresses.map((a) => a.emailAddress).sort()

const EXTRA_SCHEMA = `datasource db {
  provider = "sqlite"
}

model Owner {
  id      Int      @id
  name    String?
  address Place?
  /// @cascade(delete, delete-orphan)
  elements CompositePk[]
}

model Place {
  id      Int     @id
  ownerId Int?    @unique
  email   String?
  owner   Owner?  @relation(fields: [ownerId], references: [id])
}

model CompositePk {
  i     Int
  j     Int
  k     Int
  owner Owner? @relation(fields: [i], references: [id])
  @@id([i, j, k])
}

model Data {
  id   Int  @id @default(autoincrement())
  data Json?
}

model Pair {
  pk1 String
  pk2 String
  @@id([pk1, pk2])
}

model Rock {
  id          Int     @id
  description String?
  /// @cascade(delete, delete-orphan)
  bug         Bug?
}

model Bug {
  id     Int   @id
  rockId Int?  @unique
  rock   Rock? @relation(fields: [rockId], references: [id])
}
`

describe.each(DIALECTS)('on %s', (dialect) => {
  /** Every relationship `select` (SQLAlchemy's MergeTest runs on empty tables). */
  let models: PeerModels
  /** User.addresses with `@cascade(delete, delete-orphan)`. */
  let orphans: PeerModels
  let extra: InlineModels
  const sessions: Session[] = []

  beforeAll(async () => {
    models = await peerModels('sa-merge', dialect)
    orphans = await peerModels('sa-merge-orphans', dialect, { cascade: { 'User.addresses': 'delete, delete-orphan' } })
    extra = await inlineModels('sa-merge-extra', EXTRA_SCHEMA, dialect)
  })

  afterAll(async () => {
    await models.dispose()
    await orphans.dispose()
    await extra.dispose()
  })

  beforeEach(async () => {
    await models.clear()
    await orphans.clear()
    await extra.database.execute(['Bug', 'Rock', 'CompositePk', 'Place', 'Owner', 'Data', 'Pair'].map((t) => `DELETE FROM "${t}";`).join('\n'))
  })

  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.close()
  })

  const open = (options: { autoflush?: boolean; expireOnCommit?: boolean } = {}, on: { engine: PeerModels['engine'] } = models): Session => {
    const s = new Session({ bind: on.engine, ...options })
    sessions.push(s)
    return s
  }

  /** SELECT statements `work` runs (SQLAlchemy counts loads with a "load" event listener). */
  const selects = async (work: () => Promise<unknown>, on: { engine: PeerModels['engine'] } = models) =>
    (await capturedSql(on.engine, work)).map(normalizeSql).filter((text) => text.startsWith('SELECT'))

  /** A transient user with transient addresses, as SQLAlchemy's `User(addresses=[...])`. */
  const userWith = async (on: PeerModels, init: object, addresses: readonly object[]) => {
    const { User, Address } = on.classes
    const user = new User(init)
    const list = await user.addresses
    for (const address of addresses) list.push(new Address(address))
    return user
  }

  describe('MergeTest', () => {
    // test_merge.py::MergeTest::test_transient_to_pending
    it('a transient object with a new key becomes a pending copy after one lookup', async () => {
      const { User } = models.classes
      const s = open()
      const u = new User({ id: 7, name: 'fred' })
      let u2: Obj
      expect(await selects(async () => {
        u2 = await s.merge(u)
      })).toHaveLength(1)
      expect(u2).not.toBe(u)
      expect(inspect(u2).pending).toBe(true)
      expect([u2.id, u2.name]).toEqual([7, 'fred'])
      await s.flush()
      s.expungeAll()
      const first = await s.query(User).first()
      expect([first.id, first.name]).toEqual([7, 'fred'])
    })

    // test_merge.py::MergeTest::test_transient_to_pending_no_pk
    it('a transient object without a key is copied without SQL', async () => {
      const { User } = models.classes
      const s = open()
      expect(await selects(() => s.merge(new User({ name: 'fred' })))).toEqual([])
    })

    // test_merge.py::MergeTest::test_transient_to_pending_collection
    it('merges a transient user\'s new addresses along with it', async () => {
      const { User } = models.classes
      const s = open()
      const u = await userWith(models, { id: 7, name: 'fred' }, [
        { id: 1, emailAddress: 'fred1' },
        { id: 2, emailAddress: 'fred2' },
      ])
      const merged = await s.merge(u)
      expect(merged).not.toBe(u)
      expect(s.new.filter((obj) => obj instanceof User)).toEqual([merged])
      await s.flush()
      s.expungeAll()
      const loaded = await s.query(User).one()
      expect([loaded.id, loaded.name]).toEqual([7, 'fred'])
      expect(emails(await loaded.addresses)).toEqual(['fred1', 'fred2'])
    })

    // test_merge.py::MergeTest::test_transient_non_mutated_collection
    it('an untouched empty collection on the copy does not empty the persistent one', async () => {
      const { User, Address } = models.classes
      const s = open()
      const u = new User({ id: 7, name: 'fred' })
      s.add(u)
      s.add(new Address({ id: 1, emailAddress: 'jack@bean.com', user: u }))
      await s.commit()
      await s.close()
      const copy = new User({ id: 7, name: 'fred' })
      expect(await copy.addresses).toEqual([])
      const u2 = await s.merge(copy)
      expect((await u2.addresses).map((a: Obj) => a.id)).toEqual([1])
    })

    // test_merge.py::MergeTest::test_transient_to_pending_collection_pk_none
    it('merges a transient user and addresses without keys as new rows', async () => {
      const { User } = models.classes
      const s = open()
      const u = await userWith(models, { name: 'fred' }, [{ emailAddress: 'fred1' }, { emailAddress: 'fred2' }])
      const merged = await s.merge(u)
      expect(merged).not.toBe(u)
      await s.flush()
      s.expungeAll()
      const loaded = await s.query(User).one()
      expect(loaded.name).toBe('fred')
      expect(emails(await loaded.addresses)).toEqual(['fred1', 'fred2'])
    })

    // test_merge.py::MergeTest::test_transient_to_persistent
    it('a transient copy of an existing row updates it', async () => {
      const { User } = models.classes
      const s = open()
      s.add(new User({ id: 7, name: 'fred' }))
      await s.flush()
      s.expungeAll()
      const copy = new User({ id: 7, name: 'fred jones' })
      const merged = await s.merge(copy)
      expect(merged).not.toBe(copy)
      expect(inspect(merged).persistent).toBe(true)
      await s.flush()
      s.expungeAll()
      const first = await s.query(User).first()
      expect([first.id, first.name]).toEqual([7, 'fred jones'])
    })

    // test_merge.py::MergeTest::test_transient_to_persistent_collection
    it('a copy with other addresses replaces the collection, deleting orphans', async () => {
      const { User, Address } = orphans.classes
      const s = open({}, orphans)
      s.add(await userWith(orphans, { id: 7, name: 'fred' }, [
        { id: 1, emailAddress: 'fred1' },
        { id: 2, emailAddress: 'fred2' },
      ]))
      await s.flush()
      s.expungeAll()
      const copy = await userWith(orphans, { id: 7, name: 'fred' }, [
        { id: 3, emailAddress: 'fred3' },
        { id: 4, emailAddress: 'fred4' },
      ])
      const merged = await s.merge(copy)
      expect(emails(await merged.addresses)).toEqual(['fred3', 'fred4'])
      await s.flush()
      s.expungeAll()
      expect(emails(await (await s.query(User).one()).addresses)).toEqual(['fred3', 'fred4'])
      expect((await s.query(Address).all()).map((a: Obj) => a.id).sort()).toEqual([3, 4])
    })

    // test_merge.py::MergeTest::test_detached_to_persistent_collection
    it('a detached user\'s changed collection is merged', async () => {
      const { User, Address } = models.classes
      const s = open()
      const u = await userWith(models, { id: 7, name: 'fred' }, [
        { id: 1, emailAddress: 'fred1' },
        { id: 2, emailAddress: 'fred2' },
      ])
      s.add(u)
      await s.flush()
      const list = await u.addresses
      s.expungeAll()
      u.name = 'fred jones'
      list.push(new Address({ id: 3, emailAddress: 'fred3' }))
      list.splice(list.findIndex((a: Obj) => a.id === 1), 1)
      await s.merge(u)
      await s.flush()
      s.expungeAll()
      const loaded = await s.query(User).first()
      expect(loaded.name).toBe('fred jones')
      expect(emails(await loaded.addresses)).toEqual(['fred2', 'fred3'])
    })

    // test_merge.py::MergeTest::test_unsaved_cascade
    it('merges a transient user with two transient addresses on both sides', async () => {
      const { User } = models.classes
      const s = open()
      const u = await userWith(models, { id: 7, name: 'fred' }, [{ emailAddress: 'foo@bar.com' }, { emailAddress: 'hoho@bar.com' }])
      const u2 = await s.merge(u)
      expect(emails(await u.addresses)).toEqual(['foo@bar.com', 'hoho@bar.com'])
      expect(emails(await u2.addresses)).toEqual(['foo@bar.com', 'hoho@bar.com'])
      for (const a of await u2.addresses) expect(await a.user).toBe(u2)
      await s.flush()
      s.expungeAll()
      const loaded = await s.get(User, 7)
      expect(loaded.name).toBe('fred')
      expect(emails(await loaded.addresses)).toEqual(['foo@bar.com', 'hoho@bar.com'])
    })

    // test_merge.py::MergeTest::test_merge_empty_attributes
    it('a copy without a value leaves the target\'s value and its pending change alone', async () => {
      const { Dingaling } = models.classes
      const s = open({ autoflush: false })
      const u1 = await s.merge(new Dingaling({ id: 1 }))
      await s.flush()
      expect(u1.data).toBeNull()
      s.add(new Dingaling({ id: 2, data: 'foo' }))
      await s.flush()
      const u3 = await s.merge(new Dingaling({ id: 2 }))
      expect(u3.data).toBe('foo')
      u3.data = 'bar'
      await s.merge(new Dingaling({ id: 2 }))
      expect(u3.data).toBe('bar')
      await s.flush()
      expect(u3.data).toBe('bar')
      s.add(new Dingaling({ id: 3, data: 'foo' }))
      await s.flush()
      const u6 = await s.merge(new Dingaling({ id: 3 }))
      expect(u6.data).toBe('foo')
      u6.data = null
      await s.merge(new Dingaling({ id: 3 }))
      expect(u6.data).toBeNull()
    })

    // test_merge.py::MergeTest::test_attribute_cascade
    it('merges a detached user\'s changes, and its address\'s, into another session', async () => {
      const { User } = models.classes
      const s1 = open({ expireOnCommit: false })
      const u = await userWith(models, { id: 7, name: 'fred' }, [{ emailAddress: 'foo@bar.com' }, { emailAddress: 'hoho@la.com' }])
      s1.add(u)
      await s1.commit()
      const list = await u.addresses
      await s1.close()
      u.name = 'fred2'
      list.find((a: Obj) => a.emailAddress === 'hoho@la.com').emailAddress = 'hoho@lalala.com'
      const s3 = open({ expireOnCommit: false })
      const u3 = await s3.merge(u)
      expect(u3.name).toBe('fred2')
      expect(emails(await u3.addresses)).toEqual(['foo@bar.com', 'hoho@lalala.com'])
      await s3.commit()
      const s4 = open()
      const saved = await s4.get(User, 7)
      expect(saved.name).toBe('fred2')
      expect(emails(await saved.addresses)).toEqual(['foo@bar.com', 'hoho@lalala.com'])
      // Merging the (unchanged) persistent object into another session has nothing to flush.
      const s5 = open({ expireOnCommit: false })
      const again = await s5.merge(saved)
      for (const a of await again.addresses) expect(await a.user).toBe(again)
      expect((await capturedSql(models.engine, () => s5.flush())).filter((text) => !text.startsWith('SELECT'))).toEqual([])
    })

    // test_merge.py::MergeTest::test_dont_send_neverset_to_get
    it('a copy whose key was never fully set is added without a lookup', async () => {
      const { CompositePk, Owner } = extra.classes
      const s = open({}, extra)
      // Here the table's i is also a foreign key (the next test's relationship): its row must exist.
      s.add(new Owner({ id: 5 }))
      await s.commit()
      const cp1 = new CompositePk({ j: 1, k: 1 })
      let merged: Obj
      expect(await selects(async () => {
        merged = await s.merge(cp1)
      }, extra)).toEqual([])
      merged.i = 5
      await s.commit()
      expect(merged.i).toBe(5)
    })

    // test_merge.py::MergeTest::test_dont_send_neverset_to_get_w_relationship
    it('a copy with a child whose key is set by the relationship: one lookup, for the parent', async () => {
      const { Owner, CompositePk } = extra.classes
      const s = open({}, extra)
      const u1 = new Owner({ id: 5, name: 'some user' })
      ;(await u1.elements).push(new CompositePk({ j: 1, k: 1 }))
      let u2: Obj
      expect(await selects(async () => {
        u2 = await s.merge(u1)
      }, extra)).toHaveLength(1)
      await s.commit()
      expect((await u2.elements)[0].i).toBe(5)
      expect(u2.id).toBe(5)
    })

    // test_merge.py::MergeTest::test_no_relationship_cascade (the copy's new user is not taken along)
    // Skipped: cannot be declared: the test's relationship has cascade="none"; save-update and merge always cascade here (README: Ported tests that do not hold).
    it.skip('the copy\'s unsaved many-to-one target does not replace the loaded one', async () => {
      const { User, Address } = models.classes
      const s = open()
      const u1 = new User({ name: 'fred' })
      const a1 = new Address({ emailAddress: 'asdf', user: u1 })
      s.add(a1)
      await s.flush()
      const a2 = await s.merge(new Address({ id: a1.id, emailAddress: 'bar', user: new User({ name: 'hoho' }) }))
      await s.flush()
      expect(await a2.user).toBe(u1)
      expect((await s.query(Address).all()).map((a: Obj) => [a.id, a.emailAddress])).toEqual([[a1.id, 'bar']])
      expect((await s.query(User).all()).map((u: Obj) => u.name)).toEqual(['fred'])
    })

    // test_merge.py::MergeTest::test_one_to_many_cascade
    it('merges a change to a member of a loaded collection', async () => {
      const { User } = models.classes
      const s = open({ expireOnCommit: false })
      const u = await userWith(models, { name: 'fred' }, [{ emailAddress: 'foo@bar' }, { emailAddress: 'foo@quux' }])
      s.add(u)
      await s.commit()
      const s2 = open()
      const u2 = await s2.get(User, u.id)
      const quux = (await u.addresses).find((a: Obj) => a.emailAddress === 'foo@quux')
      quux.emailAddress = 'addr 2 modified'
      await s2.merge(u)
      expect(emails(await u2.addresses)).toEqual(['addr 2 modified', 'foo@bar'])
      const s3 = open()
      const u3 = await s3.get(User, u.id)
      u.name = 'also fred'
      await s3.merge(u)
      expect(u3.name).toBe('also fred')
    })

    // test_merge.py::MergeTest::test_many_to_one_cascade
    it('merging a changed many-to-one records it as a change', async () => {
      const { User, Address } = models.classes
      const s = open({ expireOnCommit: false })
      const u1 = new User({ id: 1, name: 'u1' })
      const a1 = new Address({ id: 1, emailAddress: 'a1', user: u1 })
      const u2 = new User({ id: 2, name: 'u2' })
      s.addAll([a1, u1, u2])
      await s.commit()
      a1.user = u2
      const s2 = open({ expireOnCommit: false })
      const a2 = await s2.merge(a1)
      expect((inspect(a2) as Obj).attrs.user.history.added.map((u: Obj) => u.id)).toEqual([2])
      expect(s2.dirty).toContain(a2)
    })

    // test_merge.py::MergeTest::test_many_to_many_cascade
    it('merges a change to a many-to-many member', async () => {
      const { Order, Item } = models.classes
      const s = open({ expireOnCommit: false })
      const o = new Order({ description: 'order description' })
      const items = await o.items
      items.push(new Item({ description: 'item 1' }), new Item({ description: 'item 2' }))
      s.add(o)
      await s.commit()
      await s.close()
      const s2 = open({ expireOnCommit: false })
      const o2 = await s2.get(Order, o.id)
      items[1].description = 'item 2 modified'
      await s2.merge(o)
      expect((await o2.items).map((i: Obj) => i.description).sort()).toEqual(['item 1', 'item 2 modified'])
      const s3 = open({ expireOnCommit: false })
      const o3 = await s3.get(Order, o.id)
      o.description = 'desc modified'
      await s3.merge(o)
      expect(o3.description).toBe('desc modified')
    })

    // test_merge.py::MergeTest::test_one_to_one_cascade
    it('merging another session\'s copy back returns the original object', async () => {
      const { Owner, Place } = extra.classes
      const s = open({ expireOnCommit: false }, extra)
      const u = new Owner({ id: 7, name: 'fred' })
      const a1 = new Place({ id: 1, email: 'foo@bar.com', owner: u })
      s.addAll([u, a1])
      await s.commit()
      const s2 = open({}, extra)
      const u2 = await s2.get(Owner, 7)
      u2.name = 'fred2'
      ;(await u2.address).email = 'hoho@lalala.com'
      const u3 = await s.merge(u2)
      expect(u3).toBe(u)
      expect(u.name).toBe('fred2')
    })

    // test_merge.py::MergeTest::test_value_to_none
    it('null values on the copy, columns and relationships, are merged', async () => {
      const { Owner, Place } = extra.classes
      const s = open({}, extra)
      const owner = new Owner({ id: 7, name: 'fred' })
      s.addAll([owner, new Place({ id: 1, email: 'foo@bar.com', owner })])
      await s.commit()
      await s.close()
      const copy = new Owner({ id: 7, name: null })
      const u3 = await s.merge(copy)
      expect(u3.name).toBeNull()
      await s.close()
      const a2 = await s.merge(new Place({ id: 1, owner: null }))
      expect(await a2.owner).toBeNull()
    })

    // test_merge.py::MergeTest::test_cascade_doesnt_blowaway_manytoone
    it('two merges of the same key give one object to both many-to-ones', async () => {
      const { User, Address } = models.classes
      const s = open({ autoflush: true })
      const a1 = new Address({ user: await s.merge(new User({ id: 1, name: 'ed' })), emailAddress: 'x' })
      s.add(a1)
      const before = await a1.user
      const a2 = new Address({ user: await s.merge(new User({ id: 1, name: 'jack' })), emailAddress: 'x' })
      s.add(a2)
      expect(await a1.user).toBe(before)
      expect(await a2.user).toBe(before)
    })

    // test_merge.py::MergeTest::test_cascades_dont_autoflush
    it('a merged new user with an address is pending until the flush', async () => {
      const s = open({ autoflush: true })
      const user = await userWith(models, { id: 8, name: 'fred' }, [{ emailAddress: 'user' }])
      const merged = await s.merge(user)
      expect(s.new).toContain(merged)
      await s.flush()
      expect(s.new).not.toContain(merged)
    })

    // test_merge.py::MergeTest::test_cascades_dont_autoflush_2
    it('merging a persistent user with one more address commits', async () => {
      const s = open({ autoflush: true }, orphans)
      s.add(await userWith(orphans, { id: 7, name: 'fred' }, [{ id: 1, emailAddress: 'fred1' }]))
      await s.commit()
      s.expungeAll()
      await s.merge(await userWith(orphans, { id: 7, name: 'fred' }, [
        { id: 1, emailAddress: 'fred1' },
        { id: 2, emailAddress: 'fred2' },
      ]))
      expect(s.autoflushEnabled).toBe(true)
      await s.commit()
      expect(await orphans.readRows('SELECT "id", "user_id" FROM "addresses" ORDER BY "id"')).toEqual([
        { id: 1, user_id: 7 },
        { id: 2, user_id: 7 },
      ])
    })

    // test_merge.py::MergeTest::test_dont_expire_pending
    it('a pending merged copy has nothing expired and reads unset columns without SQL', async () => {
      const { User } = models.classes
      const s = open({ autoflush: true })
      const u = await s.merge(new User({ id: 7 }))
      expect(inspect(u).expiredAttributes).toEqual([])
      // An attribute never set reads undefined in JavaScript (SQLAlchemy: None).
      expect(await selects(async () => expect(u.name ?? null).toBeNull())).toEqual([])
    })

    // test_merge.py::MergeTest::test_resolve_conflicts_pending_doesnt_interfere_no_ident
    it('merges orders with new addresses without keys: three new addresses', async () => {
      const { User, Order, Address } = models.classes
      const s = open()
      const u1 = new User({ id: 7, name: 'x' })
      const orders = await u1.orders
      for (const email of ['a', 'b', 'c']) orders.push(new Order({ description: `o${email}`, address: new Address({ emailAddress: email }) }))
      await s.merge(u1)
      await s.flush()
      expect((await s.query(Address).orderBy({ emailAddress: 'asc' }).all()).map((a: Obj) => a.emailAddress)).toEqual(['a', 'b', 'c'])
    })

    // test_merge.py::MergeTest::test_resolve_conflicts_pending
    it('three copies of one new address key merge into one pending address, the last values winning', async () => {
      const { User, Order, Address } = models.classes
      const s = open()
      const u1 = new User({ id: 7, name: 'x' })
      const orders = await u1.orders
      for (const email of ['a', 'b', 'c']) orders.push(new Order({ description: `o${email}`, address: new Address({ id: 1, emailAddress: email }) }))
      await s.merge(u1)
      await s.flush()
      const address = await s.query(Address).one()
      expect([address.id, address.emailAddress]).toEqual([1, 'c'])
    })

    // test_merge.py::MergeTest::test_resolve_conflicts_persistent
    it('three copies of one existing address key merge into it, the last values winning', async () => {
      const { User, Order, Address } = models.classes
      const seed = open()
      seed.add(new Address({ id: 1, emailAddress: 'z' }))
      await seed.commit()
      const s = open()
      const u1 = new User({ id: 7, name: 'x' })
      const orders = await u1.orders
      for (const email of ['a', 'b', 'c']) orders.push(new Order({ description: `o${email}`, address: new Address({ id: 1, emailAddress: email }) }))
      await s.merge(u1)
      await s.flush()
      const address = await s.query(Address).one()
      expect([address.id, address.emailAddress]).toEqual([1, 'c'])
    })

    // test_merge.py::MergeTest::test_merge_all (one merge() per object)
    it('merges several transient users, one lookup each', async () => {
      const { User } = models.classes
      const s = open()
      const ua = new User({ id: 42, name: 'bob' })
      const ub = new User({ id: 7, name: 'fred' })
      let merged: Obj[] = []
      expect(await selects(async () => {
        merged = [await s.merge(ua), await s.merge(ub)]
      })).toHaveLength(2)
      for (const m of merged) expect(inspect(m).session).toBe(s)
      expect(merged.map((m) => [m.id, m.name])).toEqual([[42, 'bob'], [7, 'fred']])
      await s.flush()
      s.expungeAll()
      expect((await s.query(User).orderBy({ id: 'asc' }).all()).map((u: Obj) => [u.id, u.name])).toEqual([[7, 'fred'], [42, 'bob']])
    })
  })

  describe('MutableMergeTest', () => {
    // test_merge.py::MutableMergeTest::test_list
    it('merges a new JSON list value', async () => {
      const { Data } = extra.classes
      const s = open({}, extra)
      const d = new Data({ data: ['this', 'is', 'a', 'list'] })
      s.add(d)
      await s.commit()
      const d3 = await s.merge(new Data({ id: d.id, data: ['this', 'is', 'another', 'list'] }))
      expect(d3.data).toEqual(['this', 'is', 'another', 'list'])
    })
  })

  describe('CompositeNullPksTest', () => {
    // test_merge.py::CompositeNullPksTest::test_merge_disallow_partial (Prisma's id fields cannot be NULL, so a partial key never matches a row)
    it('a composite key with a missing part is merged without a lookup', async () => {
      const { Pair } = extra.classes
      const s = open({}, extra)
      expect(await selects(() => s.merge(new Pair({ pk1: 'someval', pk2: null })), extra)).toEqual([])
    })
  })

  describe('LoadOnPendingTest', () => {
    // test_merge.py::LoadOnPendingTest::test_merge_delete_orphan_o2o_none
    it('merges a new rock without a bug', async () => {
      const { Rock } = extra.classes
      const s = open({}, extra)
      const r = new Rock({ id: 0, description: 'moldy' })
      const m = await s.merge(r)
      expect(m).not.toBe(r)
      expect([m.id, m.description]).toEqual([0, 'moldy'])
      expect(await m.bug).toBeNull()
    })

    // test_merge.py::LoadOnPendingTest::test_merge_delete_orphan_o2o
    it('merges a new rock with its new bug (one-to-one, delete-orphan)', async () => {
      const { Rock, Bug } = extra.classes
      const s = open({}, extra)
      const r = new Rock({ id: 0, description: 'moldy' })
      const bug = new Bug({ id: 1, rock: r })
      const m = await s.merge(r)
      expect(m).not.toBe(r)
      expect([m.id, m.description]).toEqual([0, 'moldy'])
      expect((await m.bug)?.id).toBe(bug.id)
    })
  })
})
