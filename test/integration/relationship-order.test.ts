// `/// @orderBy(...)` on to-many relations: every strategy loads the collection in the declared order, with the ORDER BY in its SQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { joinedload, selectinload, Session, type Engine } from 'prismalchemy'
import { DIALECTS, normalizeSql } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

/// A shelf holds one collection per strategy, each with a declared order.
model Shelf {
  id    Int    @id @default(autoincrement())
  name  String @unique
  /// Two keys: by rank, highest first, then by title (a bare field sorts ascending).
  /// @lazy(select)
  /// @orderBy(rank: desc, title)
  books Book[]
  /// @lazy(selectin)
  /// @orderBy(label: desc)
  pins  Pin[]
  /// @lazy(joined)
  /// @orderBy(position: desc)
  cards Card[]
  /// @lazy(dynamic)
  /// @orderBy(createdAt: desc)
  logs  Log[]
  /// @orderBy(name: asc)
  tags  Tag[]
}

model Book {
  id      Int    @id @default(autoincrement())
  title   String
  rank    Int
  shelfId Int
  shelf   Shelf  @relation(fields: [shelfId], references: [id])

  @@index([shelfId])
}

model Pin {
  id      Int    @id @default(autoincrement())
  label   String
  shelfId Int
  shelf   Shelf  @relation(fields: [shelfId], references: [id])

  @@index([shelfId])
}

model Card {
  id       Int    @id @default(autoincrement())
  position Int
  shelfId  Int
  shelf    Shelf  @relation(fields: [shelfId], references: [id])

  @@index([shelfId])
}

model Log {
  id        Int      @id @default(autoincrement())
  message   String
  createdAt DateTime
  shelfId   Int
  shelf     Shelf    @relation(fields: [shelfId], references: [id])

  @@index([shelfId])
}

