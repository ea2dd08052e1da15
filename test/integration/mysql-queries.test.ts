// The query layer on MySQL/MariaDB: relation filters, aggregates and groupBy, withCount, distinct, joins ordered by a related column and pagination, each with its exact SQL and MySQL's own results.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Decimal, InvalidRequestError } from 'prismalchemy'
import { describeOn } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { recordSql } from '../helpers/sql-recorder.js'

const SCHEMA = `datasource db {
  provider = "mysql"
}

model Author {
  id    Int    @id @default(autoincrement())
  name  String
  posts Post[]
}

model Post {
  id        Int     @id @default(autoincrement())
  title     String
  views     Int
  score     Decimal
  reach     BigInt
  rating    Float
  published Boolean
  authorId  Int?
  author    Author? @relation(fields: [authorId], references: [id])
}
`

/** The columns of a Post, in the order every SELECT of one lists them. */
const POST_COLUMNS = '`id`, `title`, `views`, `score`, `reach`, `rating`, `published`, `authorId`'

describeOn('mysql', 'queries on mysql', () => {
  let models: InlineModels
  let Author: new (init?: object) => any
  let Post: new (init?: object) => any

  beforeAll(async () => {
    models = await inlineModels('mysql-queries', SCHEMA, 'mysql')
    ;({ Author, Post } = models.classes)
    await models.inSession(async (session) => {
      const ann = new Author({ name: 'ann' })
      const bob = new Author({ name: 'Bob' })
      const cy = new Author({ name: 'cy' })
      session.addAll([ann, bob, cy])
      session.addAll([
        new Post({ title: 'SQL basics', views: 1, score: new Decimal('1'), reach: 9223372036854775807n, rating: 0.5, published: true, author: ann }),
        new Post({ title: 'sql joins', views: 2, score: new Decimal('2'), reach: 9223372036854775807n, rating: 0.25, published: false, author: ann }),
        new Post({ title: 'Cooking', views: 2, score: new Decimal('2.000000000000000000000000000001'), reach: 1n, rating: 1, published: true, author: bob }),
        new Post({ title: 'Orphan', views: 10, score: new Decimal('0.1'), reach: 2n, rating: 2, published: false, author: null }),
      ])
      await session.commit()
    })
  })

  afterAll(async () => {
    await models?.dispose()
  })

  /**
   * Runs `work` in a session and returns its result with the statements and parameters it ran. The session
   * is typed loosely: the models exist only at test time, and `Session` over them would type aggregates wrongly.
   */
  async function traced<T>(work: (session: any) => Promise<T>): Promise<{ result: T; sql: string[]; parameters: unknown[][] }> {
    const recorder = recordSql(models.engine)
    try {
      const result = await models.inSession(work)
      return { result, sql: recorder.sql(), parameters: recorder.statements.map((statement) => [...statement.parameters]) }
    } finally {
      recorder.stop()
    }
  }

  /** The names of `rows` (authors) or their titles (posts), in order. */
  const names = (rows: readonly { name?: string; title?: string }[]): string[] => rows.map((row) => row.name ?? row.title!)

  it('filters by relations with correlated EXISTS, comparing text by the column collation (case-insensitive), as PrismaClient does on MySQL', async () => {
    const some = await traced(async (session) => names(await session.query(Author).where({ posts: { some: { title: { startsWith: 'SQL' } } } }).orderBy('id').all()))
    // Both of ann's posts match (utf8mb4_unicode_ci folds case): she is still one row.
    expect(some).toEqual({
      result: ['ann'],
      sql: ["SELECT `id`, `name` FROM `Author` WHERE EXISTS (SELECT 1 FROM `Post` AS `t1` WHERE `Author`.`id` = `t1`.`authorId` AND `t1`.`title` LIKE ? ESCAPE '/') ORDER BY `id` ASC"],
      parameters: [['SQL%']],
    })
    const is = await traced(async (session) => names(await session.query(Post).where({ author: { is: { name: 'BOB' } } }).all()))
    expect(is).toEqual({
      result: ['Cooking'],
      sql: [`SELECT ${POST_COLUMNS} FROM \`Post\` WHERE EXISTS (SELECT 1 FROM \`Author\` AS \`t1\` WHERE \`Post\`.\`authorId\` = \`t1\`.\`id\` AND \`t1\`.\`name\` = ?)`],
      parameters: [['BOB']],
    })
    const none = await traced(async (session) => names(await session.query(Author).where({ posts: { none: {} } }).all()))
    expect(none).toEqual({
      result: ['cy'],
      sql: ['SELECT `id`, `name` FROM `Author` WHERE NOT EXISTS (SELECT 1 FROM `Post` AS `t1` WHERE `Author`.`id` = `t1`.`authorId`)'],
      parameters: [[]],
    })
    const every = await traced(async (session) => names(await session.query(Author).where({ posts: { every: { published: true } } }).orderBy('id').all()))
    expect(every).toEqual({
      result: ['Bob', 'cy'],
      sql: ['SELECT `id`, `name` FROM `Author` WHERE NOT EXISTS (SELECT 1 FROM `Post` AS `t1` WHERE `Author`.`id` = `t1`.`authorId` AND NOT (`t1`.`published` = ?)) ORDER BY `id` ASC'],
      parameters: [[true]],
    })
  })

  it('aggregates exactly: Decimal sums and averages to the last digit, BigInt sums past 2^64, Int averages as MySQL rounds them', async () => {
    const all = await traced<any>((session) =>
      session.query(Post).aggregate({
        _count: true,
        _sum: { views: true, score: true, reach: true, rating: true },
        _avg: { views: true, score: true, reach: true, rating: true },
        _min: { score: true, title: true },
        _max: { reach: true, rating: true },
      }),
    )
    expect(all.sql).toEqual([
      'SELECT count(*), sum(`views`), sum(`score`), sum(`reach`), sum(`rating`), avg(`views`), avg(`score`), avg(`reach`), avg(`rating`), min(`score`), min(`title`), max(`reach`), max(`rating`) FROM `Post`',
    ])
    const { _count, _sum, _avg, _min, _max } = all.result
    expect(_count).toBe(4)
    expect(_sum.views).toBe(15)
    expect(_sum.score).toBeInstanceOf(Decimal)
    expect(_sum.score.toFixed()).toBe('5.100000000000000000000000000001')
    // SUM of a BIGINT is a DECIMAL on MySQL: 2 * (2^63 - 1) + 3 comes back whole.
    expect(_sum.reach).toBe(18446744073709551617n)
    expect(_sum.rating).toBe(3.75)
    expect(_avg.views).toBe(3.75)
    expect(_avg.score).toBeInstanceOf(Decimal)
    expect(_avg.score.toFixed()).toBe('1.27500000000000000000000000000025')
    // Prisma's _avg of a BigInt is a Float: the double nearest to 4611686018427387904.25.
    expect(_avg.reach).toBe(2 ** 62)
    expect(_avg.rating).toBe(0.9375)
    expect(_min.score.toFixed()).toBe('0.1')
    // min() of text follows the collation too: 'Cooking' before 'Orphan' and 'SQL basics', whatever the case.
    expect(_min.title).toBe('Cooking')
    expect(_max).toEqual({ reach: 9223372036854775807n, rating: 2 })
    // MySQL's AVG of integers has 4 decimals (div_precision_increment), where PostgreSQL gives 1.6666666666666667.
    const thirds = await traced((session) => session.query(Post).where({ views: { lte: 2 } }).aggregate({ _avg: { views: true } }))
    expect(thirds).toEqual({ result: { _avg: { views: 1.6667 } }, sql: ['SELECT avg(`views`) FROM `Post` WHERE `views` <= ?'], parameters: [[2]] })
  })

  it('groups with having and orderBy on an aggregate, keeping NULL keys, exact Decimal averages and BigInt sums, and Boolean keys as booleans', async () => {
    const byAuthor = await traced((session) =>
      session.query(Post).groupBy(['authorId'], {
        _count: { _all: true },
        _avg: { views: true, score: true },
        _sum: { reach: true },
        having: { views: { _avg: { gt: 1 } } },
        orderBy: { _avg: { views: 'desc' } },
      }),
    )
    expect(byAuthor.sql).toEqual(['SELECT `authorId`, count(*), avg(`views`), avg(`score`), sum(`reach`) FROM `Post` GROUP BY `authorId` HAVING avg(`views`) > ? ORDER BY avg(`views`) DESC'])
    expect(byAuthor.parameters).toEqual([[1]])
    expect(byAuthor.result).toEqual([
      { authorId: null, _count: { _all: 1 }, _avg: { views: 10, score: new Decimal('0.1') }, _sum: { reach: 2n } },
      { authorId: 2, _count: { _all: 1 }, _avg: { views: 2, score: new Decimal('2.000000000000000000000000000001') }, _sum: { reach: 1n } },
      { authorId: 1, _count: { _all: 2 }, _avg: { views: 1.5, score: new Decimal('1.5') }, _sum: { reach: 18446744073709551614n } },
    ])
    const byPublished = await traced((session) => session.query(Post).groupBy(['published'], { _count: true, orderBy: { published: 'asc' } }))
    expect(byPublished).toEqual({
      result: [
        { published: false, _count: 2 },
        { published: true, _count: 2 },
      ],
      sql: ['SELECT `published`, count(*) FROM `Post` GROUP BY `published` ORDER BY `published` ASC'],
      parameters: [[]],
    })
  })

  it('counts a to-many relationship with each object in a correlated subquery, 0 for none', async () => {
    const counted = await traced(async (session) => (await session.query(Author).withCount('posts').orderBy({ id: 'asc' }).all()).map((author: any) => [author.name, author._count]))
    expect(counted).toEqual({
      result: [
        ['ann', { posts: 2 }],
        ['Bob', { posts: 1 }],
        ['cy', { posts: 0 }],
      ],
      sql: ['SELECT `id`, `name`, (SELECT count(*) FROM `Post` AS `t1` WHERE `Author`.`id` = `t1`.`authorId`) AS `_count_posts` FROM `Author` ORDER BY `id` ASC'],
      parameters: [[]],
    })
  })

  it('distinct() is SELECT DISTINCT; distinct(columns) is refused with a named error before any SQL, MySQL having no DISTINCT ON', async () => {
    const distinct = await traced(async (session) => names(await session.query(Author).join('posts').distinct().orderBy({ name: 'asc' }).all()))
    expect(distinct).toEqual({
      result: ['ann', 'Bob'],
      sql: ['SELECT DISTINCT `Author`.`id`, `Author`.`name` FROM `Author` INNER JOIN `Post` AS `j1` ON `Author`.`id` = `j1`.`authorId` ORDER BY `Author`.`name` ASC'],
      parameters: [[]],
    })
    const refused = await traced((session) => session.query(Post).distinct(['authorId']).all().catch((error: unknown) => error))
    expect(refused.sql).toEqual([])
    expect(refused.result).toBeInstanceOf(InvalidRequestError)
    expect(refused.result).toMatchObject({ code: 'distinct_on_unsupported', message: expect.stringContaining('this database is mysql') })
  })

  it("orders by a related column through a LEFT OUTER JOIN: a missing author's NULL first ascending, names in collation order", async () => {
    const ordered = await traced(async (session) => names(await session.query(Post).orderBy([{ author: { name: 'asc' } }, { id: 'asc' }]).all()))
    expect(ordered).toEqual({
      // utf8mb4_unicode_ci puts 'ann' before 'Bob' (a binary order would not).
      result: ['Orphan', 'SQL basics', 'sql joins', 'Cooking'],
      sql: [`SELECT ${POST_COLUMNS.replace(/`(\w+)`/g, '`Post`.`$1`')} FROM \`Post\` LEFT OUTER JOIN \`Author\` AS \`j1\` ON \`Post\`.\`authorId\` = \`j1\`.\`id\` ORDER BY \`j1\`.\`name\` ASC, \`Post\`.\`id\` ASC`],
      parameters: [[]],
    })
  })

  it('paginates with LIMIT ? OFFSET ? and one count(*)', async () => {
    const page = await traced(async (session) => {
      const { items, total, pages, hasNext, hasPrev } = await session.query(Post).orderBy({ id: 'asc' }).paginate({ page: 2, perPage: 3 })
      return { titles: names(items), total, pages, hasNext, hasPrev }
    })
    expect(page).toEqual({
      result: { titles: ['Orphan'], total: 4, pages: 2, hasNext: false, hasPrev: true },
      sql: [`SELECT ${POST_COLUMNS} FROM \`Post\` ORDER BY \`id\` ASC LIMIT ? OFFSET ?`, 'SELECT count(*) FROM `Post`'],
      parameters: [[3, 3], []],
    })
  })
})
