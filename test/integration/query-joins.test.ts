// Query.join / outerjoin (SQLAlchemy) and orderBy by related columns (Prisma's shape): joins pinned per dialect, owners never repeated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidRequestError, joinedload, MultipleResultsFoundError, Session } from 'prismalchemy'
import { Comment, Post, User } from '../../generated/models.js'
import { QUALIFIED_USER_COLUMNS, seedBlog, usernamesAndSql } from '../helpers/blog-rows.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, sqlOn, type TestDialect } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { EMPLOYEE_MODELS, seedEmployees, seedPostTags } from '../helpers/inline-seeds.js'
import { ALIAS_NAMED_MODELS, POST_TAG_MODELS, sqliteSchema } from '../helpers/schemas.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const ROLE_JOIN = 'INNER JOIN "Role" AS "j1" ON "users"."roleId" = "j1"."id"'
const ROLE_OUTER_JOIN = 'LEFT OUTER JOIN "Role" AS "j1" ON "users"."roleId" = "j1"."id"'

describe.each(DIALECTS)('on %s', (dialect: TestDialect) => {
  let database: TestDatabase
  let session: Session

  beforeAll(async () => {
    database = await createTestDatabase({}, dialect)
    await seedBlog(database)
  })

  afterAll(async () => {
    await database.dispose()
  })

  /** The usernames a query over users returns, and its statements. */
  const usernames = (build: (session: Session) => { all(): Promise<User[]> }) => usernamesAndSql(database, build)

  it('join() is an INNER JOIN that drops owners without a related row; every column of the statement is qualified', async () => {
    expect(await usernames((s) => s.query(User).join('role').orderBy({ id: 'asc' }))).toEqual({
      names: ['ann', 'bob', 'dee'],
      sql: [sqlOn(dialect, `SELECT ${QUALIFIED_USER_COLUMNS} FROM "users" ${ROLE_JOIN} ORDER BY "users"."id" ASC`)],
    })
  })

  it('orderBy a to-one relationship\'s column adds the LEFT OUTER JOIN it needs, keeping owners without one (NULLs sort as each database sorts them)', async () => {
    const result = await usernames((s) => s.query(User).orderBy([{ role: { name: 'desc' } }, { id: 'asc' }]))
    // SQLite and MySQL sort NULL lowest (last when descending), PostgreSQL highest (first when descending); Prisma leaves it to the database too.
    expect(result.names).toEqual(dialect !== 'postgresql' ? ['bob', 'ann', 'dee', 'cy'] : ['cy', 'bob', 'ann', 'dee'])
    expect(result.sql).toEqual([sqlOn(dialect, `SELECT ${QUALIFIED_USER_COLUMNS} FROM "users" ${ROLE_OUTER_JOIN} ORDER BY "j1"."name" DESC, "users"."id" ASC`)])
  })

  it('orderBy through an explicit join sorts through that join, whichever comes first', async () => {
    const expected = [sqlOn(dialect, `SELECT ${QUALIFIED_USER_COLUMNS} FROM "users" ${ROLE_JOIN} WHERE "users"."active" = ? ORDER BY "j1"."name" ASC, "users"."username" ASC`)]
    const joinFirst = await usernames((s) => s.query(User).join('role').where({ active: true }).orderBy({ role: { name: 'asc' }, username: 'asc' }))
    expect(joinFirst).toEqual({ names: ['ann', 'bob'], sql: expected })
    // join() after the implicit outer join of an orderBy makes it INNER: one join, not two.
    const orderFirst = await usernames((s) => s.query(User).orderBy({ role: { name: 'asc' }, username: 'asc' }).where({ active: true }).join('role'))
    expect(orderFirst).toEqual({ names: ['ann', 'bob'], sql: expected })
  })

  it('outerjoin() keeps every owner, and where may filter the joined relationship (an EXISTS on its rows)', async () => {
    const result = await usernames((s) =>
      s
        .query(User)
        .outerjoin('role')
        .where({ OR: [{ role: { name: 'editor' } }, { role: null }] })
        .orderBy({ id: 'asc' }),
    )
    expect(result.names).toEqual(['bob', 'cy'])
    expect(result.sql).toEqual([
      sqlOn(
        dialect,
        `SELECT ${QUALIFIED_USER_COLUMNS} FROM "users" ${ROLE_OUTER_JOIN} WHERE EXISTS (SELECT 1 FROM "Role" AS "t1" WHERE "users"."roleId" = "t1"."id" AND "t1"."name" = ?) OR "users"."roleId" IS NULL ORDER BY "users"."id" ASC`,
      ),
    ])
  })

  it('joins dotted paths level by level, each join from the one before', async () => {
    session = database.session()
    let bodies: string[] = []
    const sql = await capturedSql(database.engine, async () => {
      const comments = await session
        .query(Comment)
        .join('post.author')
        .orderBy([{ post: { author: { username: 'desc' } } }, { id: 'asc' }])
        .all()
      bodies = comments.map((comment) => comment.body)
    })
    expect(bodies).toEqual(['ok', 'wow', 'nice', 'meh'])
    expect(sql).toEqual([
      sqlOn(
        dialect,
        'SELECT "comments"."id", "comments"."body", "comments"."likes", "comments"."post_id", "comments"."created_at" FROM "comments"' +
          ' INNER JOIN "posts" AS "j1" ON "comments"."post_id" = "j1"."id" INNER JOIN "users" AS "j2" ON "j1"."author_id" = "j2"."id"' +
          ' ORDER BY "j2"."username" DESC, "comments"."id" ASC',
      ),
    ])
    await session.close()
  })

  it('a to-many join repeats owners in SQL; all() returns each object once (the identity map\'s), count() counts the joined rows as SQLAlchemy does', async () => {
    session = database.session()
    const query = session.query(User).join('posts').where({ posts: { some: { published: true } } }).orderBy({ id: 'asc' })
    const sql = await capturedSql(database.engine, async () => {
      const users = await query.all()
      expect(users.map((user) => user.username)).toEqual(['ann', 'bob', 'dee'])
      expect(users[0]).toBe(await session.get(User, 1))
    })
    expect(sql).toEqual([
      sqlOn(
        dialect,
        `SELECT ${QUALIFIED_USER_COLUMNS} FROM "users" INNER JOIN "posts" AS "j1" ON "users"."id" = "j1"."author_id"` +
          ' WHERE EXISTS (SELECT 1 FROM "posts" AS "t1" WHERE "users"."id" = "t1"."author_id" AND "t1"."published" = ?) ORDER BY "users"."id" ASC',
      ),
    ])
    // ann has 2 posts, bob 1, dee 2: five joined rows.
    expect(await query.count()).toBe(5)
    expect(await session.query(User).where({ posts: { some: { published: true } } }).count()).toBe(3)
    await session.close()
  })

  it('one() and oneOrNone() over a to-many join read every joined row: owners, not rows, decide', async () => {
    session = database.session()
    let ann: User | null = null
    const sql = await capturedSql(database.engine, async () => {
      // ann's two posts are two rows of one owner; LIMIT 2 would have read them and missed bob and dee.
      await expect(session.query(User).join('posts').orderBy({ id: 'asc' }).oneOrNone()).rejects.toThrow(MultipleResultsFoundError)
      ann = await session.query(User).join('posts').where({ username: 'ann' }).one()
    })
    expect(ann!.username).toBe('ann')
    expect(sql).toEqual(
      [
        `SELECT ${QUALIFIED_USER_COLUMNS} FROM "users" INNER JOIN "posts" AS "j1" ON "users"."id" = "j1"."author_id" ORDER BY "users"."id" ASC`,
        `SELECT ${QUALIFIED_USER_COLUMNS} FROM "users" INNER JOIN "posts" AS "j1" ON "users"."id" = "j1"."author_id" WHERE "users"."username" = ?`,
      ].map((text) => sqlOn(dialect, text)),
    )
    await session.close()
  })

  it('joins and related orders work on a dynamic relationship\'s query', async () => {
    session = database.session()
    const ann = await session.get(User, 1)
    const sql = await capturedSql(database.engine, async () => {
      const posts = await ann!.posts.join('author').orderBy({ author: { username: 'asc' }, views: 'desc' }).all()
      expect(posts.map((post) => post.title)).toEqual(['hello', 'draft'])
    })
    expect(sql).toEqual([
      sqlOn(
        dialect,
        'SELECT "posts"."id", "posts"."title", "posts"."body", "posts"."published", "posts"."views", "posts"."author_id" FROM "posts"' +
          ' INNER JOIN "users" AS "j1" ON "posts"."author_id" = "j1"."id" WHERE "posts"."author_id" = ? ORDER BY "j1"."username" ASC, "posts"."views" DESC',
      ),
    ])
    await session.close()
  })

  it('raises named errors for an unknown relationship, a to-many order, and a related order with joined eager loading', async () => {
    session = database.session()
    expect(() => session.query(User).join('rol' as never)).toThrow(InvalidRequestError)
    expect(() => session.query(User).join('rol' as never)).toThrow('Model User has no relationship "rol" (in join("rol")); its relationships: posts, role.')
    expect(() => session.query(Comment).outerjoin('post.writer' as never)).toThrow(/Model Post has no relationship "writer" \(in outerjoin\("post.writer"\)\)/)
    expect(() => session.query(User).orderBy({ posts: { views: 'asc' } } as never)).toThrow(expect.objectContaining({ code: 'order_by_to_many' }))
    expect(() => session.query(User).orderBy({ role: { name: 'up' } } as never)).toThrow(expect.objectContaining({ code: 'invalid_sort_order' }))
    await expect(session.query(Post).options(joinedload('author')).orderBy({ author: { username: 'asc' } }).all()).rejects.toThrow(
      expect.objectContaining({ name: 'InvalidRequestError', code: 'order_by_joined_load' }),
    )
    await session.close()
  })
})

