// UniqueViolationError names the model and its fields (not columns, not a database-specific constraint name) on every database: flushes, insertMany, bulk updates; PrismaClient's P2002 is the outside oracle for the constraint it reports.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Session, sql, UniqueViolationError } from 'prismalchemy'
import { Post, Role, User } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS } from '../helpers/dialects.js'
import { loadPrismaClient, type PrismaClientLike } from '../helpers/prisma-client.js'

/** What `work` rejects with. */
async function failure(work: () => Promise<unknown>): Promise<unknown> {
  return work().then(
    () => undefined,
    (error: unknown) => error,
  )
}

describe.each(DIALECTS)('on %s', (dialect) => {
  let db: TestDatabase
  let session: Session
  let openClient: (url: string) => PrismaClientLike

  beforeAll(async () => {
    openClient = await loadPrismaClient('schema/schema.prisma', dialect)
  }, 120_000)

  beforeEach(async () => {
    db = await createTestDatabase({}, dialect)
    session = db.session()
    const author = new User({ username: 'ann' })
    session.addAll([author, new User({ username: 'bob' }), new Post({ title: 'Hello', author })])
    await session.commit()
  })

  afterEach(async () => {
    await session.close()
    await db.dispose()
  })

  /**
   * Constraint name as each database reports it: SQLite lists the columns, PostgreSQL and MySQL name the index
   * (Prisma's `<table>_<columns>_key`); MySQL calls every primary key `PRIMARY`.
   */
  const constraintOf = (sqlite: string, postgresql: string, mysql = postgresql): string => (dialect === 'sqlite' ? sqlite : dialect === 'mysql' ? mysql : postgresql)

  it('names the model and field of a single-field @unique broken by a flush, with Prisma\'s P2002 wording', async () => {
    session.add(new User({ username: 'ann' }))
    const error = await failure(() => session.flush())
    expect(error).toBeInstanceOf(UniqueViolationError)
    expect(error).toMatchObject({ code: 'unique_violation', model: 'User', fields: ['username'], table: 'users', constraint: constraintOf('username', 'users_username_key') })
    expect((error as Error).message).toBe(
      `Unique constraint failed on the fields: (\`username\`) of User (constraint ${constraintOf('username', 'users_username_key')}): a row with the same value already exists. Change the value or update the existing row.`,
    )
  })

  it('gives the field names, in order, of a composite @@unique over an @map-ped column', async () => {
    const author = await session.query(User).filterBy({ username: 'ann' }).one()
    session.add(new Post({ title: 'Hello', authorId: author.id }))
    const error = await failure(() => session.flush())
    expect(error).toMatchObject({ model: 'Post', fields: ['authorId', 'title'], table: 'posts', constraint: constraintOf('author_id, title', 'posts_author_id_title_key') })
  })

  it('names the model whose row failed in a flush that writes several models', async () => {
    session.addAll([new Role({ name: 'admin' }), new User({ username: 'bob' })])
    const error = await failure(() => session.flush())
    expect(error).toMatchObject({ model: 'User', fields: ['username'] })
  })

  it('names the primary key field of a duplicate key', async () => {
    const ann = await session.query(User).filterBy({ username: 'ann' }).one()
    const error = await failure(() => session.insertMany(User, [{ id: ann.id, username: 'carl' }]))
    expect(error).toMatchObject({ model: 'User', fields: ['id'], constraint: constraintOf('id', 'users_pkey', 'PRIMARY') })
  })

  it('names the fields for insertMany and for a bulk update', async () => {
    const inserted = await failure(() => session.insertMany(User, [{ username: 'dan' }, { username: 'ann' }]))
    expect(inserted).toMatchObject({ model: 'User', fields: ['username'] })
    await session.rollback()
    const updated = await failure(() => session.query(User).filterBy({ username: 'bob' }).update({ username: 'ann' }))
    expect(updated).toMatchObject({ model: 'User', fields: ['username'] })
  })

  it('leaves model and fields undefined for raw SQL, which belongs to no model', async () => {
    const now = new Date()
    const error = await failure(() =>
      session.execute(
        dialect === 'mysql'
          ? sql`INSERT INTO \`users\` (\`username\`, \`updated_at\`) VALUES (${'ann'}, ${now})`
          : sql`INSERT INTO "users" ("username", "updated_at") VALUES (${'ann'}, ${now})`,
      ),
    )
    expect(error).toBeInstanceOf(UniqueViolationError)
    expect(error).toMatchObject({ model: undefined, fields: undefined, constraint: constraintOf('username', 'users_username_key') })
  })

  it("reports the constraint PrismaClient's P2002 reports for the same row (the outside oracle), and the fields behind it", async () => {
    const client = openClient(db.url)
    try {
      const prismaError = await failure(() => client.post.create({ data: { title: 'Hello', author: { connect: { username: 'ann' } } } }))
      expect(prismaError).toMatchObject({ code: 'P2002', meta: { modelName: 'Post' } })
      const reported = (prismaError as { meta: { driverAdapterError: { cause: { constraint: { fields?: string[]; index?: string } } } } }).meta.driverAdapterError.cause.constraint
      // Prisma 7 passes on what the database said: SQLite's columns, PostgreSQL's index name; neither is the model's field names.
      expect(reported).toEqual(dialect === 'sqlite' ? { fields: ['author_id', 'title'] } : { index: 'posts_author_id_title_key' })

      const author = await session.query(User).filterBy({ username: 'ann' }).one()
      session.add(new Post({ title: 'Hello', authorId: author.id }))
      const ours = (await failure(() => session.flush())) as UniqueViolationError
      expect(ours.model).toBe('Post')
      expect(dialect === 'sqlite' ? { fields: ours.columns } : { index: ours.constraint }).toEqual(reported)
      expect(ours.fields).toEqual(['authorId', 'title'])
    } finally {
      await client.$disconnect()
    }
  })
})
