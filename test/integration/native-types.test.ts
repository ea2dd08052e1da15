// Every value PrismaClient reads and writes, read and written the same way: enums stored under @map names, Json defaults, PostgreSQL scalar lists (with their filters) and native types, checked both ways against a real PrismaClient.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Decimal, InvalidRequestError, type WhereInput } from 'prismalchemy'
import { generateFromFiles } from '../../generator/generate.js'
import { pushSchema } from '../../runtime/engine/schema-engine.js'
import { describeOn, DIALECTS, normalizeSql } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { loadPrismaClientForSchema, type PrismaClientLike } from '../helpers/prisma-client.js'
import { capturedSql } from '../helpers/sql-recorder.js'

/** Runs on both databases: an enum with @map values and a Json constant default. */
const PORTABLE_SCHEMA = `datasource db {
  provider = "sqlite"
}

enum Role {
  ADMIN @map("admin")
  USER  @map("user")
  GUEST
}

model Account {
  id       Int   @id @default(autoincrement())
  role     Role  @default(ADMIN)
  backup   Role?
  settings Json  @default("{\\"theme\\": \\"dark\\", \\"it's\\": [1, null]}")
}
`

/** PostgreSQL only: every scalar list and every native type PostgreSQL supports in Prisma 7 (citext needs an extension). */
const POSTGRES_SCHEMA = `datasource db {
  provider = "postgresql"
}

enum Role {
  ADMIN @map("admin")
  USER  @map("user")
  GUEST
}

model Lists {
  id     Int        @id @default(autoincrement())
  tags   String[]   @default([])
  labels String[]   @default(["a", "b"])
  roles  Role[]     @default([ADMIN])
  ints   Int[]
  bigs   BigInt[]
  floats Float[]
  decs   Decimal[]
  bools  Boolean[]
  dates  DateTime[]
  days   DateTime[] @db.Date
  jsons  Json[]
  bytes  Bytes[]
}

model Native {
  id       Int       @id @default(autoincrement())
  text     String?   @db.Text
  varchar  String?   @db.VarChar(20)
  char     String?   @db.Char(3)
  uuid     String?   @db.Uuid
  inet     String?   @db.Inet
  xml      String?   @db.Xml
  bit      String?   @db.Bit(3)
  varbit   String?   @db.VarBit(8)
  smallint Int?      @db.SmallInt
  integer  Int?      @db.Integer
  oid      Int?      @db.Oid
  real     Float?    @db.Real
  double   Float?    @db.DoublePrecision
  decimal  Decimal?  @db.Decimal(10, 3)
  money    Decimal?  @db.Money
  ts       DateTime? @db.Timestamp(6)
  tstz     DateTime? @db.Timestamptz(3)
  date     DateTime? @db.Date
  time     DateTime? @db.Time(3)
  timetz   DateTime? @db.Timetz(3)
  json     Json?     @db.Json
  jsonb    Json?     @db.JsonB
  bytea    Bytes?    @db.ByteA
  bool     Boolean?  @db.Boolean
  bigint   BigInt?   @db.BigInt
  wallets  Wallet[]
}

/// Times the runtime sets itself, in columns that keep less than a Date has.
model Stamp {
  id        Int      @id
  createdAt DateTime @default(now()) @db.Timestamp(0)
  updatedAt DateTime @updatedAt @db.Timestamptz(1)
  day       DateTime @default(now()) @db.Date
  clock     DateTime @default(now()) @db.Time(2)
}

model Wallet {
  id       Int     @id
  nativeId Int?
  /// @lazy(joined)
  native   Native? @relation(fields: [nativeId], references: [id])
}
`

