// A database whose tables differ from the generated models raises SchemaMismatchError naming the model and field, not the driver's generic message.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { joinedload, NotNullViolationError, SchemaMismatchError, Session, sql } from 'prismalchemy'
import { DIALECTS, sqlOn, type TestDialect } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model Author {
  id       Int     @id @default(autoincrement())
  email    String  @unique
  nickname String? @map("nick_name")
  title    String?
  notes    Note[]
}

model Note {
  id       Int    @id @default(autoincrement())
  body     String
  title    String?
  authorId Int?
  author   Author? @relation(fields: [authorId], references: [id])
}

model Tag {
  id    Int    @id @default(autoincrement())
  label String
}
`

/** Replaces table `Note` with one of an autoincrementing `id` and `columns` (SQL). */
function recreateNote(dialect: TestDialect, columns: string): string {
  const id = dialect === 'sqlite' ? '"id" INTEGER PRIMARY KEY AUTOINCREMENT' : '"id" SERIAL PRIMARY KEY'
  return `DROP TABLE "Note"; CREATE TABLE "Note" (${id}, ${columns})`
}

/** `Note` as a newer schema left it: a required column `legacy` with no default that the models lack. */
const NOTE_WITH_REQUIRED_COLUMN = '"body" TEXT NOT NULL, "title" TEXT, "authorId" INTEGER, "legacy" TEXT NOT NULL'

/** What `work` rejects with (it must reject). */
async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
  return work().then(
    () => expect.unreachable('expected the statement to fail'),
    (error: unknown) => error,
  )
}

describe.each(DIALECTS)('on %s', (dialect) => {
  let models: InlineModels
  let session: Session
  let Author: new (init?: object) => any
  let Note: new (init?: object) => any
  let Tag: new (init?: object) => any

  beforeEach(async () => {
    models = await inlineModels('schema-mismatch', SCHEMA, dialect)
    ;({ Author, Note, Tag } = models.classes)
    session = new Session({ bind: models.engine })
  })

  afterEach(async () => {
    await session.close()
    await models.dispose()
  })

  describe('a field whose column the table lacks', () => {
    beforeEach(async () => {
      await models.database.execute('ALTER TABLE "Author" DROP COLUMN "nick_name"')
    })

    it('fails a SELECT with the model, the field and the fix', async () => {
      const error = await failureOf(() => session.query(Author).all())
      expect(error).toBeInstanceOf(SchemaMismatchError)
      expect(error).toMatchObject({ code: 'schema_mismatch', model: 'Author', field: 'nickname', table: 'Author', column: 'nick_name' })
      expect((error as Error).message).toMatch(/^Author\.nickname \(column "nick_name"\) has no column in table "Author" of the database\./)
      expect((error as Error).message).toContain('npx prisma migrate deploy')
      expect((error as Error).message).toContain('npx gen-models')
    })

    it('fails get() by primary key the same way', async () => {
      await models.database.execute(`INSERT INTO "Author" ("email") VALUES ('ann@example.com')`)
      await expect(session.get(Author, 1)).rejects.toMatchObject({ code: 'schema_mismatch', model: 'Author', field: 'nickname' })
    })

    it('fails an INSERT with the model and the field', async () => {
      session.add(new Author({ email: 'ann@example.com', nickname: 'Ann' }))
      const error = await failureOf(() => session.commit())
      expect(error).toBeInstanceOf(SchemaMismatchError)
      expect(error).toMatchObject({ code: 'schema_mismatch', model: 'Author', field: 'nickname', column: 'nick_name' })
      expect((error as SchemaMismatchError).sql).toMatch(new RegExp(`^${sqlOn(dialect, 'INSERT INTO "Author" ')}`))
    })

    it('fails a joined load of another model through that model', async () => {
      await models.database.execute(`INSERT INTO "Author" ("email") VALUES ('ann@example.com'); INSERT INTO "Note" ("body", "authorId") VALUES ('hi', 1)`)
      const error = await failureOf(() => session.query(Note).options(joinedload('author')).all())
      expect(error).toMatchObject({ code: 'schema_mismatch', model: 'Author', field: 'nickname' })
    })
  })

  it('blames the joined model, not the queried one, when both have a column of that name', async () => {
    await models.database.execute(`INSERT INTO "Author" ("email") VALUES ('ann@example.com'); INSERT INTO "Note" ("body", "authorId") VALUES ('hi', 1)`)
    await models.database.execute('ALTER TABLE "Author" DROP COLUMN "title"')
    const error = await failureOf(() => session.query(Note).options(joinedload('author')).all())
    expect(error).toMatchObject({ code: 'schema_mismatch', model: 'Author', field: 'title', table: 'Author', column: 'title' })
  })

  describe('a model whose table is missing', () => {
    beforeEach(async () => {
      await models.database.execute('DROP TABLE "Tag"')
    })

    it('fails a SELECT naming the model and its table', async () => {
      const error = await failureOf(() => session.query(Tag).all())
      expect(error).toBeInstanceOf(SchemaMismatchError)
      expect(error).toMatchObject({ code: 'schema_mismatch', model: 'Tag', table: 'Tag', field: undefined })
      expect((error as Error).message).toMatch(/^Model Tag is mapped to table "Tag", which the database does not have\./)
    })

    it('fails an INSERT naming the model', async () => {
      session.add(new Tag({ label: 'news' }))
      await expect(session.commit()).rejects.toMatchObject({ code: 'schema_mismatch', model: 'Tag', table: 'Tag' })
    })
  })

  describe('a table with a required column the model lacks', () => {
    beforeEach(async () => {
      await models.database.execute(recreateNote(dialect, NOTE_WITH_REQUIRED_COLUMN))
    })

    it('fails an INSERT naming the model and the column instead of a NOT NULL violation', async () => {
      session.add(new Note({ body: 'hello' }))
      const error = await failureOf(() => session.commit())
      expect(error).toBeInstanceOf(SchemaMismatchError)
      expect(error).toMatchObject({ code: 'schema_mismatch', model: 'Note', table: 'Note', column: 'legacy', field: undefined })
      expect((error as Error).message).toMatch(/^Table "Note" has a required column "legacy" \(NOT NULL, no default\) that model Note has no field for/)
    })

    it('still reads the rows the table has', async () => {
      await models.database.execute(`INSERT INTO "Note" ("body", "legacy") VALUES ('kept', 'x')`)
      expect((await session.query(Note).all()).map((note: any) => note.body)).toEqual(['kept'])
    })
  })

  it('keeps a NOT NULL violation on a column the model maps as NotNullViolationError', async () => {
    // The model has authorId optional; the table requires it: a mapped column, so no schema mismatch is claimed.
    await models.database.execute(recreateNote(dialect, '"body" TEXT NOT NULL, "title" TEXT, "authorId" INTEGER NOT NULL'))
    session.add(new Note({ body: 'orphan' }))
    const error = await failureOf(() => session.commit())
    expect(error).toBeInstanceOf(NotNullViolationError)
    expect(error).toMatchObject({ code: 'not_null_violation' })
  })

  it('names the table and column of raw SQL, which belongs to no model', async () => {
    const error = await failureOf(() => session.execute(dialect === 'mysql' ? sql`SELECT \`nope\` FROM \`Author\`` : sql`SELECT "nope" FROM "Author"`))
    expect(error).toBeInstanceOf(SchemaMismatchError)
    expect(error).toMatchObject({ code: 'schema_mismatch', column: 'nope', model: undefined })
    expect((error as Error).message).toMatch(/^The database has no column "nope"/)
  })
})
