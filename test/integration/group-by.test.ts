// query.groupBy(): Prisma's groupBy with aggregates, having and orderBy, checked against groups computed from the seeded rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Decimal, Session } from 'prismalchemy'
import { Post, User } from '../../generated/models.js'
import { PLAN_USERS, seedPlanUsers } from '../helpers/blog-rows.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, statementsOn } from '../helpers/dialects.js'
import { capturedSql } from '../helpers/sql-recorder.js'

/** Users: plans shared by several, Decimal balances exact in binary, BigInt quotas (one past 2^53), creation dates. */
const USERS = PLAN_USERS
/** Posts of the first three users: [author index, views, published]. */
const POSTS: [number, number, boolean][] = [
  [0, 40, true],
  [0, 25, false],
  [0, 50, true],
  [1, 10, true],
  [1, 90, true],
  [2, 3, false],
]

describe.each(DIALECTS)('groupBy on %s', (dialect) => {
  let database: TestDatabase
  let session: Session
  let ids: number[] = []

  /** Per author id: post count and total views, computed from POSTS. */
  const byAuthor = (rows: readonly [number, number, boolean][]) => {
    const groups = new Map<number, { count: number; views: number }>()
    for (const [author, views] of rows) {
      const group = groups.get(ids[author]) ?? { count: 0, views: 0 }
      groups.set(ids[author], { count: group.count + 1, views: group.views + views })
    }
    return groups
  }

  beforeAll(async () => {
    database = await createTestDatabase({}, dialect)
    ids = await seedPlanUsers(database, POSTS)
  })

  afterAll(async () => {
    await database.dispose()
  })

  it('groups posts by author with counts and sums, filtered by having on an aggregate and ordered by one', async () => {
    session = database.session()
    let groups: unknown
    const sql = await capturedSql(database.engine, async () => {
      groups = await session.query(Post).groupBy(['authorId'], {
        _count: { _all: true },
        _sum: { views: true },
        having: { views: { _sum: { gt: 50 } } },
        orderBy: { _sum: { views: 'desc' } },
      })
    })
    expect(sql).toEqual(
      statementsOn(
        dialect,
        'SELECT "author_id", count(*), sum("views") FROM "posts" GROUP BY "author_id" HAVING sum("views") > ? ORDER BY sum("views") DESC',
      ),
    )
    const expected = [...byAuthor(POSTS)]
      .filter(([, group]) => group.views > 50)
      .sort(([, a], [, b]) => b.views - a.views)
      .map(([authorId, group]) => ({ authorId, _count: { _all: group.count }, _sum: { views: group.views } }))
    expect(groups).toEqual(expected)
    expect(expected.length).toBeGreaterThan(1)
    await session.close()
  })

  it('groups by several columns under the query where, with _count: true as a number and limit applied to groups', async () => {
    session = database.session()
    let groups: { authorId: number; published: boolean; _count: number }[] = []
    const sql = await capturedSql(database.engine, async () => {
      groups = await session
        .query(Post)
        .where({ views: { gte: 10 } })
        .limit(3)
        .groupBy(['authorId', 'published'], { _count: true, orderBy: [{ authorId: 'asc' }, { published: 'desc' }] })
    })
    expect(sql).toEqual(
      statementsOn(
        dialect,
        'SELECT "author_id", "published", count(*) FROM "posts" WHERE "views" >= ? GROUP BY "author_id", "published" ORDER BY "author_id" ASC, "published" DESC LIMIT ?',
      ),
    )
    const counts = new Map<string, number>()
    for (const [author, views, published] of POSTS) if (views >= 10) counts.set(`${ids[author]}/${published}`, (counts.get(`${ids[author]}/${published}`) ?? 0) + 1)
    const expected = [...counts]
      .map(([key, count]) => ({ authorId: Number(key.split('/')[0]), published: key.endsWith('true'), _count: count }))
      .sort((a, b) => a.authorId - b.authorId || Number(b.published) - Number(a.published))
      .slice(0, 3)
    expect(groups).toEqual(expected)
    await session.close()
  })

  it('keeps column types in groups: Decimal averages, BigInt sums, DateTime extremes, enum keys', async () => {
    session = database.session()
    const groups = await session.query(User).groupBy(['plan'], {
      _avg: { balance: true },
      _sum: { quota: true },
      _max: { createdAt: true },
      having: { plan: { not: 'ENTERPRISE' } },
      orderBy: { plan: 'asc' },
    })
    const plans = [...new Set(USERS.map((user) => user.plan))].filter((plan) => plan !== 'ENTERPRISE')
    expect(groups.map((group) => group.plan).sort()).toEqual(plans.sort())
    for (const group of groups) {
      const members = USERS.filter((user) => user.plan === group.plan)
      const total = members.reduce((a, user) => a.plus(user.balance), new Decimal(0))
      expect(group._avg.balance).toBeInstanceOf(Decimal)
      expect(group._avg.balance!.equals(total.dividedBy(members.length))).toBe(true)
      expect(group._sum.quota).toBe(members.reduce((a, user) => a + user.quota, 0n))
      expect(group._max.createdAt).toEqual(new Date(Math.max(...members.map((user) => user.createdAt.getTime()))))
    }
    await session.close()
  })

  it('combines having filters with OR, on counts of a column and on grouped columns', async () => {
    session = database.session()
    let groups: { authorId: number }[] = []
    const sql = await capturedSql(database.engine, async () => {
      groups = await session.query(Post).groupBy(['authorId'], {
        having: { OR: [{ id: { _count: { gte: 3 } } }, { authorId: ids[2], views: { _max: { lt: 5 } } }] },
        orderBy: { authorId: 'asc' },
      })
    })
    expect(sql).toEqual(
      statementsOn(
        dialect,
        'SELECT "author_id" FROM "posts" GROUP BY "author_id" HAVING count("id") >= ? OR ("author_id" = ? AND max("views") < ?) ORDER BY "author_id" ASC',
      ),
    )
    expect(groups).toEqual([{ authorId: ids[0] }, { authorId: ids[2] }])
    await session.close()
  })

  it('groups a dynamic relationship query by its own columns', async () => {
    session = database.session()
    const ann = (await session.get(User, ids[0]))!
    const groups = await ann.posts.groupBy(['published'], { _sum: { views: true }, orderBy: { published: 'asc' } })
    const own = POSTS.filter(([author]) => author === 0)
    expect(groups).toEqual([false, true].map((published) => ({ published, _sum: { views: own.filter(([, , p]) => p === published).reduce((a, [, v]) => a + v, 0) } })))
    await session.close()
  })

  it('refuses having and orderBy on columns that are not grouped, and an empty by, running no SQL', async () => {
    session = database.session()
    const query = session.query(Post)
    const sql = await capturedSql(database.engine, async () => {
      // @ts-expect-error: views is not grouped: only its aggregates can filter groups
      await expect(query.groupBy(['authorId'], { having: { views: { gt: 3 } } })).rejects.toThrow(expect.objectContaining({ code: 'not_grouped' }))
      // @ts-expect-error: title is not grouped
      await expect(query.groupBy(['authorId'], { orderBy: { title: 'asc' } })).rejects.toThrow(expect.objectContaining({ code: 'not_grouped' }))
      await expect(query.groupBy([])).rejects.toThrow(expect.objectContaining({ code: 'not_grouped' }))
      // @ts-expect-error: a Boolean column has no sum
      await expect(query.groupBy(['authorId'], { _sum: { published: true } })).rejects.toThrow(expect.objectContaining({ code: 'invalid_aggregate' }))
    })
    expect(sql).toEqual([])
    await session.close()
  })
})