describe.each(DIALECTS)('joins on inline schemas, on %s', (dialect) => {
  let selfModels: InlineModels
  let tagModels: InlineModels

  beforeAll(async () => {
    selfModels = await inlineModels('query-joins-self', sqliteSchema(EMPLOYEE_MODELS), dialect)
    tagModels = await inlineModels('query-joins-tags', sqliteSchema(POST_TAG_MODELS), dialect)
    await seedEmployees(selfModels, ['ann'])
    await seedPostTags(tagModels)
  }, 60_000)

  afterAll(async () => {
    await selfModels.dispose()
    await tagModels.dispose()
  })

  it('joins a self relation under an alias while the queried table keeps its name', async () => {
    const { Employee } = selfModels.classes
    await selfModels.inSession(async (session) => {
      let names: string[] = []
      const sql = await capturedSql(selfModels.engine, async () => {
        const found = await session.query(Employee).join('manager.manager').orderBy({ manager: { name: 'asc' }, name: 'desc' }).all()
        names = found.map((employee: { name: string }) => employee.name)
      })
      expect(names).toEqual(['ann'])
      expect(sql).toEqual([
        sqlOn(
          dialect,
          'SELECT "Employee"."id", "Employee"."name", "Employee"."managerId" FROM "Employee" INNER JOIN "Employee" AS "j1" ON "Employee"."managerId" = "j1"."id"' +
            ' INNER JOIN "Employee" AS "j2" ON "j1"."managerId" = "j2"."id" ORDER BY "j1"."name" ASC, "Employee"."name" DESC',
        ),
      ])
      const byManager = await session.query(Employee).outerjoin('manager').orderBy([{ manager: { name: 'asc' } }, { name: 'asc' }]).all()
      // NULL (ceo has no manager) sorts first ascending on SQLite and MySQL, last on PostgreSQL.
      expect(byManager.map((employee: { name: string }) => employee.name)).toEqual(dialect !== 'postgresql' ? ['ceo', 'ann', 'boss', 'cy'] : ['ann', 'boss', 'cy', 'ceo'])
    })
  })

  it('joins an implicit many-to-many through its join table, returning each owner once', async () => {
    const { Post } = tagModels.classes
    await tagModels.inSession(async (session) => {
      let titles: string[] = []
      const sql = await capturedSql(tagModels.engine, async () => {
        titles = (await session.query(Post).join('tags').orderBy({ title: 'asc' }).all()).map((post: { title: string }) => post.title)
      })
      expect(titles).toEqual(['p1', 'p2'])
      expect(sql).toEqual([
        sqlOn(
          dialect,
          'SELECT "Post"."id", "Post"."title" FROM "Post" INNER JOIN "_PostToTag" AS "js1" ON "js1"."A" = "Post"."id" INNER JOIN "Tag" AS "j1" ON "j1"."id" = "js1"."B" ORDER BY "Post"."title" ASC',
        ),
      ])
      expect(await session.query(Post).join('tags').count()).toBe(3)
      expect(await session.query(Post).outerjoin('tags').count()).toBe(4)
    })
  })
})

