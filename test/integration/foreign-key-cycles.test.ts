// Two tables that reference each other (User.calendarId -> Calendar, Calendar.ownerId -> User): one flush inserts both,
// writing the deferred foreign key with an UPDATE after the INSERTs; deletes set it to NULL first; a cycle of required
// keys is refused with the models and keys named. Rows read back by a real PrismaClient, on SQLite, PostgreSQL and MySQL.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { FlushError } from 'prismalchemy'
import { DIALECTS, normalizeSql } from '../helpers/dialects.js'
import { generatedKeyInserts } from '../helpers/generated-key-inserts.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { loadPrismaClient, type PrismaClientLike } from '../helpers/prisma-client.js'
import { recordSql } from '../helpers/sql-recorder.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model User {
  id         Int        @id @default(autoincrement())
  name       String
  calendarId Int?       @unique @map("calendar_id")
  calendar   Calendar?  @relation("active", fields: [calendarId], references: [id])
  calendars  Calendar[] @relation("owner")

  @@map("users")
}

model Calendar {
  id       Int    @id @default(autoincrement())
  title    String
  ownerId  Int?   @map("owner_id")
  owner    User?  @relation("owner", fields: [ownerId], references: [id])
  activeOf User?  @relation("active")

  @@map("calendars")
}

/// Both keys required: no INSERT order works.
model Egg {
  id        Int     @id
  chickenId Int     @unique @map("chicken_id")
  chicken   Chicken @relation("laid", fields: [chickenId], references: [id])
  hatched   Chicken? @relation("hatched")

  @@map("eggs")
}

model Chicken {
  id    Int  @id
  eggId Int  @unique @map("egg_id")
  egg   Egg  @relation("hatched", fields: [eggId], references: [id])
  laid  Egg? @relation("laid")

  @@map("chickens")
}

/// A one-to-one to the same table: two rows can point at each other, or a row at itself.
model Person {
  id      Int     @id @default(autoincrement())
  name    String
  buddyId Int?    @unique @map("buddy_id")
  buddy   Person? @relation("buddy", fields: [buddyId], references: [id])
  buddyOf Person? @relation("buddy")

  @@map("people")
}

