// Relation filters in where objects (Prisma's is/isNot/some/every/none): correlated EXISTS subqueries, pinned per dialect, checked against an in-memory oracle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidRequestError, Session, UnmappedError, type ModelWhereInput } from 'prismalchemy'
import { Comment, Post, Role, User } from '../../generated/models.js'
import { COMMENTS, POSTS, ROLES, seedBlog, usernamesAndSql, USERS } from '../helpers/blog-rows.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, sqlOn, type TestDialect } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { EMPLOYEE_MODELS, seedAliasNamedTree, seedEmployees, seedPostTags } from '../helpers/inline-seeds.js'
import { ALIAS_NAMED_MODELS, POST_TAG_MODELS, sqliteSchema } from '../helpers/schemas.js'
import { capturedSql } from '../helpers/sql-recorder.js'

type Row = Record<string, unknown>
/** The example schema's relationships, as the oracle follows them. */
const RELATIONS: Record<string, Record<string, { target: string; many: boolean; related: (owner: Row) => Row[] }>> = {
  Role: { users: { target: 'User', many: true, related: (role) => USERS.filter((user) => user.roleId === role.id) } },
  User: {
    role: { target: 'Role', many: false, related: (user) => ROLES.filter((role) => role.id === user.roleId) },
    posts: { target: 'Post', many: true, related: (user) => POSTS.filter((post) => post.authorId === user.id) },
  },
  Post: {
    author: { target: 'User', many: false, related: (post) => USERS.filter((user) => user.id === post.authorId) },
    comments: { target: 'Comment', many: true, related: (post) => COMMENTS.filter((comment) => comment.postId === post.id) },
  },
  Comment: { post: { target: 'Post', many: false, related: (comment) => POSTS.filter((post) => post.id === comment.postId) } },
}
const ROWS: Record<string, Row[]> = { Role: ROLES, User: USERS, Post: POSTS, Comment: COMMENTS }

/** SQL's three-valued logic: true, false, or null (unknown). */
type Truth = boolean | null
const and = (values: Truth[]): Truth => (values.includes(false) ? false : values.includes(null) ? null : true)
const or = (values: Truth[]): Truth => (values.includes(true) ? true : values.includes(null) ? null : false)
const not = (value: Truth): Truth => (value === null ? null : !value)

/** A column filter, evaluated as the database does (a comparison with NULL is unknown). */
function columnTruth(value: unknown, filter: unknown): Truth {
  if (filter === null) return value === null
  if (typeof filter !== 'object') return value === null ? null : value === filter
  return and(
    Object.entries(filter as Row).map(([operator, operand]): Truth => {
      if (operator === 'in' || operator === 'notIn') {
        const list = operand as unknown[]
        if (list.length === 0) return operator === 'notIn'
        return value === null ? null : list.includes(value) === (operator === 'in')
      }
      if (operator === 'not') return operand === null ? value !== null : value === null ? null : value !== operand
      if (value === null) return null
      const [a, b] = [value as number, operand as number]
      return operator === 'gt' ? a > b : operator === 'lt' ? a < b : operator === 'equals' ? a === b : (() => { throw new Error(operator) })()
    }),
  )
}

/** The oracle: whether `row` of `model` matches `where`, by brute force over the seeded rows. */
function matches(model: string, row: Row, where: Row): Truth {
  return and(
    Object.entries(where).map(([key, value]): Truth => {
      if (key === 'AND') return and((value as Row[]).map((item) => matches(model, row, item)))
      if (key === 'OR') return or((value as Row[]).map((item) => matches(model, row, item)))
      if (key === 'NOT') return not(and((value as Row[]).map((item) => matches(model, row, item))))
      const relation = RELATIONS[model][key]
      if (relation === undefined) return columnTruth(row[key], value)
      const related = relation.related(row)
      const some = (filter: Row) => related.some((other) => matches(relation.target, other, filter) === true)
      if (value === null) return related.length === 0
      const keys = Object.keys(value as Row)
      // A to-one given a where object of its model: short for `is` (an empty one filters nothing).
      if (!relation.many && keys.length > 0 && !keys.every((operator) => operator === 'is' || operator === 'isNot')) return some(value as Row)
      return and(
        Object.entries(value as Row).map(([operator, filter]): Truth => {
          if (operator === 'is') return filter === null ? related.length === 0 : some(filter as Row)
          if (operator === 'isNot') return filter === null ? related.length > 0 : !some(filter as Row)
          if (operator === 'some') return some(filter as Row)
          if (operator === 'none') return !some(filter as Row)
          // every: no related row for which the filter is false (unknown passes, as NOT EXISTS (... NOT (filter)) reads it).
          return !related.some((other) => matches(relation.target, other, filter as Row) === false)
        }),
      )
    }),
  )
}

