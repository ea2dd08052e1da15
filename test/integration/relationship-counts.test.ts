// withCount(): relationship counts loaded with their owners in the same statement, with every way of running a query.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidRequestError, joinedload, selectinload, Session } from 'prismalchemy'
import { Comment, Post, User } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, sqlOn, statementsOn } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { seedAliasNamedTree } from '../helpers/inline-seeds.js'
import { ALIAS_NAMED_MODELS, sqliteSchema } from '../helpers/schemas.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const POST_COLUMNS = '"id", "title", "body", "published", "views", "author_id"'
/** A count correlated to the posts table (a query without a window): the related rows as relation filters read them. */
const COMMENT_COUNT = '(SELECT count(*) FROM "comments" AS "t1" WHERE "posts"."id" = "t1"."post_id") AS "_count_comments"'
/** A count correlated to the window of a limited query (`page`), computed for its rows only. */
const PAGE_COMMENT_COUNT = '(SELECT count(*) FROM "comments" AS "t1" WHERE "page"."id" = "t1"."post_id") AS "_count_comments"'

/** The page of 10 posts with their comment counts, newest first: the page as a subquery, counted outside. */
const PAGE_SQL = `SELECT ${POST_COLUMNS}, ${PAGE_COMMENT_COUNT} FROM (SELECT ${POST_COLUMNS} FROM "posts" ORDER BY "id" DESC LIMIT ?) AS "page" ORDER BY "id" DESC`
/** The same page through paginate(): LIMIT and OFFSET, then the total. */
const PAGINATED_SQL = {
  sqlite: `SELECT ${POST_COLUMNS}, ${PAGE_COMMENT_COUNT} FROM (SELECT ${POST_COLUMNS} FROM "posts" ORDER BY "id" DESC LIMIT ? OFFSET ?) AS "page" ORDER BY "id" DESC`,
  postgresql: `SELECT ${POST_COLUMNS}, ${PAGE_COMMENT_COUNT} FROM (SELECT ${POST_COLUMNS} FROM "posts" ORDER BY "id" DESC LIMIT $1 OFFSET $2) AS "page" ORDER BY "id" DESC`,
}
/** Joined eager loading wraps the counted statement in `t0` and reads the count through it. */
const JOINED_SQL =
  `SELECT "t0"."id", "t0"."title", "t0"."body", "t0"."published", "t0"."views", "t0"."author_id", "t1"."id", "t1"."body", "t1"."likes", "t1"."post_id", "t1"."created_at", "t0"."_count_comments" ` +
  `FROM (SELECT ${POST_COLUMNS}, ${PAGE_COMMENT_COUNT} FROM (SELECT ${POST_COLUMNS} FROM "posts" WHERE "author_id" = ? ORDER BY "id" ASC LIMIT ?) AS "page" ORDER BY "id" ASC) AS "t0" ` +
  `LEFT OUTER JOIN "comments" AS "t1" ON "t0"."id" = "t1"."post_id" ORDER BY "t0"."id" ASC, "t1"."id" ASC`

/** Comments per post in the seed: post i (1-based) has (i * 7) % 5 of them, so some have none. */
const commentsOf = (i: number): number => (i * 7) % 5