/// A required key to the same table: rows pointing at each other cannot be inserted; a row at itself can when its key is known.
model Link {
  id     Int    @id
  nextId Int    @map("next_id")
  next   Link   @relation("chain", fields: [nextId], references: [id])
  prev   Link[] @relation("chain")

  @@map("links")
}
`

describe.each(DIALECTS)('tables that reference each other, on %s', (dialect) => {
  let models: InlineModels
  let client: PrismaClientLike
  let schemaDir: string
  let User: InlineModels['classes'][string]
  let Calendar: InlineModels['classes'][string]
  let Egg: InlineModels['classes'][string]
  let Chicken: InlineModels['classes'][string]
  let Person: InlineModels['classes'][string]
  let Link: InlineModels['classes'][string]

  beforeAll(async () => {
    models = await inlineModels('foreign-key-cycles', SCHEMA, dialect)
    ;({ User, Calendar, Egg, Chicken, Person, Link } = models.classes)
    schemaDir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-fk-cycles-'))
    writeFileSync(path.join(schemaDir, 'schema.prisma'), SCHEMA)
    client = (await loadPrismaClient(path.join(schemaDir, 'schema.prisma'), dialect))(models.database.url)
  }, 120_000)

  // InnoDB checks a foreign key row by row, so it cannot delete a link pointing at itself (its key is required
  // and RESTRICT, as Prisma renders it): on MySQL the links go with foreign key checks off.
  const DELETE_LINKS = dialect === 'mysql' ? 'SET foreign_key_checks = 0; DELETE FROM "links"; SET foreign_key_checks = 1;' : 'DELETE FROM "links";'

  afterEach(() =>
    models.database.execute(`UPDATE "users" SET "calendar_id" = NULL; DELETE FROM "calendars"; DELETE FROM "users"; UPDATE "people" SET "buddy_id" = NULL; DELETE FROM "people"; ${DELETE_LINKS}`),
  )

  afterAll(async () => {
    await client?.$disconnect()
    await models?.dispose()
    if (schemaDir) rmSync(schemaDir, { recursive: true, force: true })
  })

  /** The statements and parameters `work` runs, without transaction control. */
  async function statementsOf(work: () => Promise<unknown>): Promise<[string, unknown[]][]> {
    const recorder = recordSql(models.engine)
    try {
      await work()
    } finally {
      recorder.stop()
    }
    return recorder.statements.filter((s) => !/^(BEGIN|COMMIT|ROLLBACK)\b/.test(s.sql)).map((s) => [normalizeSql(s.sql), [...s.parameters]])
  }

  /** The user `name` and calendar `title` as PrismaClient reads them, with their links. */
  async function fromPrisma(name: string, title: string) {
    const user = await client.user.findFirst({ where: { name }, include: { calendar: true } })
    const calendar = await client.calendar.findFirst({ where: { title }, include: { owner: true } })
    return { userCalendar: user.calendar?.title ?? null, calendarOwner: calendar.owner?.name ?? null }
  }

  const [INSERT_CALENDAR] = generatedKeyInserts(dialect, 'INSERT INTO "calendars" ("title", "owner_id")', '(?, ?)', 1)
  const [INSERT_USER] = generatedKeyInserts(dialect, 'INSERT INTO "users" ("name", "calendar_id")', '(?, ?)', 1)
  const [INSERT_PERSON] = generatedKeyInserts(dialect, 'INSERT INTO "people" ("name", "buddy_id")', '(?, ?)', 1)
  const SET_OWNER = 'UPDATE "calendars" SET "owner_id" = ? WHERE "id" = ?'

  describe('User.calendarId -> Calendar and Calendar.ownerId -> User (both nullable)', () => {
    it('one flush inserts both: the calendar with owner_id NULL, the user, then an UPDATE of owner_id', async () => {
      await models.inSession(async (session) => {
        const ann = new User({ name: 'ann' })
        const work = new Calendar({ title: 'work', owner: ann })
        ann.calendar = work
        session.add(ann)
        expect(await statementsOf(() => session.flush())).toEqual([
          [INSERT_CALENDAR, ['work', null]],
          [INSERT_USER, ['ann', work.id]],
          [SET_OWNER, [ann.id, work.id]],
        ])
        expect([ann.calendarId, work.ownerId]).toEqual([work.id, ann.id])
        expect(session.dirty).toEqual([])
        await session.commit()
      })
      expect(await fromPrisma('ann', 'work')).toEqual({ userCalendar: 'work', calendarOwner: 'ann' })
    })

    it('writes no UPDATE when only the user points at the new calendar', async () => {
      await models.inSession(async (session) => {
        const ann = new User({ name: 'ann', calendar: new Calendar({ title: 'work' }) })
        session.add(ann)
        expect((await statementsOf(() => session.flush())).map(([sql]) => sql)).toEqual([INSERT_CALENDAR, INSERT_USER])
        await session.commit()
      })
      expect(await fromPrisma('ann', 'work')).toEqual({ userCalendar: 'work', calendarOwner: null })
    })

    it('defers Calendar.ownerId (the rule: first nullable key of the cycle by model, then field name) even when only it is set', async () => {
      await models.inSession(async (session) => {
        const ann = new User({ name: 'ann' })
        const work = new Calendar({ title: 'work', owner: ann })
        session.add(work)
        expect(await statementsOf(() => session.flush())).toEqual([
          [INSERT_CALENDAR, ['work', null]],
          [INSERT_USER, ['ann', null]],
          [SET_OWNER, [ann.id, work.id]],
        ])
        await session.commit()
      })
      expect(await fromPrisma('ann', 'work')).toEqual({ userCalendar: null, calendarOwner: 'ann' })
    })

    it('a persistent calendar given a new owner: the INSERT (after the one-to-one release), then the UPDATE of owner_id alone', async () => {
      const ids = await models.inSession(async (session) => {
        const work = new Calendar({ title: 'work' })
        session.add(work)
        await session.commit()
        const bob = new User({ name: 'bob', calendar: work })
        work.owner = bob
        expect(await statementsOf(() => session.flush())).toEqual([
          // User.calendar is a one-to-one (calendar_id is @unique): any user holding the calendar lets go first.
          ['UPDATE "users" SET "calendar_id" = ? WHERE "calendar_id" = ?', [null, work.id]],
          [INSERT_USER, ['bob', work.id]],
          [SET_OWNER, [bob.id, work.id]],
        ])
        await session.commit()
        return { bob: bob.id as number }
      })
      expect(await fromPrisma('bob', 'work')).toEqual({ userCalendar: 'work', calendarOwner: 'bob' })
      expect(ids.bob).toBeGreaterThan(0)
    })

    it('deleting both: owner_id set to NULL, then the user, then the calendar', async () => {
      await models.inSession(async (session) => {
        const ann = new User({ name: 'ann' })
        const work = new Calendar({ title: 'work', owner: ann })
        ann.calendar = work
        session.add(ann)
        await session.commit()
        session.delete(ann)
        session.delete(work)
        expect(await statementsOf(() => session.flush())).toEqual([
          ['UPDATE "calendars" SET "owner_id" = ? WHERE "id" = ?', [null, work.id]],
          ['DELETE FROM "users" WHERE "id" IN (?)', [ann.id]],
          ['DELETE FROM "calendars" WHERE "id" IN (?)', [work.id]],
        ])
        await session.commit()
      })
      expect([await client.user.count(), await client.calendar.count()]).toEqual([0, 0])
    })

    it('deleting only the user writes no UPDATE first (the calendar stays, the database sets its owner_id to NULL)', async () => {
      await models.inSession(async (session) => {
        const ann = new User({ name: 'ann' })
        const work = new Calendar({ title: 'work', owner: ann })
        session.add(work)
        await session.commit()
        session.delete(ann)
        expect((await statementsOf(() => session.flush())).map(([sql]) => sql)).toEqual(['DELETE FROM "users" WHERE "id" IN (?)'])
        await session.commit()
      })
      expect(await client.calendar.findFirst({ where: { title: 'work' } })).toMatchObject({ ownerId: null })
    })

    it('a failed flush leaves both objects as they were before it', async () => {
      await models.inSession(async (session) => {
        const work = new Calendar({ title: 'work' })
        const ann = new User({ name: 'ann', calendar: work })
        // A second user with the same calendar breaks the unique calendar_id after the deferred key was planned.
        const bob = new User({ name: 'bob', calendarId: null })
        work.owner = ann
        session.addAll([ann, bob])
        bob.calendarId = 0
        await expect(session.flush()).rejects.toThrow()
        expect([work.id, work.ownerId, ann.id, ann.calendarId]).toEqual([undefined, undefined, undefined, undefined])
        await session.rollback()
      })
      expect(await client.calendar.count()).toBe(0)
    })
  })

  describe('a cycle of required foreign keys (Egg.chickenId -> Chicken, Chicken.eggId -> Egg)', () => {
    it('is refused, naming the rows, the relationship and every key of the cycle, and nothing is written', async () => {
      await models.inSession(async (session) => {
        const egg = new Egg({ id: 1 })
        const chicken = new Chicken({ id: 1, egg })
        egg.chicken = chicken
        session.add(egg)
        const error: FlushError = await session.flush().then(
          () => expect.unreachable('the flush must fail'),
          (caught: FlushError) => caught,
        )
        expect(error).toBeInstanceOf(FlushError)
        expect(error.code).toBe('flush_circular_dependency')
        expect(error.message).toBe(
          'Cannot flush Egg(transient): Egg.chicken refers to Chicken(transient), which is not inserted yet, and no INSERT order works because every ' +
            'foreign key of the cycle Egg.chickenId -> Chicken, Chicken.eggId -> Egg is required. Make one of them optional in the schema (a `?` on the ' +
            'foreign-key field and its relation field), so that the flush writes it with an UPDATE once both rows exist; or point one of the rows at a row ' +
            'that already exists, flush, then close the cycle.',
        )
        await session.rollback()
      })
      expect(await models.readRows('SELECT "id" FROM "eggs"')).toEqual([])
    })
  })

  describe('rows of one table that refer to each other', () => {
    it('a row pointing at a row inserted in the same flush: two INSERTs, no UPDATE', async () => {
      await models.inSession(async (session) => {
        const ann = new Person({ name: 'ann' })
        const bob = new Person({ name: 'bob', buddy: ann })
        session.addAll([bob, ann])
        expect(await statementsOf(() => session.flush())).toEqual([
          [INSERT_PERSON, ['ann', null]],
          [INSERT_PERSON, ['bob', ann.id]],
        ])
        await session.commit()
      })
      expect((await client.person.findFirst({ where: { name: 'bob' }, include: { buddy: true } })).buddy.name).toBe('ann')
    })

    it('two rows pointing at each other: the first added goes in with NULL, the second points at it, then an UPDATE', async () => {
      const ids = await models.inSession(async (session) => {
        const ann = new Person({ name: 'ann' })
        const bob = new Person({ name: 'bob', buddy: ann })
        ann.buddy = bob
        session.addAll([ann, bob])
        expect(await statementsOf(() => session.flush())).toEqual([
          [INSERT_PERSON, ['ann', null]],
          [INSERT_PERSON, ['bob', ann.id]],
          ['UPDATE "people" SET "buddy_id" = ? WHERE "id" = ?', [bob.id, ann.id]],
        ])
        await session.commit()
        return { ann: ann.id as number, bob: bob.id as number }
      })
      const people = await client.person.findMany({ orderBy: { name: 'asc' }, select: { name: true, buddyId: true } })
      expect(people).toEqual([
        { name: 'ann', buddyId: ids.bob },
        { name: 'bob', buddyId: ids.ann },
      ])
      await models.inSession(async (session) => {
        const [ann, bob] = await session.query(Person).orderBy('name').all()
        session.delete(ann)
        session.delete(bob)
        expect(await statementsOf(() => session.flush())).toEqual([
          ['UPDATE "people" SET "buddy_id" = ? WHERE "id" = ?', [null, ids.ann]],
          ['UPDATE "people" SET "buddy_id" = ? WHERE "id" = ?', [null, ids.bob]],
          ['DELETE FROM "people" WHERE "id" IN (?, ?)', [ids.ann, ids.bob]],
        ])
        await session.commit()
      })
      expect(await client.person.count()).toBe(0)
    })

    it('a new row pointing at itself: an INSERT with NULL, then an UPDATE to its own key', async () => {
      await models.inSession(async (session) => {
        const ann = new Person({ name: 'ann' })
        ann.buddy = ann
        session.add(ann)
        expect(await statementsOf(() => session.flush())).toEqual([
          [INSERT_PERSON, ['ann', null]],
          ['UPDATE "people" SET "buddy_id" = ? WHERE "id" = ?', [ann.id, ann.id]],
        ])
        await session.commit()
      })
      const ann = await client.person.findFirst({ where: { name: 'ann' } })
      expect(ann.buddyId).toBe(ann.id)
    })

    it('a required key to itself, with the key known: one INSERT carrying it', async () => {
      await models.inSession(async (session) => {
        const loop = new Link({ id: 7 })
        loop.next = loop
        session.add(loop)
        expect(await statementsOf(() => session.flush())).toEqual([['INSERT INTO "links" ("id", "next_id") VALUES (?, ?)', [7, 7]]])
        await session.commit()
      })
      expect(await client.link.findMany()).toEqual([{ id: 7, nextId: 7 }])
    })

    it('two rows pointing at each other through a required key are refused, naming the key', async () => {
      await models.inSession(async (session) => {
        const a = new Link({ id: 1 })
        const b = new Link({ id: 2, next: a })
        a.next = b
        session.addAll([a, b])
        const error: FlushError = await session.flush().then(
          () => expect.unreachable('the flush must fail'),
          (caught: FlushError) => caught,
        )
        expect(error.code).toBe('flush_circular_dependency')
        expect(error.message).toMatch(/^Cannot flush Link\(transient\): Link\.next refers to Link\(transient\), .* the cycle Link\.nextId -> Link is required\./)
        await session.rollback()
      })
    })
  })
})
