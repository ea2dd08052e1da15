// Bulk writes (issue 13, item 5): query.update()/delete() as one statement with the identity map kept in step, and session.insertMany().
// Cases marked "SQLAlchemy:" port tests of test/orm/dml/test_orm_upd_del_basic.py (sqlalchemy/sqlalchemy) to this API.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Decimal, inspect, InvalidRequestError, loadOnly, UnmappedError, type Session, type SynchronizeSession } from 'prismalchemy'
import { Post, Role, User } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, placeholders, statementsOn, type TestDialect } from '../helpers/dialects.js'
import { capturedSql as capturedAll } from '../helpers/sql-recorder.js'
import type { Engine } from 'prismalchemy'

/** The statements `work` ran, without the BEGIN a session's first write sends (pinned by the transaction tests). */
async function capturedSql(engine: Engine, work: () => Promise<unknown>): Promise<string[]> {
  return (await capturedAll(engine, work)).filter((statement) => !statement.startsWith('BEGIN'))
}

/** SQLAlchemy's fixture: john 25, jack 47, jill 29, jane 37 (its `age` is our `views`). */
const POSTS = [
  { title: 'john', views: 25 },
  { title: 'jack', views: 47 },
  { title: 'jill', views: 29 },
  { title: 'jane', views: 37 },
]

/** The user columns every INSERT of insertMany() writes (all but the autoincrement key), in mapper order. */
const USER_INSERT_COLUMNS = '"username", "email", "roleId", "plan", "active", "quota", "score", "balance", "settings", "avatar", "created_at", "updated_at"'

/**
 * A bulk write that fetches the rows it matched (synchronize 'fetch', or 'auto' when memory cannot decide):
 * the statement with RETURNING of `returning`, or on MySQL (no RETURNING) first `keys`, the matched keys
 * read and locked with `SELECT ... FOR UPDATE`, then the statement as it is.
 */
interface FetchingWrite {
  readonly statement: string
  readonly returning: string
  readonly keys: string
}

/** The statements a {@link FetchingWrite} sends on `dialect`. */
function fetchingOn(dialect: TestDialect, write: FetchingWrite): string[] {
  return dialect === 'mysql' ? statementsOn(dialect, `${write.keys} FOR UPDATE`, write.statement) : statementsOn(dialect, `${write.statement} RETURNING ${write.returning}`)
}

const RELATION_FILTER = 'EXISTS (SELECT 1 FROM "posts" AS "t1" WHERE "users"."id" = "t1"."author_id" AND "t1"."title" = ?)'

const SQL = {
  updateEvaluate: 'UPDATE "posts" SET "views" = "views" - ? WHERE "views" > ?',
  updateFetch: { statement: 'UPDATE "posts" SET "views" = "views" - ? WHERE "views" > ?', returning: '"id", "views"', keys: 'SELECT "id" FROM "posts" WHERE "views" > ?' },
  updateAll: 'UPDATE "posts" SET "views" = ?',
  deleteEvaluate: 'DELETE FROM "posts" WHERE "title" = ? OR "title" = ?',
  deleteFetch: { statement: 'DELETE FROM "posts" WHERE "title" = ? OR "title" = ?', returning: '"id"', keys: 'SELECT "id" FROM "posts" WHERE "title" = ? OR "title" = ?' },
  deleteAll: 'DELETE FROM "posts"',
  userUpdatedAt: 'UPDATE "users" SET "active" = ?, "updated_at" = ? WHERE "username" = ?',
  userKeysByName: 'SELECT "id" FROM "users" WHERE "username" = ? FOR UPDATE',
  dynamicDelete: 'DELETE FROM "posts" WHERE "author_id" = ? AND "published" = ?',
  relationFilterUpdate: {
    statement: `UPDATE "users" SET "active" = ?, "updated_at" = ? WHERE ${RELATION_FILTER}`,
    returning: '"id", "active", "updated_at"',
    keys: `SELECT "id" FROM "users" WHERE ${RELATION_FILTER}`,
  },
  insertRoles: (rows: number) => `INSERT INTO "Role" ("name") VALUES ${Array.from({ length: rows }, () => '(?)').join(', ')}`,
  // PrismaClient's skipDuplicates on MySQL is INSERT IGNORE.
  insertRolesSkip: { sqlite: 'INSERT INTO "Role" ("name") VALUES (?), (?), (?) ON CONFLICT DO NOTHING', postgresql: 'INSERT INTO "Role" ("name") VALUES ($1), ($2), ($3) ON CONFLICT DO NOTHING', mysql: 'INSERT IGNORE INTO `Role` (`name`) VALUES (?), (?), (?)' },
  insertUsers: `INSERT INTO "users" (${USER_INSERT_COLUMNS}) VALUES (${placeholders(12)}), (${placeholders(12)})`,
}

