// Column selection (issue 13, item 4): loadOnly/defer select some columns, the rest are deferred (reading one throws until
// loaded), later loads fill them in without overwriting changes, flushes write only what was set; distinct() and DISTINCT ON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defer, DeferredColumnError, DetachedInstanceError, InvalidRequestError, inspect, loadOnly, selectinload, UnmappedError, type Session } from 'prismalchemy'
import { Post, User } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { inSession as inSessionOf } from '../helpers/in-session.js'
import { DIALECTS, statementsOn, sqlOn, type TestDialect } from '../helpers/dialects.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const POST_COLUMNS = '"id", "title", "body", "published", "views", "author_id"'

const SQL = {
  loadOnlyTitle: 'SELECT "id", "title" FROM "posts" ORDER BY "id" ASC',
  deferBody: 'SELECT "id", "title", "published", "views", "author_id" FROM "posts" WHERE "id" = ? LIMIT ?',
  refreshBody: 'SELECT "id", "body" FROM "posts" WHERE "id" = ?',
  allPosts: `SELECT ${POST_COLUMNS} FROM "posts" ORDER BY "id" ASC`,
  authorKey: 'SELECT "id", "author_id" FROM "posts" WHERE "id" = ?',
  updateBody: 'UPDATE "posts" SET "body" = ? WHERE "id" = ?',
  updateTitle: 'UPDATE "posts" SET "title" = ? WHERE "id" = ?',
  titleWithAuthorKey: 'SELECT "id", "title", "author_id" FROM "posts" ORDER BY "id" ASC',
  distinctJoined: 'SELECT count(*) FROM (SELECT DISTINCT "users"."id", "users"."username" FROM "users" INNER JOIN "posts" AS "j1" ON "users"."id" = "j1"."author_id") AS "t"',
  distinctOn: `SELECT DISTINCT ON ("author_id") ${POST_COLUMNS} FROM "posts" ORDER BY "author_id" ASC, "views" DESC`,
  distinctOnCount: `SELECT count(*) FROM (SELECT DISTINCT ON ("author_id") ${POST_COLUMNS} FROM "posts") AS "t"`,
}

/** Only the SELECT and UPDATE statements of `sql` (not BEGIN/COMMIT). */
function reads(sql: readonly string[]): string[] {
  return sql.filter((statement) => statement.startsWith('SELECT') || statement.startsWith('UPDATE'))
}