/** A value as comparable plain data: PrismaClient's Decimal class is not ours, and bytes come as Buffer or Uint8Array. */
function plain(value: unknown): unknown {
  if (value === null || value === undefined) return value
  if (typeof value === 'bigint') return `${value}n`
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString('hex')}`
  if (Decimal.isDecimal(value) || (typeof value === 'object' && value.constructor?.name === 'Decimal')) return `decimal:${new Decimal(String(value)).toString()}`
  if (Array.isArray(value)) return value.map(plain)
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]))
  return value
}

/** The columns of an object (or a PrismaClient row) named in `fields`, as plain data. */
function columnsOf(row: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((field) => [field, plain(row[field])]))
}

describe.each(DIALECTS)('enums stored under @map names and Json defaults, on %s', (dialect) => {
  let models: InlineModels
  let client: PrismaClientLike
  let Account: InlineModels['classes'][string]

  beforeAll(async () => {
    models = await inlineModels('native-types-portable', PORTABLE_SCHEMA, dialect)
    client = (await loadPrismaClientForSchema(PORTABLE_SCHEMA, dialect))(models.database.url)
    ;({ Account } = models.classes)
  }, 120_000)

  afterAll(async () => {
    await client?.$disconnect()
    await models?.dispose()
  })

  beforeEach(async () => {
    await models.database.execute('DELETE FROM "Account"')
  })

  it('writes the @map name and reads the value name, as PrismaClient does', async () => {
    await models.inSession(async (session) => {
      session.add(new Account({ id: 1, role: 'USER', backup: 'GUEST' }))
      session.add(new Account({ id: 2 }))
      await session.commit()
    })
    const stored = await models.readRows<{ id: number; role: string; backup: string | null }>('SELECT id, role, backup FROM "Account" ORDER BY id')
    expect(stored.map((row) => [Number(row.id), row.role, row.backup])).toEqual([
      [1, 'user', 'GUEST'],
      [2, 'admin', null],
    ])
    const fromPrisma = await client.account.findMany({ orderBy: { id: 'asc' } })
    expect(fromPrisma.map((row: Record<string, unknown>) => [row.id, row.role, row.backup])).toEqual([
      [1, 'USER', 'GUEST'],
      [2, 'ADMIN', null],
    ])
  })

  it('reads rows PrismaClient wrote as the value names, and filters by value name', async () => {
    await client.account.create({ data: { id: 3, role: 'USER', backup: 'ADMIN' } })
    await client.account.create({ data: { id: 4, role: 'GUEST' } })
    await models.inSession(async (session) => {
      const three = await session.get(Account, 3)
      expect([three.role, three.backup]).toEqual(['USER', 'ADMIN'])
      const users = await session.query(Account).where({ role: 'USER' }).all()
      expect(users.map((account: { id: number }) => account.id)).toEqual([3])
      const some = await session.query(Account).where({ role: { in: ['USER', 'GUEST'] }, backup: { not: 'ADMIN' } }).all()
      expect(some.map((account: { id: number }) => account.id)).toEqual([])
      three.role = 'ADMIN'
      await session.commit()
    })
    expect((await client.account.findUnique({ where: { id: 3 } })).role).toBe('ADMIN')
    expect((await models.readRows<{ role: string }>('SELECT role FROM "Account" WHERE id = 3'))[0].role).toBe('admin')
  })

  it('creates the table with a Json constant default and fills it on insert, as PrismaClient does', async () => {
    await models.inSession(async (session) => {
      session.add(new Account({ id: 5 }))
      await session.commit()
    })
    await client.account.create({ data: { id: 6 } })
    const expected = { theme: 'dark', "it's": [1, null] }
    expect((await client.account.findUnique({ where: { id: 5 } })).settings).toEqual(expected)
    await models.inSession(async (session) => {
      expect((await session.get(Account, 6)).settings).toEqual(expected)
    })
    // A second createAll finds nothing to change (no table rebuilt on every start).
    expect((await pushSchema({ url: models.database.url, sources: models.registry.schema.sources })).executedSteps).toBe(0)
  })
})

describe('scalar lists on SQLite', () => {
  it('are refused with Prisma\'s own validation message', async () => {
    const schema = 'datasource db {\n  provider = "sqlite"\n}\n\nmodel Post {\n  id   Int      @id\n  tags String[]\n}\n'
    const failure = await generateFromFiles([{ path: 'schema/schema.prisma', content: schema }], 'schema').catch((error: unknown) => error)
    expect(failure).toMatchObject({ name: 'SchemaError', code: 'schema_invalid' })
    expect((failure as Error).message).toContain('Field "tags" in model "Post" can\'t be a list. The current connector does not support lists of primitive types.')
  })
})

describeOn('postgresql', 'scalar lists and native types on postgresql', () => {
  let models: InlineModels
  let client: PrismaClientLike
  let Lists: InlineModels['classes'][string]
  let Native: InlineModels['classes'][string]
  let Wallet: InlineModels['classes'][string]

  const lists = {
    tags: ['x', 'with "quotes", commas and \\ backslash', ''],
    labels: ['c'],
    roles: ['USER', 'GUEST'],
    ints: [1, -2, 2147483647],
    bigs: [9007199254740993n, -1n],
    floats: [1.5, -0.25],
    decs: [new Decimal('12.25'), new Decimal('-0.000001')],
    bools: [true, false],
    dates: [new Date('2024-01-02T03:04:05.678Z'), new Date('1999-12-31T23:59:59.000Z')],
    days: [new Date('2024-02-29T00:00:00.000Z')],
    jsons: [{ a: 1, b: [true, null] }, [1, 'two'], 'text', 3],
    bytes: [new Uint8Array([0, 1, 255]), new Uint8Array([])],
  }
  const listFields = Object.keys(lists)

  const native = {
    text: 'long text',
    varchar: 'short',
    char: 'ab ',
    uuid: '123e4567-e89b-12d3-a456-426614174000',
    inet: '10.0.0.1/24',
    xml: '<a>1</a>',
    bit: '101',
    varbit: '0110',
    smallint: -32768,
    integer: 2147483647,
    oid: 4294967295,
    real: 1.25,
    double: 2.000000001,
    decimal: new Decimal('1234.5'),
    money: new Decimal('-1234.51'),
    ts: new Date('2024-01-02T03:04:05.678Z'),
    tstz: new Date('2024-01-02T03:04:05.678Z'),
    date: new Date('2024-01-02T00:00:00.000Z'),
    time: new Date('1970-01-01T03:04:05.678Z'),
    timetz: new Date('1970-01-01T23:59:59.001Z'),
    json: { a: [1, { b: null }] },
    jsonb: [1, 'two', { three: 3 }],
    bytea: new Uint8Array([1, 2, 3]),
    bool: false,
    bigint: 9007199254740993n,
  }
  const nativeFields = Object.keys(native)

  beforeAll(async () => {
    models = await inlineModels('native-types-postgres', POSTGRES_SCHEMA, 'postgresql')
    client = (await loadPrismaClientForSchema(POSTGRES_SCHEMA, 'postgresql'))(models.database.url)
    ;({ Lists, Native, Wallet } = models.classes)
  }, 120_000)

  afterAll(async () => {
    await client?.$disconnect()
    await models?.dispose()
  })

  beforeEach(async () => {
    await models.database.execute('DELETE FROM "Lists"; DELETE FROM "Wallet"; DELETE FROM "Native"; DELETE FROM "Stamp";')
  })

  it('writes lists that PrismaClient reads back identically, defaults and empty lists included', async () => {
    await models.inSession(async (session) => {
      session.add(new Lists({ id: 1, ...lists }))
      session.add(new Lists({ id: 2 }))
      await session.commit()
    })
    const [full, empty] = await client.lists.findMany({ orderBy: { id: 'asc' } })
    expect(columnsOf(full, listFields)).toEqual(columnsOf(lists, listFields))
    expect(columnsOf(empty, listFields)).toEqual({
      tags: [],
      labels: ['a', 'b'],
      roles: ['ADMIN'],
      ints: [],
      bigs: [],
      floats: [],
      decs: [],
      bools: [],
      dates: [],
      days: [],
      jsons: [],
      bytes: [],
    })
    const stored = await models.readRows<{ roles: string }>('SELECT roles::text AS roles FROM "Lists" WHERE id = 1')
    expect(stored[0].roles).toBe('{user,GUEST}')
  })

  it('reads lists PrismaClient wrote identically, a missing list as []', async () => {
    await client.lists.create({ data: { id: 3, ...lists } })
    await client.lists.create({ data: { id: 4 } })
    await models.inSession(async (session) => {
      const [full, empty] = await session.query(Lists).orderBy('id').all()
      expect(columnsOf(full, listFields)).toEqual(columnsOf(lists, listFields))
      expect(columnsOf(empty, listFields)).toEqual(columnsOf(await client.lists.findUnique({ where: { id: 4 } }), listFields))
      expect(empty.ints).toEqual([])
    })
  })

  it('sees a new list assigned, and refuses a change in place instead of losing it (lists are values, as SQLAlchemy\'s ARRAY)', async () => {
    await client.lists.create({ data: { id: 5, tags: ['a'] } })
    await models.inSession(async (session) => {
      const row = await session.get(Lists, 5)
      expect(() => row.tags.push('in place')).toThrow(TypeError)
      expect(row.tags).toEqual(['a'])
      expect(await capturedSql(models.engine, () => session.flush())).toEqual([])
      const mine = ['a']
      row.tags = mine
      mine.push('b')
      expect(row.tags).toEqual(['a'])
      expect(() => row.tags.push('b')).toThrow(TypeError)
      const fresh = new Lists({ id: 6 })
      session.add(fresh)
      await session.flush()
      expect(() => fresh.labels.push('c')).toThrow(TypeError)
      row.tags = [...row.tags, 'b']
      const flushed = await capturedSql(models.engine, () => session.flush())
      expect(flushed.map(normalizeSql)).toEqual(['UPDATE "Lists" SET "tags" = ? WHERE "id" = ?'])
      row.tags = ['a', 'b']
      expect(await capturedSql(models.engine, () => session.flush())).toEqual([])
      await session.commit()
    })
    expect((await client.lists.findUnique({ where: { id: 5 } })).tags).toEqual(['a', 'b'])
  })

  it('filters lists with has, hasSome, hasEvery, isEmpty and equals, in PrismaClient\'s SQL and with its results', async () => {
    await client.lists.create({ data: { id: 10, tags: ['a', 'b'], roles: ['ADMIN', 'USER'] } })
    await client.lists.create({ data: { id: 11, tags: ['b'], roles: ['GUEST'] } })
    await client.lists.create({ data: { id: 12, tags: [], roles: [] } })
    type Case = { where: WhereInput<{ tags: string[]; roles: string[] }>; sql: string; parameters: unknown[]; prisma?: object }
    const cases: Case[] = [
      { where: { tags: { has: 'a' } }, sql: '"tags" @> ?', parameters: [['a']] },
      { where: { roles: { has: 'USER' } }, sql: '"roles" @> ?', parameters: [['user']] },
      { where: { tags: { hasSome: ['a', 'z'] } }, sql: '"tags" && ?', parameters: [['a', 'z']] },
      { where: { roles: { hasEvery: ['ADMIN', 'USER'] } }, sql: '"roles" @> ?', parameters: [['admin', 'user']] },
      { where: { tags: { isEmpty: true } }, sql: '"tags" = ?', parameters: [[]] },
      { where: { tags: { isEmpty: false } }, sql: '"tags" <> ?', parameters: [[]] },
      { where: { tags: { equals: ['b'] } }, sql: '"tags" = ?', parameters: [['b']] },
      // A bare array is our shorthand for equals (as a bare scalar is for scalars); PrismaClient takes only `equals`.
      { where: { tags: ['a', 'b'] }, sql: '"tags" = ?', parameters: [['a', 'b']], prisma: { tags: { equals: ['a', 'b'] } } },
    ]
    await models.inSession(async (session) => {
      for (const { where, sql, parameters, prisma } of cases) {
        const recorded: { sql: string; parameters: readonly unknown[] }[] = []
        const stop = models.engine.onStatement((statement) => recorded.push(statement))
        const ours = await session.query(Lists).where(where).orderBy('id').all()
        stop()
        expect(normalizeSql(recorded[0].sql)).toMatch(new RegExp(` WHERE ${sql.replace(/[$()*+.?[\\\]^{|}]/g, '\\$&')}`))
        expect(recorded[0].parameters.slice(0, 1)).toEqual([parameters[0]])
        const theirs = await client.lists.findMany({ where: prisma ?? where, orderBy: { id: 'asc' } })
        expect(ours.map((row: { id: number }) => row.id)).toEqual(theirs.map((row: { id: number }) => row.id))
      }
    })
  })

  it('refuses a scalar filter on a list and a list filter on a scalar', async () => {
    await models.inSession(async (session) => {
      expect(() => session.query(Lists).where({ tags: { contains: 'a' } })).toThrow(InvalidRequestError)
      expect(() => session.query(Lists).where({ tags: { hasSome: 'a' } })).toThrow(InvalidRequestError)
      expect(() => session.query(Native).where({ text: { has: 'a' } })).toThrow(InvalidRequestError)
    })
    // @ts-expect-error contains is a string filter, not a list filter
    const wrongOnList: WhereInput<{ tags: string[] }> = { tags: { contains: 'a' } }
    // @ts-expect-error has is a list filter, not a string filter
    const wrongOnScalar: WhereInput<{ name: string }> = { name: { has: 'a' } }
    expect([wrongOnList, wrongOnScalar]).toHaveLength(2)
  })

  it('writes every native type so that PrismaClient reads it back identically', async () => {
    await models.inSession(async (session) => {
      session.add(new Native({ id: 1, ...native }))
      session.add(new Native({ id: 2, money: new Decimal('1234.51') }))
      await session.commit()
    })
    const [full, money] = await client.native.findMany({ orderBy: { id: 'asc' } })
    expect(columnsOf(full, nativeFields)).toEqual(columnsOf(native, nativeFields))
    expect(plain(money.money)).toBe('decimal:1234.51')
  })

  it('holds now() and @updatedAt as the column stores them (rounded to its digits, the day or the time of day), as PrismaClient reads them', async () => {
    const stampFields = ['createdAt', 'updatedAt', 'day', 'clock']
    const { Stamp } = models.classes
    const stamp = new Stamp({ id: 1 })
    await models.inSession(async (session) => {
      session.add(stamp)
      await session.commit()
      expect(columnsOf(stamp, stampFields)).toEqual(columnsOf(await client.stamp.findUnique({ where: { id: 1 } }), stampFields))
      expect(stamp.createdAt.getUTCMilliseconds()).toBe(0)
      expect(stamp.updatedAt.getUTCMilliseconds() % 100).toBe(0)
      expect(stamp.day.toISOString()).toMatch(/T00:00:00\.000Z$/)
      expect(stamp.clock.toISOString()).toMatch(/^1970-01-01T\d\d:\d\d:\d\d\.\d\d0Z$/)
      stamp.day = new Date('2024-01-02T00:00:00.000Z')
      await session.commit()
      expect(columnsOf(stamp, stampFields)).toEqual(columnsOf(await client.stamp.findUnique({ where: { id: 1 } }), stampFields))
    })
  })

  it('reads every native type PrismaClient wrote identically, in joined loads too', async () => {
    await client.native.create({ data: { id: 3, ...native } })
    await client.native.create({ data: { id: 4, money: '1234.51' } })
    await models.inSession(async (session) => {
      const [full, money] = await session.query(Native).orderBy('id').all()
      expect(columnsOf(full, nativeFields)).toEqual(columnsOf(await client.native.findUnique({ where: { id: 3 } }), nativeFields))
      expect(columnsOf(full, nativeFields)).toEqual(columnsOf(native, nativeFields))
      expect(money.money).toEqual(new Decimal('1234.51'))
      const sql = await capturedSql(models.engine, () => session.query(Native).where({ money: { lt: 0 } }).all())
      expect(sql.at(-1)).toContain('CAST("money" AS numeric)')
      expect(sql.at(-1)).toContain('WHERE "money" < $1')
    })
    await client.wallet.create({ data: { id: 1, nativeId: 4 } })
    await models.inSession(async (session) => {
      const sql = await capturedSql(models.engine, async () => {
        const wallet = await session.get(Wallet, 1)
        expect((await wallet.native).money).toEqual(new Decimal('1234.51'))
      })
      expect(sql.join('\n')).toContain('CAST("t1"."money" AS numeric)')
    })
  })
})