describe.each(DIALECTS)('bulk writes on %s', (dialect: TestDialect) => {
  let database: TestDatabase
  let session: Session
  let author: User

  /** The posts' views as the database holds them, by title (read with the raw driver: commit first to see the session's writes). */
  async function storedViews(): Promise<Record<string, number>> {
    const rows = await database.readRows<{ title: string; views: number }>('SELECT "title", "views" FROM "posts" ORDER BY "id"')
    return Object.fromEntries(rows.map((row) => [row.title, Number(row.views)]))
  }

  /** The four posts, loaded into the session's identity map in id order. */
  async function loadPosts(): Promise<Post[]> {
    return session.query(Post).orderBy({ id: 'asc' }).all()
  }

  /**
   * On MySQL only: a fetching bulk UPDATE (no RETURNING) computes the new values of the matched objects in
   * memory, as SQLAlchemy does there, and expires what memory cannot compute (Decimal arithmetic); asserts
   * that `columns` are expired, then reloads them, so the test reads on.
   */
  async function reloadExpiredOnMysql<T extends Post | User>(objects: readonly T[], columns: readonly (keyof T & string)[]): Promise<void> {
    if (dialect !== 'mysql') return
    for (const object of objects) {
      for (const column of columns) expect(() => object[column]).toThrow(expect.objectContaining({ code: 'expired_attribute' }))
      await session.refresh(object as Post, columns as never)
    }
  }

  /**
   * MySQL compares text by its collation (utf8mb4_unicode_ci ignores case and accents), which memory does
   * not mirror: there `synchronize: 'evaluate'` with text criteria is refused, after the autoflush and
   * before the statement. Asserts that and returns true when `synchronize` is refused on this dialect.
   */
  async function refusedOnMysql(synchronize: SynchronizeSession, write: () => Promise<unknown>): Promise<boolean> {
    if (dialect !== 'mysql' || synchronize !== 'evaluate') return false
    const sql = await capturedSql(database.engine, () => expect(write()).rejects.toMatchObject({ name: 'InvalidRequestError', code: 'unevaluatable_criteria' }))
    expect(sql.filter((statement) => !statement.startsWith('UPDATE'))).toEqual([])
    return true
  }

  beforeEach(async () => {
    database = await createTestDatabase({}, dialect)
    const seeding = database.session()
    const owner = new User({ username: 'ann' })
    seeding.add(owner)
    for (const post of POSTS) seeding.add(new Post({ ...post, author: owner }))
    await seeding.commit()
    await seeding.close()
    session = database.session()
    author = (await session.query(User).filterBy({ username: 'ann' }).one())!
  })

  afterEach(async () => {
    await session.close()
    await database.dispose()
  })

  describe('query.update()', () => {
    // SQLAlchemy: test_update, test_update_newstyle (evaluate, then fetch).
    it('evaluates the criteria in memory by default and sets the new values on the matched objects as loaded, not as changes', async () => {
      const [john, jack, jill, jane] = await loadPosts()
      let count = 0
      const sql = await capturedSql(database.engine, async () => {
        count = await session.query(Post).where({ views: { gt: 29 } }).update({ views: { decrement: 10 } })
      })
      expect(sql).toEqual(statementsOn(dialect, SQL.updateEvaluate))
      expect(count).toBe(2)
      expect([john.views, jack.views, jill.views, jane.views]).toEqual([25, 37, 29, 27])
      for (const post of [john, jack, jill, jane]) expect(session.isModified(post)).toBe(false)
      expect(session.dirty).toEqual([])
      // Identity-map reads afterwards run no SQL.
      expect(await capturedSql(database.engine, () => session.get(Post, jack.id))).toEqual([])
      await session.commit()
      expect(await storedViews()).toEqual({ john: 25, jack: 37, jill: 29, jane: 27 })
    })

    it("with synchronize: 'fetch' returns the updated columns of every matched row and sets them on the objects in the session", async () => {
      const [john, jack, jill, jane] = await loadPosts()
      let count = 0
      const sql = await capturedSql(database.engine, async () => {
        count = await session.query(Post).where({ views: { gt: 29 } }).update({ views: { decrement: 10 } }, { synchronize: 'fetch' })
      })
      expect(sql).toEqual(fetchingOn(dialect, SQL.updateFetch))
      expect(count).toBe(2)
      expect([john.views, jack.views, jill.views, jane.views]).toEqual([25, 37, 29, 27])
      expect(session.isModified(jack)).toBe(false)
    })

    // SQLAlchemy: test_update_all, test_update_returns_rowcount.
    it('updates every row without criteria, and returns the number of rows matched in every mode', async () => {
      const posts = await loadPosts()
      const sql = await capturedSql(database.engine, async () => {
        expect(await session.query(Post).update({ views: 42 })).toBe(4)
      })
      expect(sql).toEqual(statementsOn(dialect, SQL.updateAll))
      expect(posts.map((post) => post.views)).toEqual([42, 42, 42, 42])
      for (const synchronize of ['auto', 'evaluate', 'fetch', false] as SynchronizeSession[]) {
        expect(await session.query(Post).where({ views: { gte: 42 } }).update({ views: { increment: 0 } }, { synchronize })).toBe(4)
      }
    })

    it('leaves objects as they are with synchronize: false (SQLAlchemy: test_delete_without_session_sync, for UPDATE)', async () => {
      const [john] = await loadPosts()
      expect(await session.query(Post).where({ title: 'john' }).update({ views: 1 }, { synchronize: false })).toBe(1)
      expect(john.views).toBe(25)
      await session.commit()
      expect(await storedViews()).toMatchObject({ john: 1 })
    })

    it('computes every atomic operation as the database does (integer division truncates on both databases)', async () => {
      const [john, jack, jill, jane] = await loadPosts()
      // By key: memory compares numbers on every database (text only where it mirrors the collation, not on MySQL).
      for (const synchronize of ['evaluate', 'fetch'] as const) {
        await session.query(Post).where({ id: john.id }).update({ views: { increment: 5 } }, { synchronize })
        await session.query(Post).where({ id: jack.id }).update({ views: { divide: 2 } }, { synchronize })
        await session.query(Post).where({ id: jill.id }).update({ views: { multiply: 3 } }, { synchronize })
        await session.query(Post).where({ id: jane.id }).update({ views: { set: 1 } }, { synchronize })
        if (synchronize === 'evaluate') expect([john.views, jack.views, jill.views, jane.views]).toEqual([30, 23, 87, 1])
      }
      expect([john.views, jack.views, jill.views, jane.views]).toEqual([35, 11, 261, 1])
      await session.commit()
      expect(await storedViews()).toEqual({ john: 35, jack: 11, jill: 261, jane: 1 })
      const typesSql = {
        sqlite: 'SELECT typeof("views") AS "type" FROM "posts"',
        postgresql: 'SELECT pg_typeof("views")::text AS "type" FROM "posts"',
        // MySQL stores a value as its column's type: the column is still INT (DIV kept the division integral).
        mysql: `SELECT "DATA_TYPE" AS "type" FROM information_schema."COLUMNS" WHERE "TABLE_SCHEMA" = DATABASE() AND "TABLE_NAME" = 'posts' AND "COLUMN_NAME" = 'views'`,
      }
      const types = await database.readRows<{ type: string }>(typesSql[dialect])
      expect(new Set(types.map((row) => row.type))).toEqual(new Set([dialect === 'mysql' ? 'int' : 'integer']))
    })

    it('keeps BigInt, Float and Decimal arithmetic exact in memory (Decimal is fetched: memory cannot mirror numeric or REAL arithmetic)', async () => {
      author.quota = 9_007_199_254_740_993n
      author.score = 1.5
      author.balance = new Decimal('10.25')
      await session.flush()
      const sql = await capturedSql(database.engine, async () => {
        await session.query(User).filterBy({ username: 'ann' }).update({ quota: { multiply: 2n }, score: { divide: 4 }, balance: { increment: '0.5' } })
      })
      // The Decimal operation sends 'auto' to RETURNING; on MySQL to the locked SELECT of the keys (text criteria are not evaluated there either), where the BigInt and Float results are computed in memory and the Decimal one is expired.
      if (dialect === 'mysql') {
        expect(sql).toEqual(statementsOn(dialect, SQL.userKeysByName, 'UPDATE "users" SET "quota" = "quota" * ?, "score" = "score" / ?, "balance" = "balance" + ?, "updated_at" = ? WHERE "username" = ?'))
        await reloadExpiredOnMysql([author], ['balance'])
      } else expect(sql[0]).toMatch(/ RETURNING "id", "quota", "score", "balance", "updated_at"$/)
      expect(author.quota).toBe(18_014_398_509_481_986n)
      expect(author.score).toBe(0.375)
      expect(author.balance.toString()).toBe('10.75')
      await session.commit()
      const [row] = await database.readRows<{ quota: unknown; score: number }>(`SELECT CAST("quota" AS ${dialect === 'mysql' ? 'CHAR' : 'TEXT'}) AS "quota", "score" FROM "users"`)
      expect(String(row.quota)).toBe('18014398509481986')
      expect(Number(row.score)).toBe(0.375)
    })

    it("sets @updatedAt columns to the statement's time, as Prisma's updateMany does", async () => {
      const before = author.updatedAt
      await new Promise((resolve) => setTimeout(resolve, 5))
      const sql = await capturedSql(database.engine, async () => {
        await session.query(User).filterBy({ username: 'ann' }).update({ active: false })
      })
      // MySQL: 'auto' fetches the matched keys first (memory does not compare text as its collation does).
      expect(sql).toEqual(statementsOn(dialect, ...(dialect === 'mysql' ? [SQL.userKeysByName] : []), SQL.userUpdatedAt))
      expect(author.updatedAt.getTime()).toBeGreaterThan(before.getTime())
      await session.commit()
      const [row] = await database.readRows<{ updated_at: string | Date }>('SELECT "updated_at" FROM "users"')
      expect(new Date(dialect === 'sqlite' ? String(row.updated_at) : `${(row.updated_at as Date).toISOString()}`).getTime()).toBe(author.updatedAt.getTime())
      expect(author.active).toBe(false)
      expect(session.isModified(author)).toBe(false)
    })

    it('evaluates with SQL semantics: a comparison with NULL matches nothing, LIKE folds case on SQLite (ASCII) and MySQL (collation, fetched), not PostgreSQL', async () => {
      const bob = new User({ username: 'Bob', email: null })
      session.add(bob)
      await session.flush()
      // email <> 'x' is unknown for NULL: neither database updates bob's row, and memory agrees.
      await session.query(User).where({ email: { not: 'x' } }).update({ score: 1 })
      expect(bob.score).toBe(0)
      await session.query(User).where({ username: { contains: 'bo' } }).update({ score: 2 })
      await session.commit()
      const [stored] = await database.readRows<{ score: number }>(`SELECT "score" FROM "users" WHERE "username" = 'Bob'`)
      expect(Number(stored.score)).toBe(dialect === 'postgresql' ? 0 : 2)
      expect(bob.score).toBe(Number(stored.score))
    })

    it("evaluates Dates, BigInts and Decimals as the database compares them", async () => {
      author.quota = 5n
      author.balance = new Decimal('2.5')
      await session.flush()
      const later = new Date(author.createdAt.getTime() + 1)
      await session.query(User).where({ quota: { gte: 5n }, balance: { gt: new Decimal('2.25') }, createdAt: { lt: later } }).update({ score: 3 }, { synchronize: 'evaluate' })
      await session.query(User).where({ createdAt: { gt: later } }).update({ score: 4 }, { synchronize: 'evaluate' })
      expect(author.score).toBe(3)
      await session.commit()
      const [row] = await database.readRows<{ score: number }>('SELECT "score" FROM "users"')
      expect(Number(row.score)).toBe(3)
    })

    // SQLAlchemy: test_auto_synchronize (is_evaluable false), with a relation filter as the criteria memory cannot evaluate.
    it('falls back to fetch for criteria with a relation filter (a correlated EXISTS on the unaliased target table)', async () => {
      const sql = await capturedSql(database.engine, async () => {
        expect(await session.query(User).where({ posts: { some: { title: 'jill' } } }).update({ active: false })).toBe(1)
      })
      expect(sql).toEqual(fetchingOn(dialect, SQL.relationFilterUpdate))
      expect(author.active).toBe(false)
    })

    // SQLAlchemy: test_delete_invalid_evaluation (for UPDATE).
    it("refuses synchronize: 'evaluate' for criteria it cannot evaluate, before any SQL", async () => {
      const sql = await capturedSql(database.engine, async () => {
        await expect(session.query(User).where({ posts: { some: { title: 'jill' } } }).update({ active: false }, { synchronize: 'evaluate' })).rejects.toMatchObject({
          name: 'InvalidRequestError',
          code: 'unevaluatable_criteria',
        })
      })
      expect(sql).toEqual([])
    })

    // SQLAlchemy: test_update_changes_resets_dirty (autoflush off: the statement's value replaces an unflushed change).
    it('replaces an unflushed change to an updated column and keeps other unflushed changes (autoflush off)', async () => {
      await session.close()
      session = database.session({ autoflush: false })
      const [john, jack, jill, jane] = await loadPosts()
      john.views = 50
      jack.views = 99
      jack.body = 'edited'
      // The database holds 25 and 47: the criteria are evaluated against those, as the UPDATE is.
      await session.query(Post).where({ views: { gt: 29 } }).update({ views: { decrement: 10 } })
      // jack's row matched: its unflushed 99 gives way to the 37 the row holds now; john's did not: its 50 stays pending.
      expect([john.views, jack.views, jill.views, jane.views]).toEqual([50, 37, 29, 27])
      expect(inspect(john).attrs.views.history.added).toEqual([50])
      expect(inspect(jack).attrs.views.history.added).toEqual([])
      expect(inspect(jack).attrs.body.history.added).toEqual(['edited'])
      expect(new Set(session.dirty)).toEqual(new Set([john, jack]))
      await session.commit()
      expect(await storedViews()).toEqual({ john: 50, jack: 37, jill: 29, jane: 27 })
    })

    // SQLAlchemy: test_update_changes_with_autoflush, test_autoflush_before_evaluate_update, test_autoflush_before_fetch_update.
    it('autoflushes pending changes first, so criteria and values see them', async () => {
      const [john, jack, jill, jane] = await loadPosts()
      john.views = 50
      jack.views = 37
      await session.query(Post).where({ views: { gt: 29 } }).update({ views: { decrement: 10 } })
      expect([john.views, jack.views, jill.views, jane.views]).toEqual([40, 27, 29, 27])
      for (const post of [john, jack, jill, jane]) expect(session.isModified(post)).toBe(false)
      john.title = 'j2'
      await session.query(Post).filterBy({ title: 'j2' }).update({ views: 42 }, { synchronize: 'fetch' })
      expect(john.views).toBe(42)
    })

    // SQLAlchemy: test_evaluate_before_update, test_evaluate_dont_refresh_expired_objects (2.0: expired objects are not refreshed up front).
    it('expires the updated columns of an object whose criteria columns are expired, with no SELECT (evaluate); auto fetches instead', async () => {
      const [john, jack] = await loadPosts()
      session.expire(john, ['views'])
      const sql = await capturedSql(database.engine, async () => {
        await session.query(Post).where({ views: { gt: 20 } }).update({ body: 'x' }, { synchronize: 'evaluate' })
      })
      expect(sql).toEqual(statementsOn(dialect, 'UPDATE "posts" SET "body" = ? WHERE "views" > ?'))
      expect(() => john.body).toThrow(expect.objectContaining({ code: 'expired_attribute' }))
      expect(jack.body).toBe('x')
      await session.refresh(john)
      const auto = await capturedSql(database.engine, async () => {
        session.expire(john, ['views'])
        await session.query(Post).where({ views: { gt: 20 } }).update({ body: 'y' })
      })
      expect(auto).toEqual(fetchingOn(dialect, { statement: 'UPDATE "posts" SET "body" = ? WHERE "views" > ?', returning: '"id", "body"', keys: 'SELECT "id" FROM "posts" WHERE "views" > ?' }))
      expect(john.body).toBe('y')
    })

    // SQLAlchemy's evaluator reads an unloaded (deferred) attribute as unknown, as an expired one.
    it('decides nothing from a deferred criteria column: evaluate expires the updated columns, auto fetches; a deferred updated column stays deferred', async () => {
      const [john, jack] = await session.query(Post).options(loadOnly('title', 'body')).orderBy({ id: 'asc' }).all()
      await session.query(Post).where({ views: { gt: 20 } }).update({ body: 'x' }, { synchronize: 'evaluate' })
      expect(() => john.body).toThrow(expect.objectContaining({ code: 'expired_attribute' }))
      await session.refresh(john, ['body'])
      expect(john.body).toBe('x')
      const auto = await capturedSql(database.engine, async () => {
        await session.query(Post).where({ views: { gt: 20 } }).update({ body: 'y' })
      })
      expect(auto).toEqual(fetchingOn(dialect, { statement: 'UPDATE "posts" SET "body" = ? WHERE "views" > ?', returning: '"id", "body"', keys: 'SELECT "id" FROM "posts" WHERE "views" > ?' }))
      expect([john.body, jack.body]).toEqual(['y', 'y'])
      // The new value of an unloaded column is not computed from nothing: it stays unloaded, as SQLAlchemy leaves it.
      await session.query(Post).filterBy({ id: john.id }).update({ views: { increment: 1 } }, { synchronize: 'evaluate' })
      expect(inspect(john).deferredAttributes).toContain('views')
      expect(john.toJSON()).not.toHaveProperty('views')
      await session.refresh(john, ['views'])
      expect(john.views).toBe(26)
    })

    it('runs in the session transaction: rollback restores the rows and the objects', async () => {
      const [john, jack] = await loadPosts()
      await session.query(Post).where({ views: { gt: 29 } }).update({ views: { decrement: 10 } })
      expect(jack.views).toBe(37)
      await session.rollback()
      expect(await storedViews()).toEqual({ john: 25, jack: 47, jill: 29, jane: 37 })
      expect(jack.views).toBe(47)
      expect(john.views).toBe(25)
    })

    it('undoes a bulk update inside a savepoint that rolls back, in the database and in memory', async () => {
      const [john] = await loadPosts()
      const nested = await session.beginNested()
      await session.query(Post).filterBy({ title: 'john' }).update({ views: { increment: 1 } })
      expect(john.views).toBe(26)
      await nested.rollback()
      expect(john.views).toBe(25)
      await session.commit()
      expect(await storedViews()).toMatchObject({ john: 25 })
    })

    it('unloads a to-one relationship whose foreign key it changed', async () => {
      const [john] = await loadPosts()
      expect(await john.author).toBe(author)
      const other = new User({ username: 'zed' })
      session.add(other)
      await session.flush()
      await session.query(Post).filterBy({ title: 'john' }).update({ authorId: other.id })
      expect(john.authorId).toBe(other.id)
      expect(await john.author).toBe(other)
    })

    it('updates only the rows of a dynamic relationship, with its own criteria', async () => {
      const stranger = new User({ username: 'zed' })
      session.add(stranger)
      session.add(new Post({ title: 'other', views: 1, author: stranger }))
      await session.flush()
      const sql = await capturedSql(database.engine, async () => {
        expect(await author.posts.update({ views: 0 })).toBe(4)
      })
      expect(sql).toEqual(statementsOn(dialect, 'UPDATE "posts" SET "views" = ? WHERE "author_id" = ?'))
      await session.commit()
      expect(await storedViews()).toEqual({ john: 0, jack: 0, jill: 0, jane: 0, other: 1 })
    })

    // SQLAlchemy: test_illegal_operations.
    it.each([
      ['limit()', (q: ReturnType<Session['query']>) => q.limit(2)],
      ['offset()', (q: ReturnType<Session['query']>) => q.offset(2)],
      ['orderBy()', (q: ReturnType<Session['query']>) => q.orderBy({ id: 'asc' })],
      ['join()', (q: ReturnType<Session['query']>) => (q as ReturnType<Session['query']> & { join(name: string): typeof q }).join('author')],
    ])('refuses a query with %s, before any SQL', async (clause, refine) => {
      const query = refine(session.query(Post))
      const sql = await capturedSql(database.engine, async () => {
        await expect(query.update({ views: 1 })).rejects.toThrow(`Can't call query.update() when ${clause} has been called`)
        await expect(query.delete()).rejects.toMatchObject({ code: 'bulk_clause_unsupported' })
      })
      expect(sql).toEqual([])
    })

    it('refuses values a column cannot take with named errors, before any SQL', async () => {
      const query = session.query(Post) as unknown as { update(values: Record<string, unknown>, options?: Record<string, unknown>): Promise<number> }
      const sql = await capturedSql(database.engine, async () => {
        await expect(query.update({ nope: 1 })).rejects.toBeInstanceOf(UnmappedError)
        await expect(query.update({ title: { increment: 1 } })).rejects.toMatchObject({ code: 'invalid_update_value' })
        await expect(query.update({ views: { increment: 1, decrement: 1 } })).rejects.toMatchObject({ code: 'invalid_update_value' })
        await expect(query.update({ views: { increment: 1.5 } })).rejects.toMatchObject({ code: 'invalid_update_value' })
        await expect(query.update({ views: { incremnt: 1 } })).rejects.toMatchObject({ code: 'invalid_update_value' })
        await expect(query.update({ id: 9 })).rejects.toMatchObject({ code: 'invalid_update_value' })
        await expect(query.update({ views: 1 }, { synchronize: 'sometimes' })).rejects.toMatchObject({ code: 'invalid_synchronize' })
      })
      expect(sql).toEqual([])
    })
  })

  describe('query.delete()', () => {
    // SQLAlchemy: test_delete (synchronize_session False, None, 'auto', 'evaluate', 'fetch'), test_delete_with_fetch_strategy.
    it.each(['auto', 'evaluate', 'fetch', false] as const)('deletes the matching rows in one statement (after the locked SELECT of their keys where MySQL fetches); synchronize %s', async (synchronize) => {
      const [john, jack, jill, jane] = await loadPosts()
      const johnOrJill = () => session.query(Post).where({ OR: [{ title: 'john' }, { title: 'jill' }] })
      if (await refusedOnMysql(synchronize, () => johnOrJill().delete({ synchronize }))) return
      let count = 0
      const sql = await capturedSql(database.engine, async () => {
        count = await johnOrJill().delete({ synchronize })
      })
      // 'auto' fetches on MySQL: memory does not compare text there.
      const fetches = synchronize === 'fetch' || (synchronize === 'auto' && dialect === 'mysql')
      expect(sql).toEqual(fetches ? fetchingOn(dialect, SQL.deleteFetch) : statementsOn(dialect, SQL.deleteEvaluate))
      expect(count).toBe(2)
      if (synchronize === false) {
        expect(inspect(john).persistent).toBe(true)
      } else {
        expect(inspect(john).deleted).toBe(true)
        expect(inspect(jill).deleted).toBe(true)
        // An identity-map lookup of a deleted row answers with no SQL.
        expect(await capturedSql(database.engine, async () => expect(await session.get(Post, john.id)).toBeNull())).toEqual([])
      }
      expect(await session.query(Post).orderBy({ id: 'asc' }).all()).toEqual([jack, jane])
      await session.commit()
      if (synchronize !== false) expect(inspect(john).detached).toBe(true)
    })

    // SQLAlchemy: test_delete_rollback, test_delete_rollback_with_fetch.
    it.each(['evaluate', 'fetch'] as const)('makes deleted objects persistent again on rollback (%s)', async (synchronize) => {
      const [john, , jill] = await loadPosts()
      const johnOrJill = () => session.query(Post).where({ OR: [{ title: 'john' }, { title: 'jill' }] })
      if (await refusedOnMysql(synchronize, () => johnOrJill().delete({ synchronize }))) return
      await johnOrJill().delete({ synchronize })
      expect(inspect(john).deleted).toBe(true)
      await session.rollback()
      expect(inspect(john).persistent).toBe(true)
      expect(inspect(jill).persistent).toBe(true)
      expect(await storedViews()).toEqual({ john: 25, jack: 47, jill: 29, jane: 37 })
    })

    // SQLAlchemy: test_delete_all, test_delete_returns_rowcount.
    it('deletes every row without criteria and returns the count', async () => {
      const posts = await loadPosts()
      const sql = await capturedSql(database.engine, async () => {
        expect(await session.query(Post).delete()).toBe(4)
      })
      expect(sql).toEqual(statementsOn(dialect, SQL.deleteAll))
      for (const post of posts) expect(inspect(post).deleted).toBe(true)
      expect(await session.query(Post).count()).toBe(0)
    })

    // SQLAlchemy: test_autoflush_before_evaluate_delete, test_autoflush_before_fetch_delete.
    it.each(['evaluate', 'fetch'] as const)('autoflushes first, so an object changed to match is deleted (%s)', async (synchronize) => {
      const [john] = await loadPosts()
      john.title = 'j2'
      if (await refusedOnMysql(synchronize, () => session.query(Post).filterBy({ title: 'j2' }).delete({ synchronize }))) return
      await session.query(Post).filterBy({ title: 'j2' }).delete({ synchronize })
      expect(inspect(john).deleted).toBe(true)
    })

    // SQLAlchemy: test_evaluate_before_delete (an object the criteria cannot decide is expired, not deleted).
    it('never deletes in memory an object whose criteria column is deferred: evaluate expires it, auto fetches', async () => {
      const seeding = database.session()
      seeding.add(new User({ username: 'bob', email: 'bob@example.com' }))
      await seeding.commit()
      await seeding.close()
      // ann was loaded whole before (beforeEach): her email is known; bob's is deferred.
      const [ann, bob] = await session.query(User).options(loadOnly('username')).orderBy({ id: 'asc' }).all()
      expect(await session.query(User).where({ email: null }).delete({ synchronize: 'evaluate' })).toBe(1)
      expect(inspect(ann).deleted).toBe(true)
      expect(inspect(bob).persistent).toBe(true)
      expect(() => bob.username).toThrow(expect.objectContaining({ code: 'expired_attribute' }))
      await session.refresh(bob)
      expect(bob.email).toBe('bob@example.com')
      await session.rollback()
      const [carl] = await session.query(User).options(loadOnly('username')).where({ username: 'bob' }).all()
      const auto = await capturedSql(database.engine, async () => {
        expect(await session.query(User).where({ email: null }).delete()).toBe(1)
      })
      expect(auto).toEqual(fetchingOn(dialect, { statement: 'DELETE FROM "users" WHERE "email" IS NULL', returning: '"id"', keys: 'SELECT "id" FROM "users" WHERE "email" IS NULL' }))
      expect(inspect(carl).persistent).toBe(true)
    })

    it("expires an object whose criteria columns are expired (evaluate), and deletes the decided ones", async () => {
      const [john, jack, jill, jane] = await loadPosts()
      session.expire(jill, ['views'])
      session.expire(john, ['views'])
      await session.query(Post).where({ OR: [{ views: 25 }, { views: 37 }] }).delete({ synchronize: 'evaluate' })
      expect(inspect(jane).deleted).toBe(true)
      expect(inspect(jack).persistent).toBe(true)
      expect(inspect(jill).persistent).toBe(true)
      expect(() => jill.title).toThrow(expect.objectContaining({ code: 'expired_attribute' }))
      await session.refresh(jill)
      expect(jill.views).toBe(29)
      await expect(session.refresh(john)).rejects.toMatchObject({ code: 'refreshed_row_gone' })
    })

    it('deletes only the rows of a dynamic relationship, with its own criteria', async () => {
      const [john, jack] = await loadPosts()
      john.published = true
      await session.flush()
      const sql = await capturedSql(database.engine, async () => {
        expect(await author.posts.where({ published: false }).delete()).toBe(3)
      })
      expect(sql).toEqual(statementsOn(dialect, SQL.dynamicDelete))
      expect(inspect(john).persistent).toBe(true)
      expect(inspect(jack).deleted).toBe(true)
    })

    it('falls back to fetch for a relation filter, and deletes the objects the database deleted', async () => {
      const sql = await capturedSql(database.engine, async () => {
        expect(await session.query(User).where({ posts: { none: { views: { gt: 100 } } } }).delete()).toBe(1)
      })
      const noPopularPost = 'NOT EXISTS (SELECT 1 FROM "posts" AS "t1" WHERE "users"."id" = "t1"."author_id" AND "t1"."views" > ?)'
      expect(sql).toEqual(fetchingOn(dialect, { statement: `DELETE FROM "users" WHERE ${noPopularPost}`, returning: '"id"', keys: `SELECT "id" FROM "users" WHERE ${noPopularPost}` }))
      expect(inspect(author).deleted).toBe(true)
    })
  })

  describe('session.insertMany()', () => {
    it('inserts plain rows with one multi-row INSERT, with Prisma Client defaults, and puts no object in the identity map', async () => {
      let count = 0
      const sql = await capturedSql(database.engine, async () => {
        count = await session.insertMany(User, [{ username: 'bob' }, { username: 'cy', email: 'cy@example.com', quota: 7n }])
      })
      expect(count).toBe(2)
      expect(sql).toEqual(statementsOn(dialect, SQL.insertUsers))
      expect(session.identityMap.size).toBe(1)
      await session.commit()
      const rows = await database.readRows<Record<string, unknown>>(`SELECT "username", "email", "plan", "active", CAST("quota" AS ${dialect === 'mysql' ? 'CHAR' : 'TEXT'}) AS "quota", "created_at", "updated_at" FROM "users" ORDER BY "id"`)
      expect(rows.map((row) => [row.username, row.email, row.plan, Boolean(row.active), String(row.quota)])).toEqual([
        ['ann', null, 'FREE', true, '0'],
        ['bob', null, 'FREE', true, '0'],
        ['cy', 'cy@example.com', 'FREE', true, '7'],
      ])
      expect(rows[1].created_at).not.toBeNull()
      expect(String(rows[1].created_at)).toBe(String(rows[1].updated_at))
      const [bob] = await session.query(User).filterBy({ username: 'bob' }).all()
      expect(bob.createdAt).toBeInstanceOf(Date)
    })

    it("batches rows under the dialect's bind-parameter limit: 500 rows per INSERT", async () => {
      const names = Array.from({ length: 1001 }, (_, i) => ({ name: `role${i}` }))
      const sql = await capturedSql(database.engine, async () => {
        expect(await session.insertMany(Role, names)).toBe(1001)
      })
      expect(sql).toEqual(statementsOn(dialect, SQL.insertRoles(500), SQL.insertRoles(500), SQL.insertRoles(1)))
      expect(await session.query(Role).count()).toBe(1001)
    })

    it('skips rows that break a unique constraint with skipDuplicates (ON CONFLICT DO NOTHING; INSERT IGNORE on MySQL), counting only inserted rows', async () => {
      await session.insertMany(Role, [{ name: 'admin' }])
      const sql = await capturedSql(database.engine, async () => {
        expect(await session.insertMany(Role, [{ name: 'admin' }, { name: 'editor' }, { name: 'editor' }], { skipDuplicates: true })).toBe(1)
      })
      expect(sql).toEqual(statementsOn(dialect, SQL.insertRolesSkip))
      await expect(session.insertMany(Role, [{ name: 'admin' }])).rejects.toMatchObject({ code: 'unique_violation' })
    })

    it('runs in the session transaction, after an autoflush: rollback undoes it', async () => {
      session.add(new Role({ name: 'pending' }))
      await session.insertMany(Role, [{ name: 'bulk' }])
      expect((await session.query(Role).orderBy({ id: 'asc' }).all()).map((role) => role.name)).toEqual(['pending', 'bulk'])
      await session.rollback()
      expect(await database.readRows('SELECT "name" FROM "Role"')).toEqual([])
    })

    it('refuses model objects and relationship keys with named errors', async () => {
      const insert = session.insertMany.bind(session) as (model: unknown, rows: unknown[]) => Promise<number>
      await expect(insert(Role, [new Role({ name: 'x' })])).rejects.toMatchObject({ code: 'invalid_insert_row' })
      await expect(insert(Post, [{ title: 't', author }])).rejects.toThrow(/"author" is a relationship; give its foreign key \(authorId\) instead/)
      await expect(insert(Role, [{ nme: 'x' }])).rejects.toBeInstanceOf(UnmappedError)
      await expect(insert(Role, [null])).rejects.toBeInstanceOf(InvalidRequestError)
    })
  })
})
