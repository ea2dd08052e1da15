// query.aggregate(): Prisma's _count/_sum/_avg/_min/_max in one statement, checked against values computed from the seeded rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Decimal, DetachedInstanceError, InvalidRequestError, Session } from 'prismalchemy'
import { Post, User } from '../../generated/models.js'
import { PLAN_USERS, QUALIFIED_USER_COLUMNS, seedPlanUsers } from '../helpers/blog-rows.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, sqlOn, statementsOn } from '../helpers/dialects.js'
import { capturedSql } from '../helpers/sql-recorder.js'

/** The seeded users: a BigInt quota past 2^53, Decimal balances exact in binary (SQLite stores them as REAL), a nullable email. */
const USERS = PLAN_USERS
/** Posts: views and published per post, written by the users in turn. */
const VIEWS = [12, 0, 7, 30, 5, 18, 2, 9]
const published = (i: number): boolean => i % 3 !== 1

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0)

describe.each(DIALECTS)('aggregate on %s', (dialect) => {
  let database: TestDatabase
  let session: Session

  beforeAll(async () => {
    database = await createTestDatabase({}, dialect)
    await seedPlanUsers(database, VIEWS.map((views, i) => [i % USERS.length, views, published(i)]))
  })

  afterAll(async () => {
    await database.dispose()
  })

  it('computes _count, _sum, _avg, _min and _max of the filtered rows in one statement', async () => {
    session = database.session()
    const views = VIEWS.filter((_, i) => published(i))
    let result
    const sql = await capturedSql(database.engine, async () => {
      result = await session
        .query(Post)
        .where({ published: true })
        .aggregate({ _count: true, _sum: { views: true }, _avg: { views: true }, _min: { views: true, title: true }, _max: { views: true } })
    })
    expect(sql).toEqual(
      statementsOn(dialect, 'SELECT count(*), sum("views"), avg("views"), min("views"), min("title"), max("views") FROM "posts" WHERE "published" = ?'),
    )
    expect(result).toEqual({
      _count: views.length,
      _sum: { views: sum(views) },
      _avg: { views: sum(views) / views.length },
      _min: { views: Math.min(...views), title: 'p0' },
      _max: { views: Math.max(...views) },
    })
    await session.close()
  })

  it('keeps each column type: Decimal sums and averages, BigInt sums past 2^53, DateTime and enum extremes', async () => {
    session = database.session()
    const result = await session.query(User).aggregate({
      _count: { _all: true, email: true },
      _sum: { balance: true, quota: true },
      _avg: { balance: true, quota: true },
      _min: { createdAt: true, quota: true, username: true },
      _max: { createdAt: true, balance: true },
    })
    const balances = USERS.map((user) => new Decimal(user.balance))
    const total = balances.reduce((a, b) => a.plus(b), new Decimal(0))
    const quotas = USERS.map((user) => user.quota)
    const times = USERS.map((user) => user.createdAt.getTime())
    expect(result._count).toEqual({ _all: USERS.length, email: USERS.filter((user) => user.email !== null).length })
    expect(result._sum.quota).toBe(quotas.reduce((a, b) => a + b, 0n))
    expect(typeof result._sum.quota).toBe('bigint')
    expect(result._sum.balance).toBeInstanceOf(Decimal)
    expect(result._sum.balance!.equals(total)).toBe(true)
    expect(result._avg.balance).toBeInstanceOf(Decimal)
    expect(result._avg.balance!.equals(total.dividedBy(USERS.length))).toBe(true)
    expect(result._avg.quota).toBeCloseTo(Number(quotas.reduce((a, b) => a + b, 0n)) / USERS.length, -2)
    expect(result._min).toEqual({ createdAt: new Date(Math.min(...times)), quota: 0n, username: 'ann' })
    expect(result._max.createdAt).toEqual(new Date(Math.max(...times)))
    expect(result._max.balance!.equals(new Decimal('100'))).toBe(true)
    await session.close()
  })

  it('answers null sums and extremes and a zero count over no rows', async () => {
    session = database.session()
    const result = await session.query(Post).where({ views: { gt: 1000 } }).aggregate({ _count: { _all: true }, _sum: { views: true }, _avg: { views: true }, _max: { title: true } })
    expect(result).toEqual({ _count: { _all: 0 }, _sum: { views: null }, _avg: { views: null }, _max: { title: null } })
    await session.close()
  })

  it('aggregates only the rows a limit and offset keep, in the query order, through a subquery', async () => {
    session = database.session()
    let result
    const sql = await capturedSql(database.engine, async () => {
      result = await session.query(Post).orderBy({ views: 'desc' }).offset(1).limit(3).aggregate({ _sum: { views: true }, _count: true })
    })
    expect(sql).toEqual([
      sqlOn(dialect, {
        sqlite: 'SELECT sum("views"), count(*) FROM (SELECT "views" FROM "posts" ORDER BY "views" DESC LIMIT ? OFFSET ?) AS "t"',
        postgresql: 'SELECT sum("views"), count(*) FROM (SELECT "views" FROM "posts" ORDER BY "views" DESC LIMIT $1 OFFSET $2) AS "t"',
      }),
    ])
    const kept = [...VIEWS].sort((a, b) => b - a).slice(1, 4)
    expect(result).toEqual({ _sum: { views: sum(kept) }, _count: 3 })
    await session.close()
  })

  it('aggregates and groups the distinct rows of a to-many join, as count() counts them, through a subquery', async () => {
    session = database.session()
    const query = session.query(User).join('posts').distinct()
    let result, groups
    const sql = await capturedSql(database.engine, async () => {
      result = await query.aggregate({ _count: true, _sum: { quota: true } })
      groups = (await query.groupBy(['plan'], { _count: { _all: true } })).sort((a, b) => a.plan.localeCompare(b.plan))
    })
    const distinctUsers = `SELECT DISTINCT ${QUALIFIED_USER_COLUMNS} FROM "users" INNER JOIN "posts" AS "j1" ON "users"."id" = "j1"."author_id"`
    expect(sql).toEqual(
      statementsOn(
        dialect,
        `SELECT count(*), sum("quota") FROM (${distinctUsers}) AS "t"`,
        `SELECT "plan", count(*) FROM (${distinctUsers}) AS "t" GROUP BY "plan"`,
      ),
    )
    // Every user wrote at least one of the 8 posts: 5 users, not 8 joined rows.
    expect(await query.count()).toBe(USERS.length)
    expect(result).toEqual({ _count: USERS.length, _sum: { quota: USERS.reduce((total, user) => total + user.quota, 0n) } })
    const plans = [...new Set(USERS.map((user) => user.plan))].sort()
    expect(groups).toEqual(plans.map((plan) => ({ plan, _count: { _all: USERS.filter((user) => user.plan === plan).length } })))
    await session.close()
  })

  it('aggregates a dynamic relationship, after autoflushing pending rows', async () => {
    session = database.session()
    const ann = (await session.query(User).filterBy({ username: 'ann' }).one())!
    session.add(new Post({ title: 'fresh', views: 100, authorId: ann.id }))
    const result = await ann.posts.aggregate({ _count: true, _sum: { views: true } })
    const own = VIEWS.filter((_, i) => i % USERS.length === 0)
    expect(result).toEqual({ _count: own.length + 1, _sum: { views: sum(own) + 100 } })
    await session.rollback()
    await session.close()
  })

  it('asks the database even for a dynamic relationship held in memory: an object outside any session cannot aggregate', async () => {
    const transient = new User({ username: 'zed' })
    transient.posts.append(new Post({ title: 'draft', views: 1 }))
    expect(await transient.posts.count()).toBe(1)
    await expect(transient.posts.aggregate({ _count: true })).rejects.toThrow(DetachedInstanceError)
  })

  it('refuses aggregates of the wrong column type and unknown aggregates with named errors, running no SQL', async () => {
    session = database.session()
    const query = session.query(User)
    const sql = await capturedSql(database.engine, async () => {
      // @ts-expect-error: a String column has no sum
      await expect(query.aggregate({ _sum: { username: true } })).rejects.toThrow(expect.objectContaining({ code: 'invalid_aggregate' }))
      // @ts-expect-error: PostgreSQL has no min(boolean): Booleans have no extremes here
      await expect(query.aggregate({ _min: { active: true } })).rejects.toThrow(InvalidRequestError)
      // @ts-expect-error: no such aggregate
      await expect(query.aggregate({ _median: { score: true } })).rejects.toThrow(expect.objectContaining({ code: 'unknown_aggregate' }))
      // @ts-expect-error: no such column
      await expect(query.aggregate({ _max: { nope: true } })).rejects.toThrow(expect.objectContaining({ code: 'unmapped' }))
    })
    expect(sql).toEqual([])
    await session.close()
  })
})