describe.each(DIALECTS)('withCount on %s', (dialect) => {
  let database: TestDatabase
  let session: Session
  /** Post id -> number of comments, from the seed. */
  const expected = new Map<number, number>()
  let authorIds: number[] = []

  beforeAll(async () => {
    database = await createTestDatabase({}, dialect)
    const seed = database.session()
    const authors = ['ann', 'bob'].map((username) => new User({ username }))
    seed.addAll(authors)
    await seed.flush()
    authorIds = authors.map((author) => author.id)
    const posts = Array.from({ length: 14 }, (_, i) => new Post({ title: `p${i + 1}`, authorId: authorIds[i % 2] }))
    seed.addAll(posts)
    await seed.flush()
    posts.forEach((post, i) => {
      expected.set(post.id, commentsOf(i + 1))
      for (let c = 0; c < commentsOf(i + 1); c++) seed.add(new Comment({ body: `c${c}`, postId: post.id }))
    })
    await seed.commit()
    await seed.close()
  })

  afterAll(async () => {
    await database.dispose()
  })

  it('loads a page of 10 posts with their comment counts in one statement', async () => {
    session = database.session()
    let page: (Post & { readonly _count: { readonly comments: number } })[] = []
    const sql = await capturedSql(database.engine, async () => {
      page = await session.query(Post).withCount('comments').orderBy({ id: 'desc' }).limit(10).all()
    })
    expect(sql).toEqual([sqlOn(dialect, PAGE_SQL)])
    expect(page).toHaveLength(10)
    for (const post of page) expect(post._count).toEqual({ comments: expected.get(post.id) })
    expect(page.some((post) => post._count.comments === 0)).toBe(true)
    expect(JSON.parse(JSON.stringify(page[0]))._count).toEqual({ comments: expected.get(page[0].id) })
    await session.close()
  })

  it('paginates with counts in two statements: the page and its total', async () => {
    session = database.session()
    const sql = await capturedSql(database.engine, async () => {
      const pagination = await session.query(Post).withCount('comments').orderBy({ id: 'desc' }).paginate({ page: 2, perPage: 10 })
      expect(pagination.total).toBe(14)
      expect(pagination.items.map((post) => post._count.comments)).toEqual(pagination.items.map((post) => expected.get(post.id)))
    })
    expect(sql).toEqual(statementsOn(dialect, PAGINATED_SQL, 'SELECT count(*) FROM "posts"'))
    await session.close()
  })

  it('counts a window sorted on any of its columns, skipping rows with an offset', async () => {
    session = database.session()
    const posts = await session.query(Post).withCount('comments').orderBy({ title: 'desc' }).offset(3).limit(5).all()
    const titles = [...expected.keys()].map((id) => ({ id, title: `p${id - Math.min(...expected.keys()) + 1}` }))
    const window = titles.sort((a, b) => (a.title < b.title ? 1 : -1)).slice(3, 8)
    expect(posts.map((post) => [post.id, post._count.comments])).toEqual(window.map(({ id }) => [id, expected.get(id)]))
    await session.close()
  })

  it('streams objects with their counts', async () => {
    session = database.session()
    const counts: [number, number][] = []
    for await (const post of session.query(Post).withCount('comments').orderBy({ id: 'asc' }).stream({ batchSize: 4 })) counts.push([post.id, post._count.comments])
    expect(counts).toEqual([...expected])
    await session.close()
  })

  it('counts with where, first() and a dynamic relationship query', async () => {
    session = database.session()
    const first = await session.query(Post).withCount('comments').where({ views: 0 }).orderBy({ id: 'asc' }).first()
    expect(first?._count.comments).toBe(commentsOf(1))
    const author = (await session.get(User, authorIds[1]))!
    const sql = await capturedSql(database.engine, async () => {
      const posts = await author.posts.withCount('comments').orderBy({ id: 'asc' }).all()
      expect(posts.map((post) => post._count.comments)).toEqual([...expected].filter((_, i) => i % 2 === 1).map(([, count]) => count))
    })
    expect(sql).toEqual(statementsOn(dialect, `SELECT ${POST_COLUMNS}, ${COMMENT_COUNT} FROM "posts" WHERE "author_id" = ? ORDER BY "id" ASC`))
    await session.close()
  })

  it('reads counts through joined eager loading of the counted collection, one statement', async () => {
    session = database.session()
    const sql = await capturedSql(database.engine, async () => {
      const posts = await session.query(Post).options(joinedload('comments')).withCount('comments').where({ authorId: authorIds[0] }).orderBy({ id: 'asc' }).limit(4).all()
      expect(posts).toHaveLength(4)
      for (const post of posts) {
        expect(post._count.comments).toBe(expected.get(post.id))
        expect(await post.comments).toHaveLength(expected.get(post.id)!)
      }
    })
    expect(sql).toEqual([sqlOn(dialect, JOINED_SQL)])
    await session.close()
  })

  it('keeps counts with selectin loading, which adds one statement', async () => {
    session = database.session()
    const sql = await capturedSql(database.engine, async () => {
      const posts = await session.query(Post).options(selectinload('comments')).withCount('comments').orderBy({ id: 'asc' }).limit(3).all()
      for (const post of posts) expect((await post.comments).length).toBe(post._count.comments)
    })
    expect(sql).toHaveLength(2)
    expect(sql[0]).toBe(sqlOn(dialect, `SELECT ${POST_COLUMNS}, ${PAGE_COMMENT_COUNT} FROM (SELECT ${POST_COLUMNS} FROM "posts" ORDER BY "id" ASC LIMIT ?) AS "page" ORDER BY "id" ASC`))
    await session.close()
  })

  it('replaces _count at each counting load, never marks the object changed and never flushes it', async () => {
    session = database.session()
    const [post] = await session.query(Post).withCount('comments').orderBy({ id: 'asc' }).limit(1).all()
    expect(post._count.comments).toBe(commentsOf(1))
    const added = new Comment({ body: 'late', postId: post.id })
    session.add(added)
    const [again] = await session.query(Post).withCount('comments').orderBy({ id: 'asc' }).limit(1).all()
    expect(again).toBe(post)
    expect(again._count.comments).toBe(commentsOf(1) + 1)
    // A load without withCount leaves the last counts in place.
    await session.query(Post).orderBy({ id: 'asc' }).limit(1).all()
    expect(post._count.comments).toBe(commentsOf(1) + 1)
    expect(session.dirty).not.toContain(post)
    expect(await capturedSql(database.engine, () => session.flush())).toEqual([])
    await session.rollback()
    await session.close()
  })

  it('refuses a name that is no to-many relationship, before any SQL', () => {
    session = database.session()
    const query = session.query(Post)
    // @ts-expect-error: author is a to-one relationship
    const toOne = () => query.withCount('author')
    expect(toOne).toThrow(InvalidRequestError)
    expect(toOne).toThrow(expect.objectContaining({ code: 'not_countable_relationship', message: expect.stringContaining('countable: comments') }))
    // @ts-expect-error: no such relationship
    expect(() => query.withCount('likes')).toThrow(expect.objectContaining({ code: 'not_countable_relationship' }))
  })
})

