// Regressions for the defects found by porting SQLAlchemy's tests (issue "1/6 Fidelity"): identity keys by column type, in-memory collections of objects without a row, row switches, autobegin.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDb, FlushError, inspect, UniqueViolationError } from 'prismalchemy'
import { DIALECTS, normalizeSql } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model Event {
  at   DateTime @id
  name String
}

model Pair {
  a    Int
  at   DateTime
  name String
  @@id([a, at])
}

model Parent {
  id   Int    @id @default(autoincrement())
  name String
  /// @lazy(select)
  kids Kid[]
  /// @lazy(dynamic)
  pets Pet[]
  /// @lazy(select)
  tags Tag[]
}

model Kid {
  id       Int     @id @default(autoincrement())
  name     String
  parentId Int?
  parent   Parent? @relation(fields: [parentId], references: [id])
}

model Pet {
  id       Int     @id @default(autoincrement())
  name     String
  parentId Int?
  parent   Parent? @relation(fields: [parentId], references: [id])
}

model Tag {
  id      Int      @id @default(autoincrement())
  name    String
  parents Parent[]
}
`

describe.each(DIALECTS)('on %s', (dialect) => {
  let models: InlineModels
  let Event: InlineModels['classes'][string]
  let Pair: InlineModels['classes'][string]
  let Parent: InlineModels['classes'][string]
  let Kid: InlineModels['classes'][string]
  let Pet: InlineModels['classes'][string]
  let Tag: InlineModels['classes'][string]

  beforeAll(async () => {
    models = await inlineModels('fidelity-defects', SCHEMA, dialect)
    ;({ Event, Pair, Parent, Kid, Pet, Tag } = models.classes)
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  beforeEach(async () => {
    await models.database.execute('DELETE FROM "_ParentToTag"; DELETE FROM "Kid"; DELETE FROM "Pet"; DELETE FROM "Tag"; DELETE FROM "Parent"; DELETE FROM "Event"; DELETE FROM "Pair";')
  })

  describe('identity keys by column type', () => {
    it('gives one object for a DateTime primary key, however the key is passed', async () => {
      const t = new Date('2026-01-02T03:04:05.678Z')
      await models.inSession(async (s) => {
        s.add(new Event({ at: t, name: 'launch' }))
        await s.commit()
      })
      await models.inSession(async (s) => {
        const viaGet = await s.get(Event, t)
        const sql = await capturedSql(models.engine, async () => expect(await s.get(Event, new Date(t.getTime()))).toBe(viaGet))
        expect(sql).toEqual([])
        expect(await s.query(Event).one()).toBe(viaGet)
        expect(s.identityMap.size).toBe(1)
      })
    })

    it('keeps two rows whose composite keys differ only in the milliseconds of a DateTime', async () => {
      const t = new Date('2026-01-02T00:00:00.000Z')
      await models.inSession(async (s) => {
        s.addAll([new Pair({ a: 1, at: t, name: 'p1' }), new Pair({ a: 1, at: new Date(t.getTime() + 100), name: 'p2' })])
        await s.commit()
      })
      await models.inSession(async (s) => {
        const pairs = await s.query(Pair).orderBy({ at: 'asc' }).all()
        expect(pairs.map((pair) => pair.name)).toEqual(['p1', 'p2'])
        expect(new Set(pairs).size).toBe(2)
        expect(await s.get(Pair, { a: 1, at: new Date(t.getTime() + 100) })).toBe(pairs[1])
      })
    })
  })

  describe('a child assigned through its many-to-one side', () => {
    it('is saved with the parent it was assigned to (select collection)', async () => {
      await models.inSession(async (s) => {
        const p = new Parent({ name: 'p' })
        const kid = new Kid({ name: 'k' })
        kid.parent = p
        s.add(p)
        expect(inspect(kid).pending).toBe(true)
        await s.commit()
      })
      expect(await models.readRows('SELECT k."name" AS kid, p."name" AS parent FROM "Kid" k JOIN "Parent" p ON p."id" = k."parentId"')).toEqual([{ kid: 'k', parent: 'p' }])
    })

    it('is saved with the parent it was assigned to (dynamic collection)', async () => {
      await models.inSession(async (s) => {
        const p = new Parent({ name: 'p' })
        const pet = new Pet({ name: 'rex' })
        pet.parent = p
        s.add(p)
        await s.commit()
      })
      expect(await models.readRows('SELECT "name" FROM "Pet" WHERE "parentId" IS NOT NULL')).toEqual([{ name: 'rex' }])
    })

    it('saves many-to-many members pushed into a transient owner list, with their link rows', async () => {
      await models.inSession(async (s) => {
        const p = new Parent({ name: 'p' })
        const tags = await p.tags
        expect(tags).toEqual([])
        tags.push(new Tag({ name: 'red' }))
        s.add(p)
        await s.commit()
      })
      expect(await models.readRows('SELECT t."name" FROM "_ParentToTag" l JOIN "Tag" t ON t."id" = l."B"')).toEqual([{ name: 'red' }])
    })
  })

  describe('relationships of an object without a row', () => {
    it('answer from memory, with no SQL and no DetachedInstanceError', async () => {
      const p = new Parent({ name: 'p' })
      expect(await p.kids).toEqual([])
      expect(await p.pets.all()).toEqual([])
      expect(await p.pets.count()).toBe(0)
      const rex = new Pet({ name: 'rex' })
      p.pets.append(rex)
      expect(await p.pets.all()).toEqual([rex])
      expect(await p.pets.one()).toBe(rex)
      const kid = new Kid({ name: 'k', parent: p })
      expect(await p.kids).toEqual([kid])
    })

    it('do not load the stored rows of a pending object that has an explicit key', async () => {
      await models.inSession(async (s) => {
        const stored = new Parent({ name: 'stored' })
        s.add(stored)
        s.add(new Kid({ name: 'k', parent: stored }))
        await s.commit()
      })
      const [{ id }] = await models.readRows<{ id: number }>('SELECT "id" FROM "Parent"')
      await models.inSession(
        async (s) => {
          const pending = new Parent({ id, name: 'again' })
          s.add(pending)
          const sql = await capturedSql(models.engine, async () => expect(await pending.kids).toEqual([]))
          expect(sql).toEqual([])
        },
        { autoflush: false },
      )
    })
  })

  describe('identity at flush', () => {
    it('turns a DELETE and an INSERT of the same key into one UPDATE (row switch)', async () => {
      let id = 0
      await models.inSession(async (s) => {
        const p = new Parent({ name: 'old' })
        s.add(p)
        await s.commit()
        id = p.id
      })
      await models.inSession(async (s) => {
        const old = await s.get(Parent, id)
        s.delete(old)
        const replacement = new Parent({ id, name: 'new' })
        s.add(replacement)
        const sql = await capturedSql(models.engine, () => s.flush())
        expect(sql.map(normalizeSql).filter((text) => !/^(BEGIN|COMMIT)/.test(text))).toEqual(['UPDATE "Parent" SET "name" = ? WHERE "id" = ?'])
        expect(inspect(replacement).persistent).toBe(true)
        expect(inspect(old).deleted).toBe(true)
        expect(await s.get(Parent, id)).toBe(replacement)
        await s.commit()
      })
      expect(await models.readRows('SELECT "id", "name" FROM "Parent"')).toEqual([{ id, name: 'new' }])
    })

    it('refuses to add() an object whose DELETE was flushed', async () => {
      await models.inSession(async (s) => {
        const p = new Parent({ name: 'p' })
        s.add(p)
        await s.flush()
        s.delete(p)
        await s.flush()
        expect(() => s.add(p)).toThrow(expect.objectContaining({ name: 'InvalidRequestError', code: 'object_deleted' }))
      })
    })

    it('takes back a deletion not yet flushed when the object is added again', async () => {
      await models.inSession(async (s) => {
        const p = new Parent({ name: 'p' })
        s.add(p)
        await s.commit()
        s.delete(p)
        s.add(p)
        expect(s.deleted).toEqual([])
        await s.commit()
      })
      expect(await models.readRows('SELECT "name" FROM "Parent"')).toEqual([{ name: 'p' }])
    })

    it('refuses a new object with the key of a persistent one before sending SQL', async () => {
      await models.inSession(async (s) => {
        const p = new Parent({ name: 'p' })
        s.add(p)
        await s.commit()
        s.add(new Parent({ id: p.id, name: 'clash' }))
        const sql: string[] = []
        const stop = models.engine.onStatement((statement) => sql.push(statement.sql))
        await expect(s.flush()).rejects.toBeInstanceOf(FlushError)
        stop()
        expect(sql.some((text) => text.startsWith('INSERT'))).toBe(false)
        expect(() => new FlushError('x', 'y')).not.toThrow()
        await expect(s.flush()).rejects.not.toBeInstanceOf(UniqueViolationError)
      })
    })
  })

  describe('modifications and autobegin', () => {
    it('does not count assigning a column its current value as a change', async () => {
      await models.inSession(async (s) => {
        const p = new Parent({ name: 'p' })
        s.add(p)
        await s.commit()
        await s.refresh(p)
        p.name = 'p'
        expect(s.isModified(p)).toBe(false)
        const sql = await capturedSql(models.engine, () => s.flush())
        expect(sql.filter((text) => text.startsWith('UPDATE'))).toEqual([])
      })
    })

    it('begins the transaction at add(), delete() and an attribute change', async () => {
      await models.inSession(async (s) => {
        expect(s.inTransaction).toBe(false)
        const p = new Parent({ name: 'p' })
        s.add(p)
        expect(s.inTransaction).toBe(true)
        await s.commit()
        expect(s.inTransaction).toBe(false)
        await s.refresh(p)
        await s.commit()
        p.name = 'q'
        expect(s.inTransaction).toBe(true)
        await s.commit()
        s.delete(p)
        expect(s.inTransaction).toBe(true)
      })
    })

    it('keeps a many-to-one change in a collection loaded later with autoflush off', async () => {
      await models.inSession(
        async (s) => {
          const a = new Parent({ name: 'a' })
          const b = new Parent({ name: 'b' })
          const kid = new Kid({ name: 'k', parent: a })
          s.addAll([a, b, kid])
          await s.commit()
          await s.refresh(kid)
          kid.parent = b
          expect(await b.kids).toEqual([kid])
          expect(await a.kids).toEqual([])
        },
        { autoflush: false },
      )
    })

    it('says that an error came from a query-invoked autoflush', async () => {
      await models.inSession(async (s) => {
        s.add(new Parent({}))
        await expect(s.query(Parent).all()).rejects.toThrow(/raised as a result of Query-invoked autoflush/)
      })
    })
  })

  it('answers db.session calls of the new session API in the scope\'s session', async () => {
    const db = createDb(models.registry, { url: models.database.url })
    try {
      await db.scope(async () => {
        await db.session.beginNested(async () => db.session.add(new Parent({ name: 'scoped' })))
        expect(db.session.inNestedTransaction).toBe(false)
        expect(db.session.hasPendingChanges).toBe(false)
        await db.session.autoflush()
        expect(db.session.identityMap.size).toBe(1)
        await db.session.commit()
      })
      expect(await models.readRows('SELECT "name" FROM "Parent"')).toEqual([{ name: 'scoped' }])
    } finally {
      await db.dispose()
    }
  })
})
