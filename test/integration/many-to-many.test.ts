// Implicit many-to-many (Prisma's _AToB join table) in every strategy, links written at flush, and pushes into loaded collections.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { joinedload, selectinload, Session } from 'prismalchemy'
import { beginOf, DIALECTS, statementsOn } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { AUTHOR_BOOK_MODELS, sqliteSchema } from '../helpers/schemas.js'
import { capturedSql } from '../helpers/sql-recorder.js'
import { generatedKeyInserts } from '../helpers/generated-key-inserts.js'

const SCHEMA = sqliteSchema(
  `model Post {
  id    Int    @id @default(autoincrement())
  title String
  /// @lazy(select)
  tags  Tag[]
}

model Tag {
  id    Int    @id @default(autoincrement())
  name  String @unique
  /// @lazy(dynamic)
  posts Post[]
}
`,
  AUTHOR_BOOK_MODELS,
)

describe.each(DIALECTS)('on %s', (dialect) => {
  let models: InlineModels
  let Post: InlineModels['classes'][string]
  let Tag: InlineModels['classes'][string]
  // Both databases read in autocommit and begin just before the first write (SQLite with BEGIN IMMEDIATE).
  const beginAfterReads = [beginOf(dialect)]

  beforeAll(async () => {
    models = await inlineModels('many-to-many', SCHEMA, dialect)
    ;({ Post, Tag } = models.classes)
    const seed = new Session({ bind: models.engine })
    const [red, green, blue] = ['red', 'green', 'blue'].map((name) => new Tag({ name }))
    seed.addAll([red, green, blue])
    for (let i = 0; i < 3; i++) seed.add(new Post({ title: `post${i}` }))
    await seed.flush()
    const posts = await seed.query(Post).orderBy({ title: 'asc' }).all()
    red.posts.append(posts[0])
    red.posts.append(posts[1])
    green.posts.append(posts[1])
    await seed.commit()
    await seed.close()
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  function links(): Promise<unknown[]> {
    return models.readRows('SELECT "A", "B" FROM "_PostToTag" ORDER BY "A", "B"')
  }

  /** The SQL `work` runs, exactly as this dialect received it (compare with {@link statementsOn}). */
  const sqlOf = (work: () => Promise<unknown>): Promise<string[]> => capturedSql(models.engine, work)

  describe('implicit many-to-many', () => {
    it('writes appended links into Prisma\'s join table (A is the model that sorts first)', async () => {
      expect(await links()).toEqual([
        { A: 1, B: 1 },
        { A: 2, B: 1 },
        { A: 2, B: 2 },
      ])
    })

    it('select: loads through the join table with one statement', async () => {
      await models.inSession(async (session) => {
        const post = await session.query(Post).filterBy({ title: 'post1' }).one()
        const sql = await sqlOf(async () => expect((await post.tags).map((tag: { name: string }) => tag.name).sort()).toEqual(['green', 'red']))
        expect(sql).toEqual(
          statementsOn(dialect, 'SELECT "t"."id", "t"."name", "s"."A" FROM "Tag" AS "t" LEFT OUTER JOIN "_PostToTag" AS "s" ON "s"."B" = "t"."id" WHERE "s"."A" = ?'),
        )
      })
    })

    it('batched and selectin: one statement for all posts', async () => {
      await models.inSession(async (session) => {
        const sql = await sqlOf(async () => {
          const posts = await session.query(Post).orderBy({ title: 'asc' }).options(selectinload('tags')).all()
          expect(await Promise.all(posts.map(async (post) => (await post.tags).length))).toEqual([1, 2, 0])
        })
        expect(sql).toEqual(
          statementsOn(
            dialect,
            'SELECT "id", "title" FROM "Post" ORDER BY "title" ASC',
            'SELECT "t"."id", "t"."name", "s"."A" FROM "Tag" AS "t" LEFT OUTER JOIN "_PostToTag" AS "s" ON "s"."B" = "t"."id" WHERE "s"."A" IN (?, ?, ?)',
          ),
        )
      })
    })

    it('joined: posts with their tags in one statement', async () => {
      await models.inSession(async (session) => {
        const sql = await sqlOf(async () => {
          const posts = await session.query(Post).orderBy({ title: 'asc' }).options(joinedload('tags')).all()
          expect(posts.map((post) => post.title)).toEqual(['post0', 'post1', 'post2'])
          expect((await posts[1].tags).length).toBe(2)
        })
        expect(sql).toEqual(
          statementsOn(
            dialect,
            'SELECT "t0"."id", "t0"."title", "t1"."id", "t1"."name" FROM (SELECT "id", "title" FROM "Post" ORDER BY "title" ASC) AS "t0" ' +
              'LEFT OUTER JOIN "_PostToTag" AS "s1" ON "s1"."A" = "t0"."id" LEFT OUTER JOIN "Tag" AS "t1" ON "t1"."id" = "s1"."B" ORDER BY "t0"."title" ASC',
          ),
        )
      })
    })

    it('dynamic: a query through the join table, with count and filters', async () => {
      await models.inSession(async (session) => {
        const red = await session.query(Tag).filterBy({ name: 'red' }).one()
        const sql = await sqlOf(async () => expect(await red.posts.filterBy({ title: 'post1' }).count()).toBe(1))
        expect(sql).toEqual(statementsOn(dialect, 'SELECT count(*) FROM "Post" WHERE "id" IN (SELECT "s"."A" FROM "_PostToTag" AS "s" WHERE "s"."B" = ?) AND "title" = ?'))
      })
    })

    it('remove() on the dynamic side deletes the link at flush, and nothing else', async () => {
      await models.inSession(async (session) => {
        const green = await session.query(Tag).filterBy({ name: 'green' }).one()
        const post = await session.query(Post).filterBy({ title: 'post1' }).one()
        green.posts.remove(post)
        const sql = await sqlOf(() => session.flush())
        expect(sql).toEqual(statementsOn(dialect, ...beginAfterReads, 'DELETE FROM "_PostToTag" WHERE "B" = ? AND "A" = ?'))
        expect(await green.posts.count()).toBe(0)
      })
    })

    it('pushing into a loaded collection adds the link (and inserts a new tag first)', async () => {
      await models.inSession(async (session) => {
        const post = await session.query(Post).filterBy({ title: 'post2' }).one()
        const tags = await post.tags
        tags.push(new Tag({ name: 'new' }))
        const sql = await sqlOf(() => session.flush())
        expect(sql).toEqual(statementsOn(dialect, ...beginAfterReads, ...generatedKeyInserts(dialect, 'INSERT INTO "Tag" ("name")', '(?)', 1), 'INSERT INTO "_PostToTag" ("A", "B") VALUES (?, ?)'))
        await session.rollback()
      })
    })
  })

  describe('loaded one-to-many collections', () => {
    it('push sets the child\'s foreign key at flush, and splice clears it', async () => {
      const { Author, Book } = models.classes
      await models.inSession(async (session) => {
        const author = new Author({ name: 'ann' })
        const orphan = new Book()
        session.addAll([author, orphan])
        await session.flush()
        const books = await author.books
        expect(books).toEqual([])
        books.push(orphan)
        const sql = await sqlOf(() => session.flush())
        expect(sql).toEqual(statementsOn(dialect, 'UPDATE "Book" SET "authorId" = ? WHERE "id" = ?'))
        expect(orphan.authorId).toBe(author.id)
        books.splice(0, 1)
        await session.flush()
        expect(orphan.authorId).toBeNull()
      })
    })
  })
})