/** Posts with two counted collections: comments (one-to-many) and tags (implicit many-to-many). */
const SCHEMA = sqliteSchema(`model Post {
  id       Int    @id @default(autoincrement())
  title    String
  notes    Note[]
  tags     Tag[]
}

model Note {
  id     Int    @id @default(autoincrement())
  postId Int
  post   Post   @relation(fields: [postId], references: [id])
}

model Tag {
  id    Int    @id @default(autoincrement())
  name  String
  /// @lazy(dynamic)
  posts Post[]
}
`)

describe.each(DIALECTS)('withCount of several relationships on %s', (dialect) => {
  let models: InlineModels

  beforeAll(async () => {
    models = await inlineModels('relationship-counts', SCHEMA, dialect)
    const { Post, Note, Tag } = models.classes
    await models.inSession(async (seed) => {
      const tags = ['a', 'b', 'c'].map((name) => new Tag({ name }))
      const posts = ['x', 'y', 'z'].map((title) => new Post({ title }))
      seed.addAll([...tags, ...posts])
      await seed.flush()
      // x: 2 notes, tags a b c; y: no note, tag a; z: 1 note, no tag.
      seed.addAll([new Note({ postId: posts[0].id }), new Note({ postId: posts[0].id }), new Note({ postId: posts[2].id })])
      for (const tag of tags) tag.posts.append(posts[0])
      tags[0].posts.append(posts[1])
      await seed.commit()
    })
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  it('counts a one-to-many and a many-to-many in the same statement', async () => {
    const { Post } = models.classes
    await models.inSession(async (session) => {
      let posts: { title: string; _count: Record<string, number> }[] = []
      const sql = await capturedSql(models.engine, async () => {
        posts = await session.query(Post).withCount('notes', 'tags').orderBy({ title: 'asc' }).all()
      })
      expect(sql).toEqual(
        statementsOn(
          dialect,
          'SELECT "id", "title", (SELECT count(*) FROM "Note" AS "t1" WHERE "Post"."id" = "t1"."postId") AS "_count_notes", ' +
            '(SELECT count(*) FROM "_PostToTag" AS "s1" INNER JOIN "Tag" AS "t1" ON "t1"."id" = "s1"."B" WHERE "s1"."A" = "Post"."id") AS "_count_tags" FROM "Post" ORDER BY "title" ASC',
        ),
      )
      expect(posts.map((post) => [post.title, post._count])).toEqual([
        ['x', { notes: 2, tags: 3 }],
        ['y', { notes: 0, tags: 1 }],
        ['z', { notes: 1, tags: 0 }],
      ])
    })
  })

  it('counts the many-to-many side of a dynamic relationship query', async () => {
    const { Tag } = models.classes
    await models.inSession(async (session) => {
      const tag = await session.query(Tag).filterBy({ name: 'a' }).one()
      const posts = await tag.posts.withCount('tags').orderBy({ title: 'asc' }).all()
      expect(posts.map((post: { title: string; _count: { tags: number } }) => [post.title, post._count.tags])).toEqual([
        ['x', 3],
        ['y', 1],
      ])
    })
  })
})

describe.each(DIALECTS)('withCount over tables named like its aliases, on %s', (dialect) => {
  let models: InlineModels

  beforeAll(async () => {
    models = await inlineModels('relationship-counts-alias-names', sqliteSchema(ALIAS_NAMED_MODELS), dialect)
    await seedAliasNamedTree(models, { name: 'other', parent: 'root' })
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  it('counts a self relation of a table named "t1" and a many-to-many of one named "s1", over the table or a window', async () => {
    const { Node, Label } = models.classes
    await models.inSession(async (session) => {
      let counts: unknown[] = []
      const sql = await capturedSql(models.engine, async () => {
        const nodes = await session.query(Node).withCount('children').orderBy({ id: 'asc' }).all()
        const labels = await session.query(Label).withCount('nodes').orderBy({ id: 'asc' }).all()
        const window = await session.query(Node).withCount('children').orderBy({ id: 'asc' }).limit(1).all()
        expect(window.map((node: { _count: object }) => node._count)).toEqual([{ children: 2 }])
        counts = [...nodes, ...labels].map((row: { name: string; _count: object }) => [row.name, row._count])
      })
      expect(counts).toEqual([
        ['root', { children: 2 }],
        ['kid', { children: 0 }],
        ['other', { children: 0 }],
        ['red', { nodes: 2 }],
        ['blue', { nodes: 0 }],
      ])
      expect(sql).toEqual(
        statementsOn(
          dialect,
          'SELECT "id", "name", "parentId", (SELECT count(*) FROM "t1" AS "t1_" WHERE "t1"."id" = "t1_"."parentId") AS "_count_children" FROM "t1" ORDER BY "id" ASC',
          'SELECT "id", "name", (SELECT count(*) FROM "_LabelToNode" AS "s1_" INNER JOIN "t1" AS "t1" ON "t1"."id" = "s1_"."B" WHERE "s1_"."A" = "s1"."id") AS "_count_nodes" FROM "s1" ORDER BY "id" ASC',
          'SELECT "id", "name", "parentId", (SELECT count(*) FROM "t1" AS "t1" WHERE "page"."id" = "t1"."parentId") AS "_count_children" ' +
            'FROM (SELECT "id", "name", "parentId" FROM "t1" ORDER BY "id" ASC LIMIT ?) AS "page" ORDER BY "id" ASC',
        ),
      )
    })
  })
})
