// Session behaviour on real SQLite and PostgreSQL databases: object states, the identity map, autobegin, autoflush, expire/refresh/expunge/merge.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  ExpiredAttributeError,
  inspect,
  InvalidRequestError,
  MultipleResultsFoundError,
  NoResultFoundError,
  sessionmaker,
  type Session,
  type WhereInput,
} from 'prismalchemy'
import { Role, User, type UserColumns } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, normalizeSql, beginOf } from '../helpers/dialects.js'
import { capturedSql } from '../helpers/sql-recorder.js'
import { generatedKeyInserts } from '../helpers/generated-key-inserts.js'

describe.each(DIALECTS)('on %s', (dialect) => {
  let db: TestDatabase
  let session: Session
  // Both databases begin at the first write; SQLite's BEGIN IMMEDIATE also takes its write lock.
  const begin = beginOf(dialect)

  beforeEach(async () => {
    db = await createTestDatabase({}, dialect)
    session = db.session()
  })

  afterEach(async () => {
    await session.close()
    await db.dispose()
  })

  async function seedUsers(...names: string[]): Promise<User[]> {
    const users = names.map((username) => new User({ username }))
    session.addAll(users)
    await session.commit()
    return users
  }

  describe('object states', () => {
    it('moves through transient, pending, persistent, deleted and detached', async () => {
      const ann = new User({ username: 'ann' })
      expect(inspect(ann).state).toBe('transient')
      session.add(ann)
      expect(inspect(ann).state).toBe('pending')
      expect(session.new).toEqual([ann])
      await session.flush()
      expect(inspect(ann).state).toBe('persistent')
      expect(inspect(ann).identity).toEqual([ann.id])
      session.delete(ann)
      expect(session.deleted).toEqual([ann])
      await session.flush()
      expect(inspect(ann).state).toBe('deleted')
      await session.commit()
      expect(inspect(ann).state).toBe('detached')
    })

    it('expunge detaches a persistent object and close() detaches everything', async () => {
      const [ann, bob] = await seedUsers('ann', 'bob')
      session.expunge(ann)
      expect(inspect(ann).detached).toBe(true)
      expect(inspect(bob).persistent).toBe(true)
      await session.close()
      expect(inspect(bob).detached).toBe(true)
      expect(session.identityMap.size).toBe(0)
    })

    it('refuses to add an object that belongs to another session', async () => {
      const [ann] = await seedUsers('ann')
      const other = db.session()
      expect(() => other.add(ann)).toThrow(InvalidRequestError)
      await other.close()
    })

    it('tracks modified attributes until flush', async () => {
      const [ann] = await seedUsers('ann')
      await session.refresh(ann)
      ann.email = 'x@y'
      expect(inspect(ann).modifiedAttributes).toEqual(['email'])
      expect(session.dirty).toEqual([ann])
      await session.flush()
      expect(inspect(ann).modified).toBe(false)
    })
  })

  describe('the identity map', () => {
    it('answers get() of a loaded key with the same object and no SQL', async () => {
      const [ann] = await seedUsers('ann')
      const loaded = await session.get(User, ann.id)
      expect(await capturedSql(db.engine, async () => expect(await session.get(User, ann.id)).toBe(loaded))).toEqual([])
    })

    it('returns one object per row across queries', async () => {
      await seedUsers('ann', 'bob')
      const [first] = await session.query(User).orderBy({ username: 'asc' }).all()
      const again = await session.query(User).filterBy({ username: 'ann' }).one()
      expect(again).toBe(first)
      expect(await session.get(User, first.id)).toBe(first)
    })

    it('keeps unflushed changes when the same row is read again', async () => {
      const [ann] = await seedUsers('ann')
      await session.refresh(ann)
      await session.noAutoflush(async () => {
        ann.email = 'local@x'
        const reread = await session.query(User).filterBy({ username: 'ann' }).one()
        expect(reread.email).toBe('local@x')
      })
    })

    it('gives each session its own objects for the same row', async () => {
      const [ann] = await seedUsers('ann')
      const other = db.session()
      const elsewhere = await other.get(User, ann.id)
      expect(elsewhere).not.toBe(ann)
      expect(elsewhere?.username).toBe('ann')
      await other.close()
    })
  })

  describe('transactions', () => {
    it('begins on the first statement and holds one connection until commit', async () => {
      expect(session.inTransaction).toBe(false)
      expect(db.engine.poolStatus().checkedOut).toBe(0)
      await session.query(User).count()
      expect(session.inTransaction).toBe(true)
      expect(db.engine.poolStatus().checkedOut).toBe(1)
      await session.commit()
      expect(session.inTransaction).toBe(false)
      expect(db.engine.poolStatus().checkedOut).toBe(0)
    })

    it('hides uncommitted work from other sessions until commit', async () => {
      session.add(new Role({ name: 'admin' }))
      await session.flush()
      const other = db.session()
      expect(await other.query(Role).count()).toBe(0)
      await other.commit()
      await session.commit()
      expect(await other.query(Role).count()).toBe(1)
      await other.close()
    })

    // SQLite only: one writer at a time is SQLite's database-wide write lock; PostgreSQL runs both writers at once.
    it.runIf(dialect === 'sqlite')('serialises two writing sessions instead of failing with SQLITE_BUSY', async () => {
      const other = db.session()
      session.add(new Role({ name: 'a' }))
      await session.flush()
      other.add(new Role({ name: 'b' }))
      let otherDone = false
      const otherFlush = other.flush().then(() => {
        otherDone = true
      })
      await vi.waitFor(() => expect(db.engine.poolStatus().checkedOut).toBe(2)) // other's flush has its connection: it waits for the write lock
      expect(otherDone).toBe(false)
      await session.commit()
      await otherFlush
      await other.commit()
      expect(await session.query(Role).count()).toBe(2)
      await other.close()
    })

    it('commits through sessionmaker.begin and rolls back when the work throws', async () => {
      const Session = sessionmaker({ bind: db.engine })
      await Session.begin((s) => s.add(new Role({ name: 'kept' })))
      await expect(
        Session.begin((s) => {
          s.add(new Role({ name: 'dropped' }))
          throw new Error('boom')
        }),
      ).rejects.toThrow('boom')
      expect((await session.query(Role).all()).map((role) => role.name)).toEqual(['kept'])
      expect(db.engine.poolStatus().checkedOut).toBe(1)
    })

  })

  describe('autoflush', () => {
    it('flushes pending objects before a query', async () => {
      session.add(new Role({ name: 'admin' }))
      const sql = await capturedSql(db.engine, async () => expect(await session.query(Role).count()).toBe(1))
      expect(sql.map(normalizeSql)).toEqual([begin, ...generatedKeyInserts(dialect, 'INSERT INTO "Role" ("name")', '(?)', 1), 'SELECT count(*) FROM "Role"'])
    })

    it('does not flush inside noAutoflush', async () => {
      session.add(new Role({ name: 'admin' }))
      expect(await session.noAutoflush(() => session.query(Role).count())).toBe(0)
      expect(session.new).toHaveLength(1)
    })
  })

  describe('queries', () => {
    beforeEach(async () => {
      await seedUsers('ann', 'bob', 'cid', 'dee')
    })

    it('filters with Prisma-style where objects', async () => {
      const names = async (where: WhereInput<UserColumns>) =>
        (await session.query(User).where(where).orderBy({ username: 'asc' }).all()).map((user) => user.username)
      expect(await names({ username: { in: ['ann', 'cid'] } })).toEqual(['ann', 'cid'])
      expect(await names({ username: { startsWith: 'b' } })).toEqual(['bob'])
      expect(await names({ OR: [{ username: 'ann' }, { username: { endsWith: 'ee' } }] })).toEqual(['ann', 'dee'])
      expect(await names({ NOT: { username: { lt: 'c' } } })).toEqual(['cid', 'dee'])
      expect(await names({ email: null })).toEqual(['ann', 'bob', 'cid', 'dee'])
      expect(await names({ username: { not: 'ann', contains: 'd' } })).toEqual(['cid', 'dee'])
    })

    it('orders, limits, offsets, counts and probes', async () => {
      const query = session.query(User).orderBy('username', 'desc')
      expect((await query.limit(2).offset(1).all()).map((user) => user.username)).toEqual(['cid', 'bob'])
      expect(await session.query(User).count()).toBe(4)
      expect(await session.query(User).filterBy({ username: 'zed' }).exists()).toBe(false)
      expect((await query.first())?.username).toBe('dee')
      await expect(session.query(User).one()).rejects.toBeInstanceOf(MultipleResultsFoundError)
      await expect(session.query(User).filterBy({ username: 'zed' }).one()).rejects.toBeInstanceOf(NoResultFoundError)
      expect(await session.query(User).filterBy({ username: 'zed' }).oneOrNone()).toBeNull()
    })

    it('answers through a Proxy around it (a wrapper that logs or instruments queries)', async () => {
      const wrapped = <Q extends object>(query: Q): Q => new Proxy(query, {})
      expect((await wrapped(session.query(User).orderBy('username')).all()).map((user) => user.username)).toEqual(['ann', 'bob', 'cid', 'dee'])
      expect((await wrapped(session.query(User).filterBy({ username: 'bob' })).one()).username).toBe('bob')
      expect(await wrapped(session.query(User).filterBy({ username: 'zed' })).oneOrNone()).toBeNull()
      await expect(wrapped(session.query(User)).one()).rejects.toBeInstanceOf(MultipleResultsFoundError)
    })

    it('is immutable: refining a query leaves the original untouched', async () => {
      const all = session.query(User)
      const some = all.filterBy({ username: 'ann' })
      expect(await all.count()).toBe(4)
      expect(await some.count()).toBe(1)
    })

    it('rejects an unknown field with a named error', () => {
      expect(() => session.query(User).filterBy({ nope: 1 } as never)).toThrow(/has no column "nope"/)
    })
  })

  describe('expire, refresh and merge', () => {
    it('makes expired columns unreadable until refresh()', async () => {
      const [ann] = await seedUsers('ann')
      session.expire(ann, ['email'])
      expect(() => ann.email).toThrow(ExpiredAttributeError)
      expect(ann.username).toBe('ann')
      await session.refresh(ann)
      expect(ann.email).toBeNull()
    })

    it('refresh() reloads values changed by another session and discards local changes', async () => {
      const [ann] = await seedUsers('ann')
      const other = db.session()
      const copy = (await other.get(User, ann.id))!
      copy.email = 'other@x'
      await other.commit()
      await other.close()
      ann.username = 'local'
      await session.refresh(ann)
      expect(ann.email).toBe('other@x')
      expect(ann.username).toBe('ann')
    })

    it('after commit, the next read of a row refreshes it (expire on commit)', async () => {
      const [ann] = await seedUsers('ann')
      const other = db.session()
      const copy = (await other.get(User, ann.id))!
      copy.email = 'new@x'
      await other.commit()
      await other.close()
      expect((await session.get(User, ann.id))?.email).toBe('new@x')
    })

    it('merge() copies a detached object onto the persistent one with the same key', async () => {
      const [ann] = await seedUsers('ann')
      const other = db.session()
      const detached = (await other.get(User, ann.id))!
      await other.close()
      detached.email = 'merged@x'
      const merged = await session.merge(detached)
      expect(merged).toBe(ann)
      expect(ann.email).toBe('merged@x')
      expect(inspect(detached).detached).toBe(true)
      await session.commit()
      const reader = db.session()
      expect((await reader.get(User, ann.id))?.email).toBe('merged@x')
      await reader.close()
    })

    it('merge() of an object with no row adds a pending copy', async () => {
      const merged = await session.merge(new Role({ name: 'copy' }))
      expect(inspect(merged).pending).toBe(true)
      await session.commit()
      expect(await session.query(Role).filterBy({ name: 'copy' }).count()).toBe(1)
    })
  })
})