/** A small deterministic pseudo-random generator (mulberry32), so a failing filter can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Column filters the generator draws from, per model. */
const COLUMN_FILTERS: Record<string, Row[]> = {
  Role: [{ name: 'admin' }, { name: { in: ['editor', 'viewer'] } }, { id: { gt: 1 } }],
  User: [{ active: true }, { email: null }, { email: { not: null } }, { roleId: { not: 1 } }, { username: { in: ['ann', 'cy'] } }, { id: { lt: 3 } }],
  Post: [{ published: true }, { views: { gt: 2 } }, { title: { not: 'draft' } }, { id: { in: [] } }],
  Comment: [{ likes: { gt: 0 } }, { likes: 0 }, { body: { in: ['wow', 'ok'] } }],
}

/** A random where object over `model`, with relation filters nested up to `depth` levels. */
function randomWhere(model: string, next: () => number, depth: number): Row {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]
  const draw = (): Row => {
    const relations = Object.entries(RELATIONS[model])
    if (depth === 0 || next() < 0.4) return pick(COLUMN_FILTERS[model])
    const [name, relation] = pick(relations)
    const inner = next() < 0.15 ? {} : randomWhere(relation.target, next, depth - 1)
    if (relation.many) return { [name]: { [pick(['some', 'every', 'none'])]: inner } }
    const nullable = model === 'User'
    const shape = pick(nullable ? ['is', 'isNot', 'short', 'null', 'isNull', 'isNotNull'] : ['is', 'isNot', 'short'])
    if (shape === 'short') return { [name]: inner }
    if (shape === 'null') return { [name]: null }
    if (shape === 'isNull') return { [name]: { is: null } }
    if (shape === 'isNotNull') return { [name]: { isNot: null } }
    return { [name]: { [shape]: inner } }
  }
  const roll = next()
  if (roll < 0.15) return { OR: [draw(), draw()] }
  if (roll < 0.25) return { NOT: [draw()] }
  if (roll < 0.35) return { AND: [draw(), draw()] }
  return draw()
}

/** What each query below sends, per dialect where they differ. */
const EXPECTED_SQL = {
  userColumns:
    'SELECT "id", "username", "email", "roleId", "plan", "active", "quota", "score", "balance", "settings", "avatar", "created_at", "updated_at" FROM "users"',
}

