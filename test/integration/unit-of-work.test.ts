// The unit of work against real SQLite and PostgreSQL databases: FK-ordered batched INSERTs, changed-column UPDATEs, ordered DELETEs, failed flushes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { inspect, PendingRollbackError, UniqueViolationError, type Session } from 'prismalchemy'
import { Post, Role, User } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, normalizeSql, beginOf } from '../helpers/dialects.js'
import { capturedSql, recordSql } from '../helpers/sql-recorder.js'
import { generatedKeyInserts } from '../helpers/generated-key-inserts.js'

const USER_COLUMNS =
  '"username", "email", "roleId", "plan", "active", "quota", "score", "balance", "settings", "avatar", "created_at", "updated_at"'
const USER_ROW = `(${Array(12).fill('?').join(', ')})`

describe.each(DIALECTS)('on %s', (dialect) => {
  let db: TestDatabase
  let session: Session
  // Both databases read in autocommit and begin at the first write (SQLite with BEGIN IMMEDIATE, taking its write lock).
  const begin = beginOf(dialect)
  const beginAfterRead = [beginOf(dialect)]

  beforeEach(async () => {
    db = await createTestDatabase({}, dialect)
    session = db.session()
  })

  afterEach(async () => {
    await session.close()
    await db.dispose()
  })

  describe('flush', () => {
    it('inserts a role before its users, and the users in one batched INSERT ... RETURNING (one INSERT each on MySQL)', async () => {
      const admin = new Role({ name: 'admin' })
      session.addAll([new User({ username: 'ann', role: admin }), new User({ username: 'bob', role: admin }), new User({ username: 'cid', role: admin })])
      const sql = await capturedSql(db.engine, () => session.flush())
      // MySQL (no RETURNING): one INSERT per user, each key from the driver's lastInsertId.
      expect(sql.map(normalizeSql)).toEqual([
        begin,
        ...generatedKeyInserts(dialect, 'INSERT INTO "Role" ("name")', '(?)', 1),
        ...generatedKeyInserts(dialect, `INSERT INTO "users" (${USER_COLUMNS})`, USER_ROW, 3),
      ])
      await session.commit()
      expect(await db.readRows('SELECT "username", "roleId" FROM "users" ORDER BY "id"')).toEqual([
        { username: 'ann', roleId: admin.id },
        { username: 'bob', roleId: admin.id },
        { username: 'cid', roleId: admin.id },
      ])
    })

    it('assigns database-generated keys back to objects in insertion order', async () => {
      const users = Array.from({ length: 25 }, (_, i) => new User({ username: `user${String(i).padStart(2, '0')}` }))
      session.addAll(users)
      await session.commit()
      const stored = await db.readRows<{ id: number; username: string }>('SELECT "id", "username" FROM "users"')
      for (const user of users) expect(stored.find((row) => row.id === user.id)?.username).toBe(user.username)
    })

    it('updates only the column that changed (plus @updatedAt)', async () => {
      const ann = new User({ username: 'ann', email: 'a@x' })
      session.add(ann)
      await session.commit()
      await session.refresh(ann)
      const recorder = recordSql(db.engine)
      ann.email = 'ann@y'
      await session.flush()
      recorder.stop()
      const update = 'UPDATE "users" SET "email" = ?, "updated_at" = ? WHERE "id" = ?'
      expect(recorder.sql().map(normalizeSql)).toEqual([...beginAfterRead, update])
      expect(recorder.statements.at(-1)?.parameters[0]).toBe('ann@y')
      expect(recorder.statements.at(-1)?.parameters[2]).toBe(ann.id)
    })

    it('emits no UPDATE when a column is set back to its original value', async () => {
      const ann = new User({ username: 'ann' })
      session.add(ann)
      await session.commit()
      ann.username = 'changed'
      ann.username = 'ann'
      expect(await capturedSql(db.engine, () => session.flush())).toEqual([])
    })

    it('deletes children before parents, in one DELETE per table', async () => {
      const ann = new User({ username: 'ann' })
      const posts = [new Post({ title: 'a', author: ann }), new Post({ title: 'b', author: ann })]
      session.addAll([ann, ...posts])
      await session.commit()
      session.delete(ann)
      for (const post of posts) session.delete(post)
      const sql = await capturedSql(db.engine, () => session.flush())
      expect(sql.map(normalizeSql)).toEqual([begin, 'DELETE FROM "posts" WHERE "id" IN (?, ?)', 'DELETE FROM "users" WHERE "id" IN (?)'])
      expect(inspect(ann).deleted).toBe(true)
      await session.commit()
      expect(inspect(ann).detached).toBe(true)
      expect(await db.readRows('SELECT CAST(count(*) AS INTEGER) AS "n" FROM "users"')).toEqual([{ n: 0 }])
    })

    it('inserts rows of one table that reference each other in dependency order', async () => {
      const ann = new User({ username: 'ann' })
      const post = new Post({ title: 'first', author: ann })
      session.add(post)
      await session.commit()
      expect(post.authorId).toBe(ann.id)
      expect(inspect(ann).persistent).toBe(true)
    })

    it('writes client-side defaults exactly as Prisma Client does (now(), @updatedAt, constants)', async () => {
      const ann = new User({ username: 'ann' })
      session.add(ann)
      await session.flush()
      expect(ann.plan).toBe('FREE')
      expect(ann.active).toBe(true)
      expect(ann.quota).toBe(0n)
      expect(ann.createdAt).toBeInstanceOf(Date)
      expect(ann.updatedAt.getTime()).toBe(ann.createdAt.getTime())
      await session.commit()
      // Prisma's storage differs: SQLite keeps ISO text with an offset, PostgreSQL a UTC wall-clock timestamp(3), MySQL a UTC wall-clock DATETIME(3).
      if (dialect === 'sqlite') {
        expect(await db.readRows('SELECT "created_at", typeof("created_at") AS "t" FROM "users"')).toEqual([
          { created_at: ann.createdAt.toISOString().replace('Z', '+00:00'), t: 'text' },
        ])
      } else if (dialect === 'mysql') {
        const sqlText = `SELECT CAST("created_at" AS CHAR) AS "created_at", (SELECT "COLUMN_TYPE" FROM information_schema."COLUMNS" WHERE "TABLE_SCHEMA" = DATABASE() AND "TABLE_NAME" = 'users' AND "COLUMN_NAME" = 'created_at') AS "t" FROM "users"`
        expect(await db.readRows(sqlText)).toEqual([{ created_at: ann.createdAt.toISOString().replace('T', ' ').replace('Z', ''), t: 'datetime(3)' }])
      } else {
        const sqlText = `SELECT to_char("created_at", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "created_at", pg_typeof("created_at")::text AS "t" FROM "users"`
        expect(await db.readRows(sqlText)).toEqual([{ created_at: ann.createdAt.toISOString(), t: 'timestamp without time zone' }])
      }
    })
  })

  describe('a failed flush', () => {
    it('leaves the database unchanged, names the constraint, and refuses work until rollback()', async () => {
      session.add(new Role({ name: 'admin' }))
      await session.commit()
      session.addAll([new Role({ name: 'ops' }), new Role({ name: 'admin' }), new Role({ name: 'dev' })])
      const error = await session.flush().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UniqueViolationError)
      expect((error as UniqueViolationError).code).toBe('unique_violation')
      // The constraint as the database names it: SQLite lists the columns, PostgreSQL names the unique index.
      expect((error as UniqueViolationError).constraint).toBe(dialect === 'sqlite' ? 'name' : 'Role_name_key')
      expect((error as UniqueViolationError).table).toBe('Role')
      expect(await db.readRows('SELECT "name" FROM "Role"')).toEqual([{ name: 'admin' }])

      for (const attempt of [() => session.query(Role).all(), () => session.flush(), () => session.commit(), () => session.get(Role, 99)]) {
        const refused = await attempt().catch((e: unknown) => e)
        expect(refused).toBeInstanceOf(PendingRollbackError)
        expect((refused as PendingRollbackError).cause).toBe(error)
      }

      await session.rollback()
      expect(session.new).toEqual([])
      session.add(new Role({ name: 'ops' }))
      await session.commit()
      expect(await db.readRows('SELECT "name" FROM "Role" ORDER BY "name"')).toEqual([{ name: 'admin' }, { name: 'ops' }])
    })

    it('rolls back earlier flushes of the same transaction and makes their objects transient again', async () => {
      const ops = new Role({ name: 'ops' })
      session.add(ops)
      await session.flush()
      expect(inspect(ops).persistent).toBe(true)
      session.add(new Role({ name: 'ops' }))
      await expect(session.flush()).rejects.toBeInstanceOf(UniqueViolationError)
      await session.rollback()
      expect(inspect(ops).transient).toBe(true)
      expect(await db.readRows('SELECT CAST(count(*) AS INTEGER) AS "n" FROM "Role"')).toEqual([{ n: 0 }])
    })

    it('restores objects to their pre-flush values (no half-assigned keys or defaults)', async () => {
      session.add(new Role({ name: 'admin' }))
      await session.commit()
      const fresh = new Role({ name: 'fresh' })
      const duplicate = new Role({ name: 'admin' })
      session.addAll([fresh, duplicate])
      await expect(session.flush()).rejects.toThrow(UniqueViolationError)
      expect(fresh.id).toBeUndefined()
      // As in SQLAlchemy, the failed flush rolled the transaction back: pending objects are transient again.
      expect(inspect(fresh).transient).toBe(true)
      expect(fresh.name).toBe('fresh')
    })
  })

  describe('rollback', () => {
    it('reverts unflushed and flushed changes of persistent objects to the database values', async () => {
      const ann = new User({ username: 'ann', email: 'a@x' })
      session.add(ann)
      await session.commit()
      ann.email = 'flushed@x'
      await session.flush()
      ann.username = 'unflushed'
      ann.email = 'unflushed@x'
      await session.rollback()
      expect(ann.email).toBe('a@x')
      expect(ann.username).toBe('ann')
      expect(inspect(ann).modified).toBe(false)
    })

    it('restores objects deleted in the transaction to persistent', async () => {
      const ann = new User({ username: 'ann' })
      session.add(ann)
      await session.commit()
      session.delete(ann)
      await session.flush()
      expect(inspect(ann).deleted).toBe(true)
      await session.rollback()
      expect(inspect(ann).persistent).toBe(true)
      expect(await session.get(User, ann.id)).toBe(ann)
    })
  })
})