describe.each(DIALECTS)('joins from a table named like a join alias, on %s', (dialect) => {
  let models: InlineModels

  beforeAll(async () => {
    models = await inlineModels('query-joins-alias-names', sqliteSchema(ALIAS_NAMED_MODELS), dialect)
    const { Node, Jar } = models.classes
    await models.inSession(async (seed) => {
      const [root, kid] = [new Node({ name: 'root' }), new Node({ name: 'kid' })]
      seed.addAll([root, kid])
      await seed.flush()
      seed.addAll([new Jar({ nodeId: kid.id }), new Jar({ nodeId: root.id })])
      await seed.commit()
    })
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  it('never aliases a join as the queried table ("j1")', async () => {
    const { Jar } = models.classes
    await models.inSession(async (session) => {
      let ids: number[] = []
      const sql = await capturedSql(models.engine, async () => {
        ids = (await session.query(Jar).join('node').orderBy({ node: { name: 'asc' } }).all()).map((jar: { id: number }) => jar.id)
      })
      expect(ids).toEqual([1, 2])
      expect(sql).toEqual([
        sqlOn(dialect, 'SELECT "j1"."id", "j1"."nodeId" FROM "j1" INNER JOIN "t1" AS "j1_" ON "j1"."nodeId" = "j1_"."id" ORDER BY "j1_"."name" ASC'),
      ])
    })
  })
})