describe.each(DIALECTS)('on %s', (dialect: TestDialect) => {
  let database: TestDatabase
  let session: Session

  beforeAll(async () => {
    database = await createTestDatabase({}, dialect)
    const seeding = database.session()
    const ann = new User({ username: 'ann' })
    const bob = new User({ username: 'bob' })
    seeding.addAll([
      ann,
      bob,
      new Post({ title: 'first', body: 'long text 1', views: 5, author: ann }),
      new Post({ title: 'second', body: 'long text 2', views: 9, author: ann }),
      new Post({ title: 'third', body: 'long text 3', views: 1, author: bob }),
    ])
    await seeding.commit()
    await seeding.close()
  })

  afterAll(async () => {
    await database.dispose()
  })

  /** Runs `work` in a new session, always closed. */
  const inSession = (work: (session: Session) => Promise<void>) => inSessionOf(database, work)

  it('loadOnly selects only the named columns and the primary key; reading another throws DeferredColumnError', () =>
    inSession(async (session) => {
      let posts: Post[] = []
      const sql = await capturedSql(database.engine, async () => {
        posts = await session.query(Post).options(loadOnly('title')).orderBy({ id: 'asc' }).all()
      })
      expect(reads(sql)).toEqual(statementsOn(dialect, SQL.loadOnlyTitle))
      expect(posts.map((post) => [post.id, post.title])).toEqual([
        [1, 'first'],
        [2, 'second'],
        [3, 'third'],
      ])
      const error = (() => {
        try {
          return void posts[0].body
        } catch (caught) {
          return caught
        }
      })()
      expect(error).toBeInstanceOf(DeferredColumnError)
      expect(error).toMatchObject({ code: 'deferred_column' })
      expect((error as Error).message).toContain("await session.refresh(obj, ['body'])")
      expect(inspect(posts[0]).deferredAttributes).toEqual(['body', 'published', 'views', 'authorId'])
    }))

  it('defer leaves the named columns out; refresh(obj, [names]) loads just those with one SELECT', () =>
    inSession(async (session) => {
      const post = (await session.query(Post).options(defer('body')).where({ id: 2 }).one())!
      let sql = await capturedSql(database.engine, () => session.query(Post).options(defer('body')).where({ id: 2 }).one())
      expect(reads(sql)).toEqual(statementsOn(dialect, SQL.deferBody))
      expect(post.title).toBe('second')
      expect(() => post.body).toThrow(DeferredColumnError)
      sql = await capturedSql(database.engine, () => session.refresh(post, ['body']))
      expect(reads(sql)).toEqual(statementsOn(dialect, SQL.refreshBody))
      expect(post.body).toBe('long text 2')
      expect(inspect(post).deferredAttributes).toEqual([])
    }))

  it('an object already loaded whole keeps its columns when a loadOnly query returns it, with no change to them', () =>
    inSession(async (session) => {
      const post = (await session.get(Post, 1))!
      post.title = 'changed'
      const [again] = await session.query(Post).options(loadOnly('views')).where({ id: 1 }).all()
      expect(again).toBe(post)
      expect(post.body).toBe('long text 1')
      expect(post.title).toBe('changed')
      expect(inspect(post).deferredAttributes).toEqual([])
    }))

  it('a later full load fills deferred columns in and keeps unflushed changes', () =>
    inSession(async (session) => {
      session.autoflushEnabled = false
      const [first] = await session.query(Post).options(loadOnly('title')).orderBy({ id: 'asc' }).all()
      first.title = 'edited'
      const sql = await capturedSql(database.engine, () => session.query(Post).orderBy({ id: 'asc' }).all())
      expect(reads(sql)).toEqual(statementsOn(dialect, SQL.allPosts))
      expect(first.body).toBe('long text 1')
      expect(first.views).toBe(5)
      expect(first.title).toBe('edited')
      expect(inspect(first).modifiedAttributes).toEqual(['title'])
    }))

  it('get() answers from the identity map with no SQL, deferred columns and all', () =>
    inSession(async (session) => {
      const [post] = await session.query(Post).options(loadOnly('title')).where({ id: 3 }).all()
      const sql = await capturedSql(database.engine, async () => expect(await session.get(Post, 3)).toBe(post))
      expect(sql).toEqual([])
      expect(() => post.views).toThrow(DeferredColumnError)
    }))

  it('writing a deferred column makes it readable and flushes it; a flush never writes columns that were not loaded', () =>
    inSession(async (session) => {
      const [post] = await session.query(Post).options(loadOnly('title')).where({ id: 1 }).all()
      post.body = 'rewritten'
      expect(post.body).toBe('rewritten')
      let sql = await capturedSql(database.engine, () => session.flush())
      expect(reads(sql)).toEqual(statementsOn(dialect, SQL.updateBody))
      post.title = 'renamed'
      sql = await capturedSql(database.engine, () => session.flush())
      expect(reads(sql)).toEqual(statementsOn(dialect, SQL.updateTitle))
      expect(() => post.views).toThrow(DeferredColumnError)
      await session.rollback()
      // The rollback puts back what the row held before: for the body, a value never loaded, so deferred again.
      expect(() => post.body).toThrow(DeferredColumnError)
    }))

  it('expire and a later partial load: a column both expired and selected is filled in, the others stay unloaded', () =>
    inSession(async (session) => {
      const [post] = await session.query(Post).options(loadOnly('title')).where({ id: 2 }).all()
      session.expire(post, ['title'])
      expect(() => post.title).toThrow(/expired/)
      await session.query(Post).options(loadOnly('title')).where({ id: 2 }).all()
      expect(post.title).toBe('second')
      expect(() => post.views).toThrow(DeferredColumnError)
      await session.refresh(post)
      expect(post.views).toBe(9)
    }))

  it('a lazy load through a deferred foreign key reads the key first; selectinload keeps the key in the SELECT', () =>
    inSession(async (session) => {
      const [post] = await session.query(Post).options(loadOnly('title')).where({ id: 3 }).all()
      const sql = await capturedSql(database.engine, async () => expect((await post.author).username).toBe('bob'))
      expect(reads(sql)[0]).toBe(sqlOn(dialect, SQL.authorKey))
      session.expungeAll()
      const loaded = await capturedSql(database.engine, async () => {
        const posts = await session.query(Post).options(loadOnly('title'), selectinload('author')).orderBy({ id: 'asc' }).all()
        expect(await Promise.all(posts.map(async (each) => (await each.author).username))).toEqual(['ann', 'ann', 'bob'])
      })
      expect(reads(loaded)[0]).toBe(sqlOn(dialect, SQL.titleWithAuthorKey))
      expect(reads(loaded)).toHaveLength(2)
    }))

  it('toJSON leaves deferred columns out', () =>
    inSession(async (session) => {
      const [post] = await session.query(Post).options(loadOnly('title')).where({ id: 1 }).all()
      expect(JSON.parse(JSON.stringify(post))).toEqual({ id: 1, title: 'first' })
    }))

  it('a detached object says it cannot load a deferred column', async () => {
    session = database.session()
    const [post] = await session.query(Post).options(loadOnly('title')).where({ id: 1 }).all()
    await session.close()
    expect(() => post.body).toThrow(DetachedInstanceError)
  })

  it('rejects unknown columns and a deferred primary key where the option is given', () =>
    inSession(async (session) => {
      expect(() => session.query(Post).options(loadOnly('nope' as 'title'))).toThrow(UnmappedError)
      expect(() => session.query(Post).options(defer('id'))).toThrow(expect.objectContaining({ code: 'deferred_primary_key' }))
      expect(() => session.query(Post).options(defer('id'))).toThrow(InvalidRequestError)
    }))

  it('distinct() is SELECT DISTINCT: a to-many join counts each owner once', () =>
    inSession(async (session) => {
      expect(await session.query(User).join('posts').count()).toBe(3)
      let count = 0
      const sql = await capturedSql(database.engine, async () => {
        count = await session.query(User).join('posts').options(loadOnly('username')).distinct().count()
      })
      expect(count).toBe(2)
      expect(reads(sql)).toEqual(statementsOn(dialect, SQL.distinctJoined))
    }))

  it('distinct() refuses an order by a column it does not select (PostgreSQL rejects it; SQLite would sort by any row\'s value), before any SQL', () =>
    inSession(async (session) => {
      const sql = await capturedSql(database.engine, async () => {
        await expect(session.query(Post).options(loadOnly('title')).distinct().orderBy({ views: 'asc' }).all()).rejects.toMatchObject({
          code: 'distinct_order_by_unselected',
          message: expect.stringContaining('"views"'),
        })
        await expect(session.query(Post).join('author').distinct().orderBy({ author: { username: 'asc' } }).all()).rejects.toThrow(InvalidRequestError)
      })
      expect(reads(sql)).toEqual([])
      // The order cannot change how many distinct rows there are: count() drops it and answers.
      expect(await session.query(Post).join('author').distinct().orderBy({ author: { username: 'asc' } }).count()).toBe(3)
      const titles = await session.query(Post).options(loadOnly('title', 'views')).distinct().orderBy({ views: 'desc' }).all()
      expect(titles.map((post) => post.title)).toEqual(['second', 'first', 'third'])
    }))

  if (dialect === 'postgresql') {
    it('distinct(columns) is DISTINCT ON, led in ORDER BY by its columns: the most viewed post per author', () =>
      inSession(async (session) => {
        let posts: Post[] = []
        const sql = await capturedSql(database.engine, async () => {
          posts = await session.query(Post).distinct(['authorId']).orderBy({ views: 'desc' }).all()
        })
        expect(reads(sql)).toEqual(statementsOn(dialect, SQL.distinctOn))
        expect(posts.map((post) => post.title)).toEqual(['second', 'third'])
        const counted = await capturedSql(database.engine, async () => expect(await session.query(Post).distinct(['authorId']).count()).toBe(2))
        expect(reads(counted)).toEqual(statementsOn(dialect, SQL.distinctOnCount))
      }))
  } else {
    it('distinct(columns) is refused on SQLite, which has no DISTINCT ON, before any SQL', () =>
      inSession(async (session) => {
        const sql = await capturedSql(database.engine, async () => {
          await expect(session.query(Post).distinct(['authorId']).all()).rejects.toMatchObject({ code: 'distinct_on_unsupported' })
        })
        expect(reads(sql)).toEqual([])
      }))
  }
})
