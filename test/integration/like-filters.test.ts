// contains / startsWith / endsWith: `%`, `_` and `\` in the text match themselves on both databases, and on SQLite a NUL byte never widens the match.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DatabaseError } from 'prismalchemy'
import { User } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, describeOn, normalizeSql, type TestDialect } from '../helpers/dialects.js'
import { capturedSql } from '../helpers/sql-recorder.js'

/** Names with the characters LIKE treats specially. */
const SPECIAL = ['100%', '1000', '1_0', '110', 'x\\y', 'xy']

/** A fresh database of `dialect` holding one user per name. */
async function databaseWith(dialect: TestDialect, usernames: readonly string[]): Promise<TestDatabase> {
  const database = await createTestDatabase({}, dialect)
  const seeding = database.session()
  for (const username of usernames) seeding.add(new User({ username }))
  await seeding.commit()
  await seeding.close()
  return database
}

/** The usernames in `database` matching the string filter `where`, sorted. */
async function usernamesMatching(database: TestDatabase, where: Record<string, unknown>): Promise<string[]> {
  const session = database.session()
  const users = await session.query(User).where({ username: where } as never).all()
  await session.close()
  return users.map((user) => user.username).sort()
}

describe.each(DIALECTS)('on %s', (dialect) => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await databaseWith(dialect, SPECIAL)
  })

  afterAll(async () => {
    await database.dispose()
  })

  const matching = (where: Record<string, unknown>): Promise<string[]> => usernamesMatching(database, where)

  it('matches %, _ and \\ as themselves, as Prisma escapes them', async () => {
    expect(await matching({ contains: '%' })).toEqual(['100%'])
    expect(await matching({ endsWith: '0%' })).toEqual(['100%'])
    expect(await matching({ contains: '_' })).toEqual(['1_0'])
    expect(await matching({ startsWith: '1_' })).toEqual(['1_0'])
    expect(await matching({ contains: '\\' })).toEqual(['x\\y'])
    expect(await matching({ contains: 'x\\y' })).toEqual(['x\\y'])
  })
})

describeOn('sqlite', 'a NUL byte in the text of contains/startsWith/endsWith on sqlite', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await databaseWith('sqlite', ['aXb', 'a\u0000b', 'A\u0000Bc', 'c\u0000a\u0000b', 'a', 'zzz'])
  })

  afterAll(async () => {
    await database.dispose()
  })

  const matching = (where: Record<string, unknown>): Promise<string[]> => usernamesMatching(database, where)

  it('does not widen the match (SQLite stops reading a LIKE pattern at NUL): bytes are compared, ASCII case folded as LIKE does', async () => {
    expect(await matching({ contains: 'a\u0000b' })).toEqual(['A\u0000Bc', 'a\u0000b', 'c\u0000a\u0000b'])
    expect(await matching({ startsWith: 'a\u0000' })).toEqual(['A\u0000Bc', 'a\u0000b'])
    expect(await matching({ endsWith: '\u0000b' })).toEqual(['a\u0000b', 'c\u0000a\u0000b'])
    expect(await matching({ endsWith: 'zz\u0000zzzz' })).toEqual([])
    // Without a NUL the text is a LIKE pattern as before (and, as with PrismaClient, SQLite's LIKE reads a
    // stored value only up to its own first NUL: 'c\u0000a\u0000b' is 'c' to it).
    expect(await matching({ contains: 'a' })).toEqual(['A\u0000Bc', 'a', 'a\u0000b', 'aXb'])
  })

  it('sends the byte comparison instead of LIKE, with the text as a parameter', async () => {
    const session = database.session()
    const sql = await capturedSql(database.engine, async () => {
      await session.query(User).where({ username: { contains: 'a\u0000b' } }).all()
      await session.query(User).where({ username: { startsWith: 'a\u0000b' } }).all()
      await session.query(User).where({ username: { endsWith: 'a\u0000b' } }).all()
    })
    await session.close()
    expect(sql.map(normalizeSql).map((statement) => statement.slice(statement.indexOf(' WHERE ')))).toEqual([
      ' WHERE instr(CAST(lower("username") AS BLOB), CAST(lower(?) AS BLOB)) > 0',
      ' WHERE instr(CAST(lower("username") AS BLOB), CAST(lower(?) AS BLOB)) = 1',
      ' WHERE substr(CAST(lower("username") AS BLOB), -length(CAST(? AS BLOB))) = CAST(lower(?) AS BLOB)',
    ])
  })
})

describeOn('postgresql', 'a NUL byte in the text of contains on postgresql', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase({}, 'postgresql')
  })

  afterAll(async () => {
    await database.dispose()
  })

  it('is refused by the server (text cannot hold NUL there) with a named error, matching nothing', async () => {
    const session = database.session()
    const failure = await session.query(User).where({ username: { contains: 'a\u0000b' } }).all().then(
      () => undefined,
      (error: unknown) => error,
    )
    await session.close()
    expect(failure).toBeInstanceOf(DatabaseError)
    expect(failure).toMatchObject({ code: 'database_error' })
    expect(String(failure)).toContain('invalid byte sequence for encoding "UTF8": 0x00')
  })
})