const userSelect = (where: string): string => `${EXPECTED_SQL.userColumns} WHERE ${where} ORDER BY "id" ASC`

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

  /** The usernames `where` selects (ordered by id), and the one statement it ran. */
  const users = (where: ModelWhereInput<User>) => usernamesAndSql(database, (session) => session.query(User).where(where).orderBy({ id: 'asc' }))

  const pinned = (where: string) => [sqlOn(dialect, userSelect(where))]

  it('filters by a to-one relationship with is, isNot and the shorthand, as correlated EXISTS subqueries', async () => {
    const admin = 'EXISTS (SELECT 1 FROM "Role" AS "t1" WHERE "users"."roleId" = "t1"."id" AND "t1"."name" = ?)'
    expect(await users({ role: { is: { name: 'admin' } } })).toEqual({ names: ['ann', 'dee'], sql: pinned(admin) })
    expect(await users({ role: { name: 'admin' } })).toEqual({ names: ['ann', 'dee'], sql: pinned(admin) })
    // isNot: no related row matches, so a user without a role is kept (Prisma's NoRelatedRecord).
    expect(await users({ role: { isNot: { name: 'admin' } } })).toEqual({ names: ['bob', 'cy'], sql: pinned(`NOT ${admin}`) })
  })

  it('reads null, is: null and isNot: null as the foreign key being NULL or not', async () => {
    expect(await users({ role: null })).toEqual({ names: ['cy'], sql: pinned('"roleId" IS NULL') })
    expect(await users({ role: { is: null } })).toEqual({ names: ['cy'], sql: pinned('"roleId" IS NULL') })
    expect(await users({ role: { isNot: null } })).toEqual({ names: ['ann', 'bob', 'dee'], sql: pinned('NOT ("roleId" IS NULL)') })
  })

  it('filters by a to-many relationship with some, every and none, Prisma semantics for empty filters', async () => {
    const published = 'EXISTS (SELECT 1 FROM "posts" AS "t1" WHERE "users"."id" = "t1"."author_id" AND "t1"."published" = ?)'
    expect(await users({ posts: { some: { published: true } } })).toEqual({ names: ['ann', 'bob', 'dee'], sql: pinned(published) })
    expect(await users({ posts: { none: { published: true } } })).toEqual({ names: ['cy'], sql: pinned(`NOT ${published}`) })
    // every: true for cy, who has no post at all.
    expect(await users({ posts: { every: { published: true } } })).toEqual({
      names: ['bob', 'cy'],
      sql: pinned('NOT EXISTS (SELECT 1 FROM "posts" AS "t1" WHERE "users"."id" = "t1"."author_id" AND NOT ("t1"."published" = ?))'),
    })
    const any = 'EXISTS (SELECT 1 FROM "posts" AS "t1" WHERE "users"."id" = "t1"."author_id")'
    expect(await users({ posts: { some: {} } })).toEqual({ names: ['ann', 'bob', 'dee'], sql: pinned(any) })
    expect(await users({ posts: { none: {} } })).toEqual({ names: ['cy'], sql: pinned(`NOT ${any}`) })
    // every: {} holds for every user: no condition is sent at all.
    expect((await users({ posts: { every: {} } })).names).toEqual(['ann', 'bob', 'cy', 'dee'])
  })

  it('nests relation filters to any depth inside AND, OR and NOT, each level under its own alias', async () => {
    const result = await users({
      OR: [{ posts: { some: { comments: { some: { likes: { gt: 4 } } } } } }, { NOT: { role: { is: { users: { some: { username: 'ann' } } } } } }],
    })
    expect(result.names).toEqual(['bob', 'cy'])
    expect(result.sql).toEqual(
      pinned(
        'EXISTS (SELECT 1 FROM "posts" AS "t1" WHERE "users"."id" = "t1"."author_id" AND EXISTS (SELECT 1 FROM "comments" AS "t2" WHERE "t1"."id" = "t2"."post_id" AND "t2"."likes" > ?))' +
          ' OR NOT (EXISTS (SELECT 1 FROM "Role" AS "t1" WHERE "users"."roleId" = "t1"."id" AND EXISTS (SELECT 1 FROM "users" AS "t2" WHERE "t1"."id" = "t2"."roleId" AND "t2"."username" = ?)))',
      ),
    )
  })

  it('filters a dynamic relationship\'s query by relation filters too', async () => {
    session = database.session()
    const admin = (await session.query(Role).where({ name: 'admin' }).one())!
    const sql = await capturedSql(database.engine, async () => {
      const names = (await admin.users.where({ posts: { some: { views: { gt: 5 } } } }).all()).map((user) => user.username)
      expect(names).toEqual(['ann'])
    })
    expect(sql).toEqual([
      sqlOn(
        dialect,
        `${EXPECTED_SQL.userColumns} WHERE "roleId" = ? AND EXISTS (SELECT 1 FROM "posts" AS "t1" WHERE "users"."id" = "t1"."author_id" AND "t1"."views" > ?)`,
      ),
    ])
    await session.close()
  })

  it('counts and probes with relation filters, never repeating a row', async () => {
    session = database.session()
    expect(await session.query(User).where({ posts: { some: {} } }).count()).toBe(3)
    expect(await session.query(Post).where({ comments: { some: { likes: { gt: 0 } } } }).count()).toBe(3)
    expect(await session.query(Role).where({ users: { none: {} } }).exists()).toBe(true)
    expect((await session.query(Comment).where({ post: { author: { role: { name: 'editor' } } } }).all()).map((comment) => comment.body)).toEqual(['wow'])
    await session.close()
  })

  it('raises a named error for an unknown field or a malformed relation filter, listing columns and relationships', async () => {
    session = database.session()
    expect(() => session.query(User).where({ rol: { name: 'admin' } } as never)).toThrow(UnmappedError)
    expect(() => session.query(User).where({ rol: { name: 'admin' } } as never)).toThrow(
      'Model User has no column "rol" and no relationship of that name. Its columns: id, username, email, roleId, plan, active, quota, score, balance, settings, avatar, createdAt, updatedAt; its relationships: posts, role.',
    )
    expect(() => session.query(User).where({ role: { is: { nme: 'x' } } } as never)).toThrow(/Model Role has no column "nme"/)
    expect(() => session.query(User).where({ posts: { name: 'x' } } as never)).toThrow(InvalidRequestError)
    expect(() => session.query(User).where({ posts: null } as never)).toThrow(
      'User.posts is a to-many relationship: filter it with { some, every, none }, each a where object of Post.',
    )
    expect(() => session.query(User).where({ role: 'admin' } as never)).toThrow(expect.objectContaining({ code: 'invalid_relation_filter' }))
    expect(() => session.query(User).where({ posts: { some: null } } as never)).toThrow(expect.objectContaining({ code: 'invalid_relation_filter' }))
    await session.close()
  })

  it('agrees with a brute-force evaluation over the seeded rows for random nested filters', async () => {
    const next = random(13)
    session = database.session()
    let discriminating = 0
    for (let i = 0; i < 60; i++) {
      const model = ['User', 'Post', 'Role', 'Comment'][i % 4]
      const where = randomWhere(model, next, 3)
      const expected = ROWS[model].filter((row) => matches(model, row, where) === true).map((row) => row.id)
      const modelClass = { User, Post, Role, Comment }[model] as typeof User
      const found = (await session.query(modelClass).where(where as never).orderBy({ id: 'asc' }).all()).map((obj) => obj.id)
      expect({ model, where, ids: found }).toEqual({ model, where, ids: expected })
      if (expected.length > 0 && expected.length < ROWS[model].length) discriminating++
    }
    // The filters tell rows apart: most select some rows and leave others.
    expect(discriminating).toBeGreaterThan(30)
    await session.close()
  })
})