model Tag {
  id     Int     @id @default(autoincrement())
  name   String  @unique
  shelves Shelf[]
}
`

type Names = 'Shelf' | 'Book' | 'Pin' | 'Card' | 'Log' | 'Tag'

describe.each(DIALECTS)('on %s', (dialect) => {
  let models: InlineModels
  let classes: Record<Names, InlineModels['classes'][string]>
  let engine: Engine

  beforeAll(async () => {
    models = await inlineModels('relationship-order', SCHEMA, dialect)
    classes = models.classes as typeof classes
    engine = models.engine
    const seed = new Session({ bind: engine })
    // Shelves are inserted "b" first, so key order (b, a) differs from name order (a, b).
    const tags = ['kiwi', 'apple', 'mango', 'fig'].map((name) => new classes.Tag({ name }))
    for (const name of ['b', 'a']) {
      const shelf = new classes.Shelf({ name })
      seed.add(shelf)
      // Every collection is inserted out of its declared order.
      for (const [title, rank] of [['middle', 2], ['zeta', 3], ['low', 1], ['alpha', 3]] as const) seed.add(new classes.Book({ shelf, title: `${name}-${title}`, rank }))
      for (const label of ['m', 'z', 'a']) seed.add(new classes.Pin({ shelf, label: `${name}${label}` }))
      for (const position of [2, 5, 1]) seed.add(new classes.Card({ shelf, position }))
      for (const [message, day] of [['second', 2], ['third', 3], ['first', 1]] as const) {
        seed.add(new classes.Log({ shelf, message, createdAt: new Date(Date.UTC(2024, 0, day)) }))
      }
      ;(await shelf.tags).push(...(name === 'b' ? tags : tags.slice(0, 2)))
    }
    await seed.commit()
    await seed.close()
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  /** The statements `work` runs, with `?` placeholders on every dialect. */
  const queriesOf = async (work: () => Promise<unknown>): Promise<string[]> => (await capturedSql(engine, work)).map(normalizeSql)
  const titles = async (shelf: any): Promise<string[]> => (await shelf.books).map((book: { title: string }) => book.title)
  const tagNames = async (shelf: any): Promise<string[]> => (await shelf.tags).map((tag: { name: string }) => tag.name)
  const byName = (shelves: any[], name: string) => shelves.find((shelf) => shelf.name === name)

  describe('select', () => {
    it('a lazy load returns the list in the declared order, with ORDER BY on both keys', async () => {
      await models.inSession(async (session) => {
        const shelf = await session.query(classes.Shelf).filterBy({ name: 'a' }).one()
        const sql = await queriesOf(async () => expect(await titles(shelf)).toEqual(['a-alpha', 'a-zeta', 'a-middle', 'a-low']))
        expect(sql).toEqual(['SELECT "id", "title", "rank", "shelfId" FROM "Book" WHERE "shelfId" = ? ORDER BY "rank" DESC, "title" ASC'])
      })
    })

    it('a batched SELECT ... IN keeps the declared order within each owner\'s list', async () => {
      await models.inSession(async (session) => {
        const shelves = await session.query(classes.Shelf).all()
        const sql = await queriesOf(() => Promise.all(shelves.map((shelf: any) => shelf.books)))
        expect(sql).toEqual(['SELECT "id", "title", "rank", "shelfId" FROM "Book" WHERE "shelfId" IN (?, ?) ORDER BY "rank" DESC, "title" ASC'])
        expect(await titles(byName(shelves, 'b'))).toEqual(['b-alpha', 'b-zeta', 'b-middle', 'b-low'])
        expect(await titles(byName(shelves, 'a'))).toEqual(['a-alpha', 'a-zeta', 'a-middle', 'a-low'])
      })
    })
  })

  describe('selectin', () => {
    it('the query\'s extra SELECT ... IN is ordered, and each owner\'s list follows it', async () => {
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          const shelves = await session.query(classes.Shelf).orderBy({ name: 'asc' }).all()
          expect(shelves.map((shelf: { name: string }) => shelf.name)).toEqual(['a', 'b'])
          expect((await shelves[0].pins).map((pin: { label: string }) => pin.label)).toEqual(['az', 'am', 'aa'])
          expect((await shelves[1].pins).map((pin: { label: string }) => pin.label)).toEqual(['bz', 'bm', 'ba'])
        })
        expect(sql[1]).toBe('SELECT "id", "label", "shelfId" FROM "Pin" WHERE "shelfId" IN (?, ?) ORDER BY "label" DESC')
      })
    })

    it('a selectinload option on a collection with a declared order uses it too', async () => {
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          const [shelf] = await session.query(classes.Shelf).filterBy({ name: 'b' }).options(selectinload('books')).all()
          expect(await titles(shelf)).toEqual(['b-alpha', 'b-zeta', 'b-middle', 'b-low'])
        })
        expect(sql.filter((text) => text.includes('FROM "Book"'))).toEqual(['SELECT "id", "title", "rank", "shelfId" FROM "Book" WHERE "shelfId" = ? ORDER BY "rank" DESC, "title" ASC'])
      })
    })
  })

  describe('joined', () => {
    const positions = async (shelf: any): Promise<number[]> => (await shelf.cards).map((card: { position: number }) => card.position)

    it('orders each owner\'s list after the query\'s own order, which still decides the owners\' order', async () => {
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          const shelves = await session.query(classes.Shelf).orderBy({ name: 'desc' }).all()
          expect(shelves.map((shelf: { name: string }) => shelf.name)).toEqual(['b', 'a'])
          for (const shelf of shelves) expect(await positions(shelf)).toEqual([5, 2, 1])
        })
        expect(sql[0]).toBe(
          'SELECT "t0"."id", "t0"."name", "t1"."id", "t1"."position", "t1"."shelfId" FROM (SELECT "id", "name" FROM "Shelf" ORDER BY "name" DESC) AS "t0" ' +
            'LEFT OUTER JOIN "Card" AS "t1" ON "t0"."id" = "t1"."shelfId" ORDER BY "t0"."name" DESC, "t0"."id" ASC, "t1"."position" DESC',
        )
      })
    })

    it('without an order of its own, the owners come in key order, never in their collection\'s order', async () => {
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          const shelves = await session.query(classes.Shelf).all()
          expect(shelves.map((shelf: { name: string }) => shelf.name)).toEqual(['b', 'a'])
          for (const shelf of shelves) expect(await positions(shelf)).toEqual([5, 2, 1])
        })
        expect(sql[0]).toMatch(/ LEFT OUTER JOIN "Card" AS "t1" ON "t0"\."id" = "t1"\."shelfId" ORDER BY "t0"\."id" ASC, "t1"\."position" DESC$/)
      })
    })

    it('a LIMIT still counts owners, and a joinedload option orders by every joined collection\'s keys', async () => {
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          const shelves = await session.query(classes.Shelf).options(joinedload('books')).orderBy({ name: 'asc' }).limit(1).all()
          expect(shelves.map((shelf: { name: string }) => shelf.name)).toEqual(['a'])
          expect(await titles(shelves[0])).toEqual(['a-alpha', 'a-zeta', 'a-middle', 'a-low'])
          expect(await positions(shelves[0])).toEqual([5, 2, 1])
        })
        expect(sql).toHaveLength(2) // the pins' selectin load follows
        expect(sql[0]).toContain('ORDER BY "name" ASC LIMIT ?) AS "t0" ')
        expect(sql[0]).toMatch(/ ORDER BY "t0"\."name" ASC, "t0"\."id" ASC, "t1"\."rank" DESC, "t1"\."title" ASC, "t2"\."position" DESC$/)
      })
    })
  })

  describe('dynamic', () => {
    const messages = (logs: { message: string }[]) => logs.map((log) => log.message)

    it('the relationship\'s query starts with the declared ORDER BY', async () => {
      await models.inSession(async (session) => {
        const shelf = await session.query(classes.Shelf).filterBy({ name: 'a' }).one()
        const sql = await queriesOf(async () => expect(messages(await shelf.logs.all())).toEqual(['third', 'second', 'first']))
        expect(sql).toEqual(['SELECT "id", "message", "createdAt", "shelfId" FROM "Log" WHERE "shelfId" = ? ORDER BY "createdAt" DESC'])
      })
    })

    it('orderBy(...) adds keys after the declared ones (as SQLAlchemy appends); orderBy(null) clears them', async () => {
      await models.inSession(async (session) => {
        const shelf = await session.query(classes.Shelf).filterBy({ name: 'a' }).one()
        const sql = await queriesOf(async () => {
          expect(messages(await shelf.logs.orderBy({ message: 'asc' }).all())).toEqual(['third', 'second', 'first'])
          expect(messages(await shelf.logs.orderBy(null).orderBy({ message: 'asc' }).all())).toEqual(['first', 'second', 'third'])
          expect(await shelf.logs.count()).toBe(3)
          expect(messages(await shelf.logs.limit(1).all())).toEqual(['third'])
        })
        expect(sql).toEqual([
          'SELECT "id", "message", "createdAt", "shelfId" FROM "Log" WHERE "shelfId" = ? ORDER BY "createdAt" DESC, "message" ASC',
          'SELECT "id", "message", "createdAt", "shelfId" FROM "Log" WHERE "shelfId" = ? ORDER BY "message" ASC',
          'SELECT count(*) FROM "Log" WHERE "shelfId" = ?',
          'SELECT "id", "message", "createdAt", "shelfId" FROM "Log" WHERE "shelfId" = ? ORDER BY "createdAt" DESC LIMIT ?',
        ])
      })
    })
  })

  describe('many-to-many', () => {
    const joinSelect = (where: string) =>
      'SELECT "t"."id", "t"."name", "s"."A" FROM "Tag" AS "t" LEFT OUTER JOIN "_ShelfToTag" AS "s" ON "s"."B" = "t"."id" ' + `WHERE ${where} ORDER BY "t"."name" ASC`

    it('a lazy load through the join table is ordered by the target\'s keys', async () => {
      await models.inSession(async (session) => {
        const shelf = await session.query(classes.Shelf).filterBy({ name: 'b' }).one()
        const sql = await queriesOf(async () => expect(await tagNames(shelf)).toEqual(['apple', 'fig', 'kiwi', 'mango']))
        expect(sql).toEqual([joinSelect('"s"."A" = ?')])
      })
    })

    it('a batched load and a selectinload keep the order within each owner\'s list', async () => {
      await models.inSession(async (session) => {
        const shelves = await session.query(classes.Shelf).all()
        const sql = await queriesOf(() => Promise.all(shelves.map((shelf: any) => shelf.tags)))
        expect(sql).toEqual([joinSelect('"s"."A" IN (?, ?)')])
        expect(await tagNames(byName(shelves, 'b'))).toEqual(['apple', 'fig', 'kiwi', 'mango'])
        expect(await tagNames(byName(shelves, 'a'))).toEqual(['apple', 'kiwi'])
      })
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          const shelves = await session.query(classes.Shelf).options(selectinload('tags')).all()
          expect(await tagNames(byName(shelves, 'a'))).toEqual(['apple', 'kiwi'])
        })
        expect(sql).toContain(joinSelect('"s"."A" IN (?, ?)'))
      })
    })

    it('a joinedload through the join table orders by the target\'s keys after the owners\' key', async () => {
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          const shelves = await session.query(classes.Shelf).options(joinedload('tags')).all()
          expect(await tagNames(byName(shelves, 'b'))).toEqual(['apple', 'fig', 'kiwi', 'mango'])
          expect(await tagNames(byName(shelves, 'a'))).toEqual(['apple', 'kiwi'])
        })
        expect(sql[0]).toMatch(/ORDER BY "t0"\."id" ASC, "t1"\."position" DESC, "t2"\."name" ASC$/)
      })
    })
  })
})
