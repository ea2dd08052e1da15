// SQLAlchemy's test/orm/test_expire.py, ported. JavaScript cannot reload on attribute access: an expired column
// throws ExpiredAttributeError until `refresh()` or a query returns the row, so SQLAlchemy's "access reloads" is
// written here as an explicit refresh or query, and the statement counts follow that.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ExpiredAttributeError, DetachedInstanceError, inspect, InvalidRequestError, joinedload, lazyload, Session, sql } from 'prismalchemy'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { DIALECTS, normalizeSql } from '../helpers/dialects.js'
import { capturedSql } from '../helpers/sql-recorder.js'
import { peerModels, type PeerModels } from './fixtures.js'

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = any

const ids = (objects: readonly Obj[]): number[] => objects.map((obj) => obj.id).sort((a, b) => a - b)

const DATA_SCHEMA = `datasource db {
  provider = "sqlite"
}

model Data {
  id   Int     @id @default(autoincrement())
  data String?
  @@map("data")
}
`

describe.each(DIALECTS)('on %s', (dialect) => {
  /** Every relationship `select`. */
  let models: PeerModels
  /** User.addresses `joined`. */
  let joined: PeerModels
  /** User.addresses `joined` with `@cascade(delete, delete-orphan)`. */
  let joinedOrphans: PeerModels
  let data: InlineModels
  let session: Session | undefined

  beforeAll(async () => {
    models = await peerModels('sa-expire', dialect)
    joined = await peerModels('sa-expire-joined', dialect, { lazy: { 'User.addresses': 'joined' } })
    joinedOrphans = await peerModels('sa-expire-orphans', dialect, { lazy: { 'User.addresses': 'joined' }, cascade: { 'User.addresses': 'delete, delete-orphan' } })
    data = await inlineModels('sa-expire-data', DATA_SCHEMA, dialect)
  })

  afterAll(async () => {
    await models.dispose()
    await joined.dispose()
    await joinedOrphans.dispose()
    await data.dispose()
  })

  beforeEach(async () => {
    for (const m of [models, joined, joinedOrphans]) {
      await m.clear()
      await m.seed()
    }
  })

  afterEach(async () => {
    await session?.close()
    session = undefined
  })

  const open = (options: { autoflush?: boolean; expireOnCommit?: boolean } = {}, on: { engine: PeerModels['engine'] } = models): Session => {
    session = new Session({ bind: on.engine, ...options })
    return session
  }

  /** The statements `work` runs, without BEGIN, with `?` placeholders. */
  const statements = async (work: () => Promise<unknown>, on: { engine: PeerModels['engine'] } = models) =>
    (await capturedSql(on.engine, work)).map(normalizeSql).filter((text) => !text.startsWith('BEGIN'))

  describe('ExpireTest', () => {
    // test_expire.py::ExpireTest::test_expire
    it('expired columns reload from the next query, then read without SQL', async () => {
      const { User } = models.classes
      const s = open({ autoflush: false })
      const u = await s.get(User, 7)
      const addresses = await u.addresses
      expect(addresses).toHaveLength(1)
      u.name = 'foo'
      addresses.splice(0, 1)
      s.expire(u)
      expect(inspect(u).expiredAttributes).toContain('name')
      expect(() => u.name).toThrow(ExpiredAttributeError)
      expect(await statements(() => s.refresh(u))).toHaveLength(1)
      expect(u.name).toBe('jack')
      u.name = 'foo'
      await s.commit()
      // The row changes behind the session's back.
      await models.database.execute('UPDATE "users" SET "name" = \'jack\' WHERE "id" = 7')
      s.expire(u)
      expect(inspect(u).expiredAttributes).toContain('name')
      await s.query(User).all()
      expect(inspect(u).expiredAttributes).not.toContain('name')
      expect(await statements(async () => expect(u.name).toBe('jack'))).toEqual([])
    })

    // test_expire.py::ExpireTest::test_expire_autoflush
    it('the load of an expired foreign key autoflushes the relationship assignment first', async () => {
      const { User, Address } = models.classes
      const s = open()
      const a1 = await s.get(Address, 2)
      const u1 = await s.get(User, 7)
      a1.user = u1
      s.expire(a1, ['userId'])
      await s.query(Address).where({ id: 2 }).one()
      expect(a1.userId).toBe(7)
    })

    // test_expire.py::ExpireTest::test_persistence_check
    it('expiring an object of no session raises', async () => {
      const { User } = models.classes
      const s = open()
      const u = await s.get(User, 7)
      s.expungeAll()
      expect(() => s.expire(u)).toThrow(InvalidRequestError)
    })

    // test_expire.py::ExpireTest::test_get_refreshes
    it('get() of an expired object reloads it once, then answers from the identity map', async () => {
      const { User } = models.classes
      const s = open()
      const u = await s.get(User, 10)
      s.expireAll()
      expect(await statements(() => s.get(User, 10))).toHaveLength(1)
      expect(await statements(async () => expect(u.name).toBe('chuck'))).toEqual([])
      expect(await statements(() => s.get(User, 10))).toEqual([])
    })

    // test_expire.py::ExpireTest::test_get_on_deleted_expunges
    it('get() of an expired object whose row is gone answers null and expunges it', async () => {
      const { User } = models.classes
      const s = open()
      const u = await s.get(User, 10)
      s.expireAll()
      await models.database.execute('DELETE FROM "users" WHERE "id" = 10')
      expect(inspect(u).session).toBe(s)
      expect(await s.get(User, 10)).toBeNull()
      expect(inspect(u).session).toBeNull()
    })

    // test_expire.py::ExpireTest::test_refresh_on_deleted_raises
    it('loading an expired object whose row is gone raises', async () => {
      const { User } = models.classes
      const s = open()
      const u = await s.get(User, 10)
      s.expireAll()
      await models.database.execute('DELETE FROM "users" WHERE "id" = 10')
      await expect(s.refresh(u)).rejects.toThrow(/no longer exists|deleted/)
    })

    // test_expire.py::ExpireTest::test_rollback_undoes_expunge_from_deleted
    it('rollback brings back an object expunged because its row was deleted in the transaction', async () => {
      const { User } = models.classes
      const s = open()
      const u = await s.get(User, 10)
      s.expireAll()
      await s.execute(dialect === 'mysql' ? sql`DELETE FROM \`users\` WHERE \`id\` = 10` : sql`DELETE FROM "users" WHERE "id" = 10`)
      expect(await s.get(User, 10)).toBeNull()
      expect(inspect(u).session).toBeNull()
      await s.rollback()
      expect(inspect(u).session).toBe(s)
      await s.refresh(u)
      expect(u.name).toBe('chuck')
    })

    // test_expire.py::ExpireTest::test_lazyload_autoflushes
    it('reloading an expired collection autoflushes a member\'s change first', async () => {
      const { User } = models.classes
      const s = open({ autoflush: true })
      const u = await s.get(User, 8)
      const emails = async () => (await u.addresses).map((a: Obj) => a.emailAddress).sort()
      expect(await emails()).toEqual(['ed@bettyboop.com', 'ed@lala.com', 'ed@wood.com'])
      const a1 = (await u.addresses).find((a: Obj) => a.emailAddress === 'ed@wood.com')
      a1.emailAddress = 'aaaaa'
      s.expire(u, ['addresses'])
      expect(await emails()).toEqual(['aaaaa', 'ed@bettyboop.com', 'ed@lala.com'])
      expect(inspect(a1).modified).toBe(false)
    })

    // test_expire.py::ExpireTest::test_refresh_cancels_expire
    it('refresh() ends the expiry: get() then runs no SQL', async () => {
      const { User } = models.classes
      const s = open()
      const u = await s.get(User, 7)
      s.expire(u)
      await s.refresh(u)
      expect(await statements(async () => expect((await s.get(User, 7)).name).toBe('jack'))).toEqual([])
    })

    // test_expire.py::ExpireTest::test_expire_doesntload_on_set
    it('assigning an expired column loads nothing, and the value is written', async () => {
      const { User } = models.classes
      const s = open({ autoflush: false })
      const u = await s.get(User, 7)
      s.expire(u, ['name'])
      expect(await statements(async () => {
        u.name = 'somenewname'
      })).toEqual([])
      await s.flush()
      s.expungeAll()
      expect((await s.get(User, 7)).name).toBe('somenewname')
    })

    // test_expire.py::ExpireTest::test_no_session
    it('an expired column of a detached object raises DetachedInstanceError', async () => {
      const { User } = models.classes
      const s = open()
      const u = await s.get(User, 7)
      s.expire(u, ['name'])
      s.expunge(u)
      expect(() => u.name).toThrow(DetachedInstanceError)
    })

    // test_expire.py::ExpireTest::test_pending_raises
    it('expiring a pending object raises', () => {
      const { User } = models.classes
      const s = open()
      const u = new User({ id: 15 })
      s.add(u)
      expect(() => s.expire(u, ['name'])).toThrow(InvalidRequestError)
    })

    // test_expire.py::ExpireTest::test_expire_preserves_changes
    it('the reload of expired columns keeps changes made after the expire', async () => {
      const { Order } = models.classes
      const s = open({ autoflush: false })
      const o = await s.get(Order, 3)
      s.expire(o)
      o.description = 'order 3 modified'
      expect(await statements(() => s.query(Order).where({ id: 3 }).one())).toHaveLength(1)
      expect(o.isopen).toBe(1)
      expect(o.description).toBe('order 3 modified')

      o.isopen = 15
      s.expire(o, ['isopen', 'description'])
      o.description = 'some new description'
      await s.query(Order).all()
      expect(o.isopen).toBe(1)
      expect(o.description).toBe('some new description')

      o.isopen = 14
      s.expire(o)
      o.description = 'another new description'
      await s.query(Order).all()
      expect(o.isopen).toBe(1)
      expect(o.description).toBe('another new description')
    })

    // test_expire.py::ExpireTest::test_expire_committed
    it('the reload takes the newest database values as the committed state: nothing to flush', async () => {
      const { Order } = models.classes
      const s = open({ autoflush: false })
      const o = await s.get(Order, 3)
      s.expire(o)
      await models.database.execute('UPDATE "orders" SET "description" = \'order 3 modified\'')
      await s.refresh(o)
      expect(o.isopen).toBe(1)
      expect(o.description).toBe('order 3 modified')
      expect(await statements(() => s.flush())).toEqual([])
    })

    // test_expire.py::ExpireTest::test_expired_lazy
    it('an expired object reloads its collection and its columns: two loads', async () => {
      const { User } = models.classes
      const s = open()
      const u = await s.get(User, 7)
      s.expire(u)
      expect(inspect(u).loadedRelationships).not.toContain('addresses')
      const sql = await statements(async () => {
        expect((await u.addresses)[0].emailAddress).toBe('jack@bean.com')
        await s.query(User).where({ id: 7 }).one()
        expect(u.name).toBe('jack')
      })
      expect(sql).toHaveLength(2)
      expect(inspect(u).loadedRelationships).toContain('addresses')
    })

    // test_expire.py::ExpireTest::test_expired_eager
    it('a query reloads an expired object and its joined collection in one statement', async () => {
      const { User } = joined.classes
      const s = open({}, joined)
      const u = await s.get(User, 7)
      s.expire(u)
      expect(inspect(u).loadedRelationships).not.toContain('addresses')
      expect(await statements(async () => {
        await s.query(User).filterBy({ id: 7 }).one()
        expect((await u.addresses)[0].emailAddress).toBe('jack@bean.com')
        expect(u.name).toBe('jack')
      }, joined)).toHaveLength(1)
      s.expire(u, ['name', 'addresses'])
      expect(await statements(async () => {
        await s.query(User).filterBy({ id: 7 }).one()
        expect((await u.addresses)[0].emailAddress).toBe('jack@bean.com')
        expect(u.name).toBe('jack')
      }, joined)).toHaveLength(1)
    })

    // test_expire.py::ExpireTest::test_unexpire_eager_dont_overwrite_related
    it('reloading an expired owner keeps a member\'s unflushed change', async () => {
      const { User } = joined.classes
      const s = open({ autoflush: false }, joined)
      const u = await s.get(User, 7)
      const [a1] = await u.addresses
      expect(a1.emailAddress).toBe('jack@bean.com')
      s.expire(u)
      a1.emailAddress = 'foo'
      expect(await u.addresses).toContain(a1)
      expect(a1.emailAddress).toBe('foo')
      expect(s.dirty).toContain(a1)
    })

    // test_expire.py::ExpireTest::test_relationship_changes_preserved
    it('reloading an expired column keeps the change to a reloaded collection', async () => {
      const { User } = joined.classes
      const s = open({ autoflush: false }, joined)
      const u = await s.get(User, 8)
      s.expire(u, ['name', 'addresses'])
      const addresses = await u.addresses
      expect(inspect(u).expiredAttributes).toContain('name')
      addresses.splice(1, 1)
      await s.query(User).where({ id: 8 }).one()
      expect(u.name).toBe('ed')
      expect(await u.addresses).toHaveLength(2)
    })

    // test_expire.py::ExpireTest::test_partial_expire
    it('expiring some columns reloads only those, keeping other changes and their originals', async () => {
      const { Order } = models.classes
      const s = open({ autoflush: false })
      const o = await s.get(Order, 3)
      s.expire(o, ['description'])
      expect(o.id).toBe(3)
      expect(() => o.description).toThrow(ExpiredAttributeError)
      expect(o.isopen).toBe(1)
      await models.database.execute('UPDATE "orders" SET "description" = \'order 3 modified\' WHERE "id" = 3')
      expect(await statements(() => s.query(Order).where({ id: 3 }).one())).toHaveLength(1)
      expect(o.description).toBe('order 3 modified')

      o.isopen = 5
      s.expire(o, ['description'])
      expect(o.isopen).toBe(5)
      expect(inspect(o).modifiedAttributes).toEqual(['isopen'])
      expect(await statements(() => s.query(Order).where({ id: 3 }).one())).toHaveLength(1)
      expect(o.isopen).toBe(5)
      expect(o.description).toBe('order 3 modified')
      expect(inspect(o).modifiedAttributes).toEqual(['isopen'])

      await s.flush()
      s.expire(o, ['id', 'isopen', 'description'])
      expect(() => o.isopen).toThrow(ExpiredAttributeError)
      expect(await statements(async () => {
        await s.refresh(o)
        expect(o.description).toBe('order 3 modified')
        expect(o.id).toBe(3)
        expect(o.isopen).toBe(5)
      })).toHaveLength(1)
    })

    // test_expire.py::ExpireTest::test_partial_expire_lazy
    it('expiring a column and a lazy collection: the collection reloads alone', async () => {
      const { User } = models.classes
      const s = open({ autoflush: false })
      const u = await s.get(User, 8)
      s.expire(u, ['name', 'addresses'])
      expect(inspect(u).loadedRelationships).not.toContain('addresses')
      expect(await statements(async () => expect(ids(await u.addresses)[0]).toBe(2))).toHaveLength(1)
      expect(inspect(u).expiredAttributes).toContain('name')
    })

    // test_expire.py::ExpireTest::test_partial_expire_eager
    it('expiring a column and a joined collection: the collection reloads with one statement', async () => {
      const { User } = joined.classes
      const s = open({ autoflush: false }, joined)
      const u = await s.get(User, 8)
      s.expire(u, ['name', 'addresses'])
      expect(await statements(async () => expect(ids(await u.addresses)).toEqual([2, 3, 4]), joined)).toHaveLength(1)
    })

    // test_expire.py::ExpireTest::test_relationships_load_on_query
    it('a query with joinedload() reloads expired columns and the collection', async () => {
      const { User } = models.classes
      const s = open({ autoflush: false })
      const u = await s.get(User, 8)
      await u.addresses
      expect(inspect(u).loadedRelationships).toContain('addresses')
      s.expire(u, ['name', 'addresses'])
      expect(inspect(u).loadedRelationships).not.toContain('addresses')
      await s.query(User).options(joinedload('addresses')).filterBy({ id: 8 }).all()
      expect(inspect(u).expiredAttributes).toEqual([])
      expect(inspect(u).loadedRelationships).toContain('addresses')
    })

    // test_expire.py::ExpireTest::test_joinedload_query_refreshes
    it('a query reloads the joined collection of an expired object', async () => {
      const { User } = joined.classes
      const s = open({ autoflush: false }, joined)
      const u = await s.get(User, 8)
      expect(await u.addresses).toHaveLength(3)
      s.expire(u)
      expect(inspect(u).loadedRelationships).not.toContain('addresses')
      await s.query(User).filterBy({ id: 8 }).all()
      expect(inspect(u).loadedRelationships).toContain('addresses')
      expect(await u.addresses).toHaveLength(3)
    })

    // test_expire.py::ExpireTest::test_expire_all (the identity map keeps strong references: nothing is collected)
    it('after expireAll a query gives the same users and addresses', async () => {
      const { User } = joined.classes
      const s = open({ autoflush: false }, joined)
      const shape = async () => {
        const users = await s.query(User).orderBy({ id: 'asc' }).all()
        const out: Record<number, number[]> = {}
        for (const user of users) out[user.id] = ids(await user.addresses)
        return out
      }
      const expected = { 7: [1], 8: [2, 3, 4], 9: [5], 10: [] }
      expect(await shape()).toEqual(expected)
      expect(s.identityMap.size).toBe(9)
      s.expireAll()
      expect(await shape()).toEqual(expected)
      expect(s.identityMap.size).toBe(9)
    })
  })

  describe('ExpiredPendingTest', () => {
    // test_expire.py::ExpiredPendingTest::test_expired_pending
    // Skipped: difference: a collection change lives on the foreign-key side, so expiring the owner's collection keeps it (README: Ported tests that do not hold).
    it.skip('expiring a collection forgets a pending member until it is flushed', async () => {
      const { User, Address } = models.classes
      await models.clear()
      const s = open({ autoflush: false })
      const a1 = new Address({ emailAddress: 'a1' })
      s.add(a1)
      await s.flush()
      const u1 = new User({ name: 'u1' })
      a1.user = u1
      await s.flush()
      s.expire(u1, ['addresses'])
      const a2 = new Address({ emailAddress: 'a2' })
      a2.user = u1
      s.add(a2)
      s.expire(u1, ['addresses'])
      await s.execute(sql`INSERT INTO "addresses" ("email_address", "user_id") VALUES ('a3', ${u1.id})`)
      expect(await u1.addresses).toHaveLength(2)
      await s.flush()
      s.expireAll()
      expect(await u1.addresses).toHaveLength(3)
    })
  })

  describe('LifecycleTest', () => {
    // test_expire.py::LifecycleTest::test_attr_not_inserted
    it('a column not given at insert reads null without SQL', async () => {
      const { Data } = data.classes
      const s = open({}, data)
      const d1 = new Data()
      s.add(d1)
      await s.flush()
      expect(await statements(async () => expect(d1.data ?? null).toBeNull(), data)).toEqual([])
    })

    // test_expire.py::LifecycleTest::test_attr_not_inserted_expired
    it('after an expire, the column not given at insert loads with one statement', async () => {
      const { Data } = data.classes
      const s = open({ autoflush: false }, data)
      const d1 = new Data()
      s.add(d1)
      await s.flush()
      s.expire(d1)
      expect(await statements(async () => {
        await s.refresh(d1)
        expect(d1.data).toBeNull()
      }, data)).toHaveLength(1)
    })
  })

  describe('RefreshTest', () => {
    // test_expire.py::RefreshTest::test_refresh
    // Skipped: difference: a collection change lives on the foreign-key side, so refreshing the owner keeps it (README: Ported tests that do not hold).
    it.skip('refresh discards column changes and unflushed collection appends', async () => {
      const { User, Address } = models.classes
      const s = open({ autoflush: false })
      const u = await s.get(User, 7)
      u.name = 'foo'
      const a = new Address()
      expect(inspect(a).session).toBeNull()
      ;(await u.addresses).push(a)
      expect(a.emailAddress ?? null).toBeNull()
      expect(await u.addresses).toContain(a)
      await s.refresh(u)
      expect(s.dirty).not.toContain(u)
      expect(u.name).toBe('jack')
      expect(await u.addresses).not.toContain(a)

      u.name = 'foo'
      ;(await u.addresses).push(a)
      expect(s.dirty).toContain(u)
      expect(u.name).toBe('foo')
      expect(await u.addresses).toContain(a)
      s.expire(u)
      await s.refresh(u)
      expect(u.name).toBe('jack')
      expect(await u.addresses).not.toContain(a)
    })

    // test_expire.py::RefreshTest::test_persistence_check
    it('refreshing an object of no session raises', async () => {
      const { User } = models.classes
      const s = open()
      const u = await s.get(User, 7)
      s.expungeAll()
      await expect(s.refresh(u)).rejects.toBeInstanceOf(InvalidRequestError)
    })

    // test_expire.py::RefreshTest::test_refresh_autoflush
    it('refresh autoflushes a relationship assignment before reloading', async () => {
      const { User, Address } = models.classes
      const s = open()
      const a1 = await s.get(Address, 2)
      const u1 = await s.get(User, 7)
      a1.user = u1
      await s.refresh(a1)
      expect(a1.userId).toBe(7)
    })

    // test_expire.py::RefreshTest::test_refresh_expired
    it('refresh of an expired object reloads it', async () => {
      const { User } = models.classes
      const s = open()
      const u = await s.get(User, 7)
      s.expire(u)
      expect(inspect(u).expiredAttributes).toContain('name')
      await s.refresh(u)
      expect(u.name).toBe('jack')
    })

    // test_expire.py::RefreshTest::test_refresh_with_lazy
    it('refresh of an object loaded with lazyload() runs one statement', async () => {
      const { User } = models.classes
      const s = open()
      const u = await s.query(User).options(lazyload('addresses')).where({ id: 8 }).first()
      expect(await statements(() => s.refresh(u))).toHaveLength(1)
    })

    // test_expire.py::RefreshTest::test_refresh_with_eager
    it('refresh and expire keep a joined collection complete', async () => {
      const { User } = joined.classes
      let s = open({}, joined)
      let u = await s.get(User, 8)
      expect(await u.addresses).toHaveLength(3)
      await s.refresh(u)
      expect(await u.addresses).toHaveLength(3)
      await s.close()

      s = open({}, joined)
      u = await s.get(User, 8)
      expect(await u.addresses).toHaveLength(3)
      s.expire(u)
      expect(await u.addresses).toHaveLength(3)
    })

    // test_expire.py::RefreshTest::test_refresh2
    it('expire and refresh of a user with a joined delete-orphan collection', async () => {
      const { User, Address } = joinedOrphans.classes
      const s = open({}, joinedOrphans)
      const u = new User({ name: 'Justin' })
      const a = new Address({ id: 10, emailAddress: 'lala' })
      ;(await u.addresses).push(a)
      s.add(u)
      await s.flush()
      s.expungeAll()
      const again = await s.query(User).where({ name: 'Justin' }).one()
      s.expire(again)
      await s.refresh(again)
      expect(again.name).toBe('Justin')
      await s.refresh(again)
      expect(again.name).toBe('Justin')
      expect(ids(await again.addresses)).toEqual([10])
    })
  })
})
