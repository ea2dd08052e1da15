// Relationship loading on real SQLite and PostgreSQL databases: `select` loads once (or from the identity map), `dynamic` is a query with append/remove.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DetachedInstanceError, DynamicRelationship, inspect, selectinload, type Session } from 'prismalchemy'
import { Post, Role, User } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, normalizeSql, beginOf } from '../helpers/dialects.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const SELECT_ROLE = 'SELECT "id", "name" FROM "Role"'
const SELECT_USER =
  'SELECT "id", "username", "email", "roleId", "plan", "active", "quota", "score", "balance", "settings", "avatar", "created_at", "updated_at" FROM "users"'

describe.each(DIALECTS)('on %s', (dialect) => {
  let db: TestDatabase
  let session: Session
  let adminId: number
  let annId: number
  // What a session that has already read sends before its first write: both databases read in autocommit.
  const beginAfterRead = [beginOf(dialect)]

  beforeEach(async () => {
    db = await createTestDatabase({}, dialect)
    const seed = db.session()
    const admin = new Role({ name: 'admin' })
    const ann = new User({ username: 'ann', role: admin })
    seed.addAll([admin, ann, new User({ username: 'bob', role: admin }), new User({ username: 'cid' })])
    seed.add(new Post({ title: 'hello', author: ann }))
    await seed.commit()
    adminId = admin.id
    annId = ann.id
    await seed.close()
    session = db.session()
  })

  afterEach(async () => {
    await session.close()
    await db.dispose()
  })

  describe('select (lazy load on first access)', () => {
    it('loads a many-to-one with one SELECT, then answers from memory', async () => {
      const ann = (await session.get(User, annId))!
      const sql = await capturedSql(db.engine, async () => {
        const role = await ann.role
        expect(role?.name).toBe('admin')
        expect(await ann.role).toBe(role)
      })
      expect(sql.map(normalizeSql)).toEqual([`${SELECT_ROLE} WHERE "id" = ?`])
    })

    it('answers a many-to-one from the identity map with no SQL when the target is loaded', async () => {
      const admin = await session.get(Role, adminId)
      const ann = (await session.get(User, annId))!
      const sql = await capturedSql(db.engine, async () => expect(await ann.role).toBe(admin))
      expect(sql).toEqual([])
    })

    it('answers null without SQL when the foreign key is null', async () => {
      const cid = (await session.query(User).filterBy({ username: 'cid' }).one())!
      expect(await capturedSql(db.engine, async () => expect(await cid.role).toBeNull())).toEqual([])
    })

    it('returns an assigned object before and after flush, and writes its key', async () => {
      const cid = (await session.query(User).filterBy({ username: 'cid' }).one())!
      const ops = new Role({ name: 'ops' })
      cid.role = ops
      expect(inspect(ops).pending).toBe(true)
      expect(await cid.role).toBe(ops)
      await session.flush()
      expect(cid.roleId).toBe(ops.id)
      expect(await cid.role).toBe(ops)
    })

    it('reloads after the foreign key column changes', async () => {
      const ann = (await session.get(User, annId))!
      expect((await ann.role)?.name).toBe('admin')
      ann.roleId = null
      expect(await ann.role).toBeNull()
    })

    it('loads a required many-to-one', async () => {
      const post = (await session.query(Post).one())!
      expect((await post.author).username).toBe('ann')
    })

    it('raises DetachedInstanceError for a lazy load on a detached object', async () => {
      const ann = (await session.get(User, annId))!
      await session.close()
      await expect(ann.role).rejects.toBeInstanceOf(DetachedInstanceError)
    })
  })

  describe('dynamic (a query object)', () => {
    it('is a query, not a list', async () => {
      const admin = (await session.get(Role, adminId))!
      expect(admin.users).toBeInstanceOf(DynamicRelationship)
      expect(Array.isArray(admin.users)).toBe(false)
    })

    it('counts with one COUNT carrying the foreign-key condition', async () => {
      const admin = (await session.get(Role, adminId))!
      const sql = await capturedSql(db.engine, async () => expect(await admin.users.filterBy({ username: 'ann' }).count()).toBe(1))
      expect(sql.map(normalizeSql)).toEqual(['SELECT count(*) FROM "users" WHERE "roleId" = ? AND "username" = ?'])
    })

    it('filters, orders, limits and loads through the identity map', async () => {
      const admin = (await session.get(Role, adminId))!
      const ann = await session.get(User, annId)
      const sql = await capturedSql(db.engine, async () => {
        const users = await admin.users.orderBy({ username: 'desc' }).limit(5).all()
        expect(users.map((user) => user.username)).toEqual(['bob', 'ann'])
        expect(users[1]).toBe(ann)
      })
      expect(sql.map(normalizeSql)).toEqual([`${SELECT_USER} WHERE "roleId" = ? ORDER BY "username" DESC LIMIT ?`])
      expect((await admin.users.first())?.username).toBeDefined()
      expect(await admin.users.filterBy({ username: 'zed' }).exists()).toBe(false)
    })

    it('append() sets the child side and shows up in the next query through autoflush', async () => {
      const admin = (await session.get(Role, adminId))!
      const dee = new User({ username: 'dee' })
      admin.users.append(dee)
      expect(inspect(dee).pending).toBe(true)
      const sql = await capturedSql(db.engine, async () => expect(await admin.users.count()).toBe(3))
      expect(sql.map(normalizeSql)).toEqual([
        ...beginAfterRead,
        expect.stringMatching(/^INSERT INTO "users" /),
        'SELECT count(*) FROM "users" WHERE "roleId" = ?',
      ])
      expect(dee.roleId).toBe(adminId)
    })

    it('append() of a persistent object updates its foreign key only', async () => {
      const admin = (await session.get(Role, adminId))!
      const cid = (await session.query(User).filterBy({ username: 'cid' }).one())!
      admin.users.append(cid)
      const sql = await capturedSql(db.engine, () => session.flush())
      expect(sql.map(normalizeSql)).toEqual([...beginAfterRead, 'UPDATE "users" SET "roleId" = ?, "updated_at" = ? WHERE "id" = ?'])
      expect(await cid.role).toBe(admin)
    })

    it('remove() clears the foreign key at flush', async () => {
      const admin = (await session.get(Role, adminId))!
      const ann = (await session.get(User, annId))!
      admin.users.remove(ann)
      expect(await admin.users.count()).toBe(1)
      expect(ann.roleId).toBeNull()
    })

    it('append() on a transient parent adds the children with the parent (save-update cascade)', async () => {
      const ops = new Role({ name: 'ops' })
      const eve = new User({ username: 'eve' })
      ops.users.append(eve)
      session.add(ops)
      expect(inspect(eve).pending).toBe(true)
      await session.commit()
      expect(eve.roleId).toBe(ops.id)
    })

    it('queries the parent of a pending object after autoflush gives it a key', async () => {
      const ops = new Role({ name: 'ops' })
      session.add(ops)
      expect(await ops.users.count()).toBe(0)
      expect(inspect(ops).persistent).toBe(true)
    })
  })

  describe('loader options on dynamic relationships', () => {
    it('are refused where they are given: a dynamic relationship is a query', () => {
      expect(() => session.query(Role).options(selectinload('users'))).toThrow(/Role\.users is dynamic/)
    })
  })
})
