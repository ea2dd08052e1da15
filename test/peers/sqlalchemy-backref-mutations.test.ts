// SQLAlchemy's test/orm/test_backref_mutations.py, ported: moving objects between collections and to-one attributes
// keeps the other side of the relationship in step in memory, with as little SQL as SQLAlchemy emits.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { inspect, type Session } from 'prismalchemy'
import { DIALECTS } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { capturedSql } from '../helpers/sql-recorder.js'
import { peerModels, type PeerModels } from './fixtures.js'

// users/addresses with a one-to-one between them (addresses.user_id unique): SQLAlchemy's `uselist=False` mappings.
const ONE_TO_ONE_SCHEMA = `datasource db {
  provider = "sqlite"
}

model User {
  id      Int      @id @default(autoincrement())
  name    String
  address Address?
  @@map("users")
}

model Address {
  id           Int     @id @default(autoincrement())
  userId       Int?    @unique @map("user_id")
  emailAddress String  @map("email_address")
  user         User?   @relation(fields: [userId], references: [id])
  @@map("addresses")
}
`

describe.each(DIALECTS)('on %s', (dialect) => {
  describe('one-to-many collections (users.addresses / addresses.user)', () => {
    let models: PeerModels
    let User: PeerModels['classes'][string]
    let Address: PeerModels['classes'][string]

    beforeAll(async () => {
      models = await peerModels('backref-o2m', dialect)
      ;({ User, Address } = models.classes)
    }, 60_000)
    afterAll(async () => {
      await models.dispose()
    })
    beforeEach(async () => {
      await models.clear()
    })

    /** Commits jack with the given addresses (as a1.user = jack) and ed; returns them. */
    async function jackAndEd(session: Session, emails: string[]) {
      const u1 = new User({ name: 'jack' })
      const u2 = new User({ name: 'ed' })
      const addresses = emails.map((emailAddress) => new Address({ emailAddress, user: u1 }))
      session.addAll([u1, u2, ...addresses])
      await session.commit()
      return { u1, u2, addresses }
    }

    // test_backref_mutations.py::O2MCollectionTest::test_collection_move_hitslazy
    it('appending committed addresses to a transient user emits no SQL', async () => {
      await models.inSession(async (session) => {
        const { addresses } = await jackAndEd(session, ['address1', 'address2', 'address3'])
        const u2 = new User({ name: 'ed' })
        const sql = await capturedSql(models.engine, async () => {
          const list = await u2.addresses
          for (const a of addresses) list.push(a)
        })
        expect(sql).toEqual([])
        for (const a of addresses) expect(await a.user).toBe(u2)
      })
    })

    // test_backref_mutations.py::O2MCollectionTest::test_collection_move_preloaded
    it('appending to another user moves the address out of the loaded collection of the first', async () => {
      await models.inSession(async (session) => {
        const { u1, u2, addresses: [a1] } = await jackAndEd(session, ['address1'])
        const before = await u1.addresses
        expect(before).toEqual([a1])
        ;(await u2.addresses).push(a1)
        expect(await a1.user).toBe(u2)
        expect(await u1.addresses).not.toContain(a1)
        expect(await u2.addresses).toContain(a1)
      })
    })

    // test_backref_mutations.py::O2MCollectionTest::test_collection_move_notloaded
    it('a collection loaded after the move reads the moved state', async () => {
      await models.inSession(async (session) => {
        const { u1, u2, addresses: [a1] } = await jackAndEd(session, ['address1'])
        ;(await u2.addresses).push(a1)
        expect(await a1.user).toBe(u2)
        expect(await u1.addresses).not.toContain(a1)
        expect(await u2.addresses).toContain(a1)
      })
    })

    // test_backref_mutations.py::O2MCollectionTest::test_collection_move_commitfirst
    it('after a commit, both collections show the move', async () => {
      await models.inSession(async (session) => {
        const { u1, u2, addresses: [a1] } = await jackAndEd(session, ['address1'])
        await u1.addresses
        ;(await u2.addresses).push(a1)
        expect(await a1.user).toBe(u2)
        await session.commit()
        expect(await u1.addresses).not.toContain(a1)
        expect(await u2.addresses).toContain(a1)
      })
      expect(await models.readRows('SELECT "u"."name" FROM "addresses" "a" JOIN "users" "u" ON "u"."id" = "a"."user_id"')).toEqual([{ name: 'ed' }])
    })

    // test_backref_mutations.py::O2MCollectionTest::test_scalar_move_preloaded
    it('assigning address.user moves it between loaded collections', async () => {
      await models.inSession(async (session) => {
        const { u1, u2, addresses: [a1] } = await jackAndEd(session, ['a1'])
        await u1.addresses
        await u2.addresses
        a1.user = u2
        expect(await u1.addresses).not.toContain(a1)
        expect(await u2.addresses).toContain(a1)
      })
    })

    // test_backref_mutations.py::O2MCollectionTest::test_plain_load_passive
    it('assigning a many-to-one does not load the old value', async () => {
      await models.inSession(async (session) => {
        const { u1, u2, addresses: [a1] } = await jackAndEd(session, ['a1'])
        expect(await capturedSql(models.engine, async () => {
          a1.user = u2
        })).toEqual([])
        expect(await u1.addresses).not.toContain(a1)
        expect(await u2.addresses).toContain(a1)
      })
    })

    // test_backref_mutations.py::O2MCollectionTest::test_set_none
    it('assigning null emits no SQL and takes the address out of the old collection', async () => {
      await models.inSession(async (session) => {
        const { u1, addresses: [a1] } = await jackAndEd(session, ['a1'])
        expect(await capturedSql(models.engine, async () => {
          a1.user = null
        })).toEqual([])
        expect(await u1.addresses).not.toContain(a1)
      })
    })

    // test_backref_mutations.py::O2MCollectionTest::test_scalar_move_notloaded
    it('assigning address.user with neither collection loaded: both load the moved state', async () => {
      await models.inSession(async (session) => {
        const { u1, u2, addresses: [a1] } = await jackAndEd(session, ['a1'])
        a1.user = u2
        expect(await u1.addresses).not.toContain(a1)
        expect(await u2.addresses).toContain(a1)
      })
    })

    // test_backref_mutations.py::O2MCollectionTest::test_scalar_move_commitfirst
    it('assigning address.user with the old collection loaded, then committing', async () => {
      await models.inSession(async (session) => {
        const { u1, u2, addresses: [a1] } = await jackAndEd(session, ['a1'])
        await u1.addresses
        a1.user = u2
        await session.commit()
        expect(await u1.addresses).not.toContain(a1)
        expect(await u2.addresses).toContain(a1)
      })
    })

    // test_backref_mutations.py::O2MCollectionTest::test_collection_assignment_mutates_previous_one
    it('replacing a collection\'s contents takes the address from its previous user', async () => {
      const u1 = new User({ name: 'jack' })
      const u2 = new User({ name: 'ed' })
      const a1 = new Address({ emailAddress: 'a1' })
      ;(await u1.addresses).push(a1)
      expect(await a1.user).toBe(u1)
      const list2 = await u2.addresses
      list2.splice(0, list2.length, a1)
      expect(await u1.addresses).toEqual([])
      expect(await a1.user).toBe(u2)
    })

    // test_backref_mutations.py::O2MCollectionTest::test_collection_assignment_mutates_previous_two
    it('emptying a collection clears the address\'s user', async () => {
      const u1 = new User({ name: 'jack' })
      const a1 = new Address({ emailAddress: 'a1' })
      const list = await u1.addresses
      list.push(a1)
      expect(await a1.user).toBe(u1)
      list.splice(0, list.length)
      expect(await a1.user).toBeNull()
    })

    // test_backref_mutations.py::O2MCollectionTest::test_del_from_collection
    it('removing by index clears the address\'s user', async () => {
      const u1 = new User({ name: 'jack' })
      const a1 = new Address({ emailAddress: 'a1' })
      const list = await u1.addresses
      list.push(a1)
      expect(await a1.user).toBe(u1)
      list.splice(0, 1)
      expect(await a1.user).toBeNull()
    })

    // test_backref_mutations.py::O2MCollectionTest::test_del_from_scalar
    it('clearing address.user takes it out of the collection', async () => {
      const u1 = new User({ name: 'jack' })
      const a1 = new Address({ emailAddress: 'a1' })
      ;(await u1.addresses).push(a1)
      expect(await a1.user).toBe(u1)
      a1.user = null
      expect(await u1.addresses).not.toContain(a1)
    })

    // test_backref_mutations.py::O2MCollectionTest::test_tuple_assignment_w_reverse
    // (Python swaps two items by index assignment, which a JavaScript array cannot report: the swap is a splice here.)
    it('swapping two items keeps their user', async () => {
      const u1 = new User({})
      const [a1, a2, a3] = ['1', '2', '3'].map((emailAddress) => new Address({ emailAddress }))
      const list = await u1.addresses
      list.push(a1, a2, a3)
      list.splice(1, 2, list[2], list[1])
      expect(await a3.user).toBe(u1)
      expect(await u1.addresses).toEqual([a1, a3, a2])
    })

    // test_backref_mutations.py::O2MCollectionTest::test_straight_remove
    it('removing the last item clears its user and keeps the others', async () => {
      const u1 = new User({})
      const [a1, a2, a3] = ['1', '2', '3'].map((emailAddress) => new Address({ emailAddress }))
      const list = await u1.addresses
      list.push(a1, a2, a3)
      list.splice(2, 1)
      expect(await a3.user).toBeNull()
      expect(await u1.addresses).toEqual([a1, a2])
    })

    // test_backref_mutations.py::O2MCollectionTest::test_append_del
    it('removing one of two entries of the same address keeps its user', async () => {
      const u1 = new User({})
      const [a1, a2, a3] = ['1', '2', '3'].map((emailAddress) => new Address({ emailAddress }))
      const list = await u1.addresses
      list.push(a1, a2, a3)
      list.push(a2)
      list.splice(1, 1)
      expect(await a2.user).toBe(u1)
      expect(await u1.addresses).toEqual([a1, a3, a2])
    })

    // test_backref_mutations.py::O2MCollectionTest::test_bulk_replace
    it('replacing the contents clears the user of the address left out, keeps the rest', async () => {
      const u1 = new User({})
      const [a1, a2, a3] = ['1', '2', '3'].map((emailAddress) => new Address({ emailAddress }))
      const list = await u1.addresses
      list.push(a1, a2, a3, a3)
      expect(await a3.user).toBe(u1)
      list.splice(0, list.length, a1, a2, a1)
      expect(await a3.user).toBeNull()
      expect(await u1.addresses).toEqual([a1, a2, a1])
      expect(await a1.user).toBe(u1)
      expect(await a2.user).toBe(u1)
    })

    // test_backref_mutations.py::O2MStaleBackrefTest::test_backref_pop_m2o
    it('appending to a second user\'s collection takes the address out of the first\'s', async () => {
      const u1 = new User({})
      const u2 = new User({})
      const a1 = new Address({})
      ;(await u1.addresses).push(a1)
      ;(await u2.addresses).push(a1)
      expect(await u1.addresses).not.toContain(a1)
      expect(await a1.user).toBe(u2)
      expect(await u2.addresses).toContain(a1)
    })
  })

  describe('one-to-one (users.address / addresses.user, user_id unique)', () => {
    let models: InlineModels
    let User: InlineModels['classes'][string]
    let Address: InlineModels['classes'][string]

    beforeAll(async () => {
      models = await inlineModels('backref-o2o', ONE_TO_ONE_SCHEMA, dialect)
      ;({ User, Address } = models.classes)
    }, 60_000)
    afterAll(async () => {
      await models.dispose()
    })
    beforeEach(async () => {
      await models.database.execute('DELETE FROM "addresses"; DELETE FROM "users";')
    })

    /** Commits jack with address1 (and ed, or a second address); returns them. */
    async function seed(session: Session, withSecondAddress: boolean) {
      const u1 = new User({ name: 'jack' })
      const a1 = new Address({ emailAddress: 'address1', user: u1 })
      const u2 = new User({ name: 'ed' })
      const a2 = new Address({ emailAddress: 'address2' })
      session.addAll(withSecondAddress ? [u1, a1, a2] : [u1, a1, u2])
      await session.commit()
      return { u1, a1, u2, a2 }
    }

    // test_backref_mutations.py::O2OScalarBackrefMoveTest::test_collection_move_preloaded
    it('assigning user.address (the side without the foreign key) sets address.user; the old user keeps its loaded value', async () => {
      await models.inSession(async (session) => {
        const { u1, a1, u2 } = await seed(session, false)
        expect(await u1.address).toBe(a1)
        u2.address = a1
        expect(await u2.address).toBe(a1)
        expect(await a1.user).toBe(u2)
        expect(await u1.address).toBe(a1)
      }, { autoflush: false })
    })

    // test_backref_mutations.py::O2OScalarBackrefMoveTest::test_collection_move_commitfirst
    it('assigning user.address then committing: the old user reads none', async () => {
      await models.inSession(async (session) => {
        const { u1, a1, u2 } = await seed(session, false)
        await u1.address
        u2.address = a1
        expect(await a1.user).toBe(u2)
        await session.commit()
        expect(await u1.address).toBeNull()
        expect(await u2.address).toBe(a1)
      })
    })

    // test_backref_mutations.py::O2OScalarBackrefMoveTest::test_scalar_move_preloaded
    it('assigning a second address to a user sets user.address; the first keeps its loaded user until flush', async () => {
      await models.inSession(async (session) => {
        const { u1, a1, a2 } = await seed(session, true)
        expect(await a1.user).toBe(u1)
        a2.user = u1
        expect(await session.noAutoflush(async () => u1.address)).toBe(a2)
        expect(await session.noAutoflush(async () => a1.user)).toBe(u1)
        expect(await session.noAutoflush(async () => a2.user)).toBe(u1)
      }, { autoflush: false })
    })

    // test_backref_mutations.py::O2OScalarBackrefMoveTest::test_scalar_move_commitfirst
    it('after commit, the moved one-to-one reads the new address and the old one has no user', async () => {
      await models.inSession(async (session) => {
        const { u1, a1, a2 } = await seed(session, true)
        expect(await a1.user).toBe(u1)
        a2.user = u1
        expect(await u1.address).toBe(a2)
        // The flush clears a1's foreign key: a1 was u1's address before (SQLAlchemy finds it through u1.address's history).
        await session.commit()
        expect(await u1.address).toBe(a2)
        expect(await a1.user).toBeNull()
        expect(await a2.user).toBe(u1)
      })
    })

    // test_backref_mutations.py::O2OScalarMoveTest::test_collection_move_commitfirst (through the foreign-key side)
    it('moving an address to another user: after commit, the old user has none', async () => {
      await models.inSession(async (session) => {
        const { u1, a1, u2 } = await seed(session, false)
        expect(await u1.address).toBe(a1)
        a1.user = u2
        expect(await u2.address).toBe(a1)
        await session.commit()
        expect(await u1.address).toBeNull()
        expect(await u2.address).toBe(a1)
      })
    })

    // test_backref_mutations.py::O2OScalarBackrefMoveTest::test_collection_move_notloaded (through the foreign-key side)
    it('moving an address to another user with nothing loaded: the old user reads none after autoflush', async () => {
      await models.inSession(async (session) => {
        const { u1, a1, u2 } = await seed(session, false)
        a1.user = u2
        expect(await a1.user).toBe(u2)
        expect(await u1.address).toBeNull()
        expect(await u2.address).toBe(a1)
      })
    })
  })

  describe('many-to-many collections (items.keywords / keywords.items)', () => {
    let models: PeerModels
    let Item: PeerModels['classes'][string]
    let Keyword: PeerModels['classes'][string]

    beforeAll(async () => {
      models = await peerModels('backref-m2m', dialect)
      ;({ Item, Keyword } = models.classes)
    }, 60_000)
    afterAll(async () => {
      await models.dispose()
    })
    beforeEach(async () => {
      await models.clear()
    })

    const links = async () => models.readRows<{ A: number; B: number }>('SELECT "A", "B" FROM "_ItemToKeyword" ORDER BY "A", "B"')

    // test_backref_mutations.py::M2MCollectionMoveTest::test_add_remove_pending_backref
    it('appending then removing an item on a new keyword is no net change to the item\'s keywords', async () => {
      await models.inSession(async (session) => {
        const i1 = new Item({ description: 'i1' })
        session.add(i1)
        await session.commit()
        session.expire(i1, ['keywords'])
        const k1 = new Keyword({ name: 'k1' })
        const items = await k1.items
        items.push(i1)
        items.splice(items.indexOf(i1), 1)
        expect(await i1.keywords).toEqual([])
      }, { autoflush: false })
    })

    // test_backref_mutations.py::M2MCollectionMoveTest::test_remove_add_pending_backref
    it('removing then appending an item is no net change either', async () => {
      await models.inSession(async (session) => {
        const k1 = new Keyword({ name: 'k1' })
        const i1 = new Item({ description: 'i1' })
        session.addAll([i1, k1])
        ;(await i1.keywords).push(k1)
        await session.commit()
        session.expire(i1, ['keywords'])
        const items = await k1.items
        items.splice(items.indexOf(i1), 1)
        items.push(i1)
        expect(await i1.keywords).toEqual([k1])
      }, { autoflush: false })
    })

    // test_backref_mutations.py::M2MCollectionMoveTest::test_pending_combines_with_flushed
    it('an unflushed append shows in the other side\'s collection loaded afterwards, without a flush', async () => {
      await models.inSession(async (session) => {
        const k1 = new Keyword({ name: 'k1' })
        const k2 = new Keyword({ name: 'k2' })
        const i1 = new Item({ description: 'i1' })
        session.addAll([i1, k1, k2])
        ;(await i1.keywords).push(k1)
        await session.commit()
        ;(await k2.items).push(i1)
        expect(await i1.keywords).toEqual([k1, k2])
        expect(await links()).toHaveLength(1)
      }, { autoflush: false })
    })

    // test_backref_mutations.py::M2MCollectionMoveTest::test_duplicate_adds
    it('appending an already-linked item again writes no second join row', async () => {
      await models.inSession(async (session) => {
        const k1 = new Keyword({ name: 'k1' })
        const i1 = new Item({ description: 'i1' })
        session.addAll([i1, k1])
        ;(await i1.keywords).push(k1)
        await session.commit()
        ;(await k1.items).push(i1)
        session.expire(i1, ['keywords'])
        ;(await k1.items).push(i1)
        await session.commit()
        expect(await k1.items).toEqual([i1])
      }, { autoflush: false })
      expect(await links()).toHaveLength(1)
    })

    // test_backref_mutations.py::M2MCollectionMoveTest::test_bulk_replace
    it('replacing an item\'s keywords updates the keywords\' item collections in memory', async () => {
      const [k1, k2, k3] = ['k1', 'k2', 'k3'].map((name) => new Keyword({ name }))
      const i1 = new Item({ description: 'i1' })
      const i2 = new Item({ description: 'i2' })
      ;(await i1.keywords).push(k1, k2)
      ;(await i2.keywords).push(k3)
      const keywords = await i1.keywords
      keywords.splice(0, keywords.length, k2, k3)
      expect(await k3.items).toContain(i1)
      expect(await k3.items).toContain(i2)
      expect(await k1.items).not.toContain(i1)
    })

    // test_backref_mutations.py::M2MStaleBackrefTest::test_backref_pop_m2m
    it('clearing an item\'s keywords then removing it from a keyword leaves that keyword empty', async () => {
      const k1 = new Keyword({})
      const k2 = new Keyword({})
      const i1 = new Item({})
      ;(await k1.items).push(i1)
      ;(await k2.items).push(i1)
      ;(await k2.items).push(i1)
      const keywords = await i1.keywords
      keywords.splice(0, keywords.length)
      const items = await k2.items
      items.splice(items.indexOf(i1), 1)
      expect(await k2.items).toHaveLength(0)
    })

    // Also from M2MCollectionMoveTest's setup: the links written for an item with keywords on flush.
    it('a new item with two new keywords writes both join rows at flush', async () => {
      await models.inSession(async (session) => {
        const i1 = new Item({ description: 'i1' })
        session.add(i1)
        const k1 = new Keyword({ name: 'k1' })
        const k2 = new Keyword({ name: 'k2' })
        ;(await i1.keywords).push(k1, k2)
        expect(inspect(k1).pending).toBe(true)
        await session.commit()
        expect(await links()).toEqual([
          { A: i1.id, B: Math.min(k1.id, k2.id) },
          { A: i1.id, B: Math.max(k1.id, k2.id) },
        ])
      })
    })
  })
})