describe.each(DIALECTS)('relation filters on inline schemas, on %s', (dialect) => {
  let selfModels: InlineModels
  let tagModels: InlineModels

  beforeAll(async () => {
    selfModels = await inlineModels('relation-filters-self', sqliteSchema(EMPLOYEE_MODELS), dialect)
    tagModels = await inlineModels('relation-filters-tags', sqliteSchema(POST_TAG_MODELS), dialect)
    await seedEmployees(selfModels, ['ann', 'bob'])
    await seedPostTags(tagModels)
  }, 60_000)

  afterAll(async () => {
    await selfModels.dispose()
    await tagModels.dispose()
  })

  const employees = 'SELECT "id", "name", "managerId" FROM "Employee"'

  it('correlates a self relation with the outer table by name and the inner one by alias, at every depth', async () => {
    const { Employee } = selfModels.classes
    await selfModels.inSession(async (session) => {
      const names = async (where: object) => (await session.query(Employee).where(where).orderBy({ name: 'asc' }).all()).map((e: { name: string }) => e.name)
      const sql = await capturedSql(selfModels.engine, async () => {
        expect(await names({ manager: { is: { name: 'boss' } } })).toEqual(['ann', 'bob'])
        expect(await names({ manager: { manager: { name: 'ceo' } } })).toEqual(['ann', 'bob'])
        expect(await names({ reports: { none: {} } })).toEqual(['ann', 'bob', 'cy'])
        expect(await names({ reports: { some: { reports: { some: {} } } } })).toEqual(['ceo'])
        expect(await names({ manager: null })).toEqual(['ceo'])
      })
      expect(sql).toEqual(
        [
          `${employees} WHERE EXISTS (SELECT 1 FROM "Employee" AS "t1" WHERE "Employee"."managerId" = "t1"."id" AND "t1"."name" = ?) ORDER BY "name" ASC`,
          `${employees} WHERE EXISTS (SELECT 1 FROM "Employee" AS "t1" WHERE "Employee"."managerId" = "t1"."id" AND EXISTS (SELECT 1 FROM "Employee" AS "t2" WHERE "t1"."managerId" = "t2"."id" AND "t2"."name" = ?)) ORDER BY "name" ASC`,
          `${employees} WHERE NOT EXISTS (SELECT 1 FROM "Employee" AS "t1" WHERE "Employee"."id" = "t1"."managerId") ORDER BY "name" ASC`,
          `${employees} WHERE EXISTS (SELECT 1 FROM "Employee" AS "t1" WHERE "Employee"."id" = "t1"."managerId" AND EXISTS (SELECT 1 FROM "Employee" AS "t2" WHERE "t1"."id" = "t2"."managerId")) ORDER BY "name" ASC`,
          `${employees} WHERE "managerId" IS NULL ORDER BY "name" ASC`,
        ].map((text) => sqlOn(dialect, text)),
      )
    })
  })

  it('filters across an implicit many-to-many through its join table, from both sides and inside a dynamic relationship', async () => {
    const { Post, Tag } = tagModels.classes
    await tagModels.inSession(async (session) => {
      const titles = async (where: object) => (await session.query(Post).where(where).orderBy({ id: 'asc' }).all()).map((post: { title: string }) => post.title)
      const sql = await capturedSql(tagModels.engine, async () => {
        expect(await titles({ tags: { some: { name: 'green' } } })).toEqual(['p2'])
        expect(await titles({ tags: { every: { name: 'red' } } })).toEqual(['p1', 'p3'])
        expect(await titles({ tags: { none: {} } })).toEqual(['p3'])
      })
      const linked = (where: string) =>
        `EXISTS (SELECT 1 FROM "_PostToTag" AS "s1" INNER JOIN "Tag" AS "t1" ON "t1"."id" = "s1"."B" WHERE "s1"."A" = "Post"."id"${where})`
      expect(sql).toEqual(
        [
          `SELECT "id", "title" FROM "Post" WHERE ${linked(' AND "t1"."name" = ?')} ORDER BY "id" ASC`,
          `SELECT "id", "title" FROM "Post" WHERE NOT ${linked(' AND NOT ("t1"."name" = ?)')} ORDER BY "id" ASC`,
          `SELECT "id", "title" FROM "Post" WHERE NOT ${linked('')} ORDER BY "id" ASC`,
        ].map((text) => sqlOn(dialect, text)),
      )
      const red = await session.query(Tag).where({ name: 'red' }).one()
      expect((await red.posts.where({ tags: { some: { name: 'green' } } }).all()).map((post: { title: string }) => post.title)).toEqual(['p2'])
      expect((await session.query(Tag).where({ posts: { some: { title: 'p1' } } }).all()).map((tag: { name: string }) => tag.name)).toEqual(['red'])
    })
  })
})

describe.each(DIALECTS)('relation filters over tables named like their aliases, on %s', (dialect) => {
  let models: InlineModels

  beforeAll(async () => {
    models = await inlineModels('relation-filters-alias-names', sqliteSchema(ALIAS_NAMED_MODELS), dialect)
    await seedAliasNamedTree(models, { name: 'leaf', parent: 'kid' })
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  it('never aliases a subquery\'s rows as the table it correlates with ("t1", "s1"), at any depth', async () => {
    const { Node, Label } = models.classes
    await models.inSession(async (session) => {
      const names = async (model: typeof Node, where: object) => (await session.query(model).where(where).orderBy({ id: 'asc' }).all()).map((row: { name: string }) => row.name)
      const sql = await capturedSql(models.engine, async () => {
        expect(await names(Node, { parent: { name: 'root' } })).toEqual(['kid'])
        expect(await names(Node, { parent: { parent: { name: 'root' } } })).toEqual(['leaf'])
        expect(await names(Label, { nodes: { some: { name: 'kid' } } })).toEqual(['red'])
      })
      expect(sql).toEqual(
        [
          'SELECT "id", "name", "parentId" FROM "t1" WHERE EXISTS (SELECT 1 FROM "t1" AS "t1_" WHERE "t1"."parentId" = "t1_"."id" AND "t1_"."name" = ?) ORDER BY "id" ASC',
          'SELECT "id", "name", "parentId" FROM "t1" WHERE EXISTS (SELECT 1 FROM "t1" AS "t1_" WHERE "t1"."parentId" = "t1_"."id" AND EXISTS (SELECT 1 FROM "t1" AS "t2" WHERE "t1_"."parentId" = "t2"."id" AND "t2"."name" = ?)) ORDER BY "id" ASC',
          'SELECT "id", "name" FROM "s1" WHERE EXISTS (SELECT 1 FROM "_LabelToNode" AS "s1_" INNER JOIN "t1" AS "t1" ON "t1"."id" = "s1_"."B" WHERE "s1_"."A" = "s1"."id" AND "t1"."name" = ?) ORDER BY "id" ASC',
        ].map((text) => sqlOn(dialect, text)),
      )
    })
  })

  it('correlates a bulk UPDATE and DELETE with the unaliased target table through a self relation', async () => {
    const { Node } = models.classes
    await models.inSession(async (session) => {
      const sql = await capturedSql(models.engine, async () => {
        expect(await session.query(Node).where({ parent: { name: 'root' } }).update({ name: 'child' }, { synchronize: false })).toBe(1)
        expect(await session.query(Node).where({ parent: { name: 'child' } }).delete({ synchronize: false })).toBe(1)
      })
      expect(sql.filter((text) => text.startsWith('UPDATE') || text.startsWith('DELETE'))).toEqual(
        [
          'UPDATE "t1" SET "name" = ? WHERE EXISTS (SELECT 1 FROM "t1" AS "t1_" WHERE "t1"."parentId" = "t1_"."id" AND "t1_"."name" = ?)',
          'DELETE FROM "t1" WHERE EXISTS (SELECT 1 FROM "t1" AS "t1_" WHERE "t1"."parentId" = "t1_"."id" AND "t1_"."name" = ?)',
        ].map((text) => sqlOn(dialect, text)),
      )
      expect((await session.query(Node).orderBy({ id: 'asc' }).all()).map((node: { name: string }) => node.name)).toEqual(['root', 'child'])
      await session.rollback()
    })
  })
})
