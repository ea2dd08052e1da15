// The MySQL/MariaDB dialect: its SQL pinned, and on the test run's MariaDB server every scalar type stored as PrismaClient stores it and read back, LIKE with wildcard characters, LIMIT/OFFSET, and a session end to end.
import { Decimal } from 'decimal.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, type Engine, Session, sql as rawSql } from 'prismalchemy'
import type { ModelRegistry } from 'prismalchemy/internal'
import { mysqlDialect } from '../../runtime/databases/mysql/mysql-dialect.js'
import { sql } from '../../runtime/sql/nodes.js'
import { scratchDatabase, type ScratchDatabase } from '../helpers/database.js'
import { describeOn } from '../helpers/dialects.js'
import { importInlineModels } from '../helpers/inline-models.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const SCHEMA = `datasource db {
  provider = "mysql"
}

enum Mood {
  HAPPY
  SAD @map("sad")
}

model Sample {
  id    Int      @id
  text  String
  count Int
  big   BigInt
  ratio Float
  price Decimal
  flag  Boolean
  at    DateTime
  meta  Json
  blob  Bytes
  mood  Mood
  day   DateTime @db.Date
  clock DateTime @db.Time(3)
  note  String?
}

model Word {
  id   Int    @id
  text String
}

model Note {
  id    Int     @id @default(autoincrement())
  title String
  done  Boolean @default(false)
}
`

/** The tables as Prisma's MySQL renderer writes them (docs/notes/mariadb-adapter.md §7), created by hand: the schema push is another module's. */
const TABLES = [
  'CREATE TABLE `Sample` (`id` INTEGER NOT NULL, `text` VARCHAR(191) NOT NULL, `count` INTEGER NOT NULL, `big` BIGINT NOT NULL, `ratio` DOUBLE NOT NULL, ' +
    "`price` DECIMAL(65, 30) NOT NULL, `flag` BOOLEAN NOT NULL, `at` DATETIME(3) NOT NULL, `meta` JSON NOT NULL, `blob` LONGBLOB NOT NULL, `mood` ENUM('HAPPY', 'sad') NOT NULL, " +
    '`day` DATE NOT NULL, `clock` TIME(3) NOT NULL, `note` VARCHAR(191) NULL, PRIMARY KEY (`id`)) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci',
  'CREATE TABLE `Word` (`id` INTEGER NOT NULL, `text` VARCHAR(191) NOT NULL, PRIMARY KEY (`id`)) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci',
  'CREATE TABLE `Note` (`id` INTEGER NOT NULL AUTO_INCREMENT, `title` VARCHAR(191) NOT NULL, `done` BOOLEAN NOT NULL DEFAULT false, PRIMARY KEY (`id`)) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci',
]

/** The text of one statement compiled for MySQL. */
function compiled(node: Parameters<ReturnType<typeof mysqlDialect.createCompiler>['compile']>[0]): { sql: string; parameters: readonly unknown[] } {
  const { sql: text, parameters } = mysqlDialect.createCompiler().compile(node)
  return { sql: text, parameters }
}

describe('the MySQL compiler', () => {
  const table = { kind: 'table', name: 'Word' } as const
  const text = sql.column('text')

  it('quotes identifiers in backticks, doubling an embedded backtick, and binds with ?', () => {
    expect(compiled({ kind: 'select', from: { kind: 'table', name: 'we`ird' }, selection: { kind: 'columns', columns: [sql.column('a`b')] }, where: sql.binary(sql.column('id'), '=', sql.value(1, 'Int')) })).toEqual({
      sql: 'SELECT `a``b` FROM `we``ird` WHERE `id` = ?',
      parameters: [1],
    })
  })

  it('writes LIMIT ? OFFSET ?, and the largest BIGINT as the limit of an OFFSET alone, as PrismaClient does', () => {
    const select = { kind: 'select', from: table, selection: { kind: 'columns', columns: [text] }, orderBy: [{ kind: 'order-by', column: sql.column('id'), direction: 'asc' }] } as const
    expect(compiled({ ...select, limit: 2, offset: 1 })).toEqual({ sql: 'SELECT `text` FROM `Word` ORDER BY `id` ASC LIMIT ? OFFSET ?', parameters: [2, 1] })
    expect(compiled({ ...select, limit: 2 })).toEqual({ sql: 'SELECT `text` FROM `Word` ORDER BY `id` ASC LIMIT ?', parameters: [2] })
    expect(compiled({ ...select, offset: 3 })).toEqual({ sql: 'SELECT `text` FROM `Word` ORDER BY `id` ASC LIMIT 9223372036854775807 OFFSET ?', parameters: [3] })
  })

  it("escapes LIKE patterns with / (ESCAPE '/'), which means the same in every SQL mode", () => {
    const like = (pattern: string) => compiled({ kind: 'select', from: table, selection: { kind: 'columns', columns: [text] }, where: sql.like(text, sql.value(pattern, 'String')) })
    // The query builder escapes with backslashes: %50\%% is "contains 50%".
    expect(like('%50\\%%')).toEqual({ sql: "SELECT `text` FROM `Word` WHERE `text` LIKE ? ESCAPE '/'", parameters: ['%50/%%'] })
    expect(like('a\\_b\\\\c/d%')).toEqual({ sql: "SELECT `text` FROM `Word` WHERE `text` LIKE ? ESCAPE '/'", parameters: ['a/_b\\c//d%'] })
  })

  it('skips duplicates with INSERT IGNORE and inserts a row of defaults with () VALUES ()', () => {
    expect(compiled({ kind: 'insert', into: table, columns: [sql.column('id'), text], rows: [[sql.value(1, 'Int'), sql.value('a', 'String')]], onConflictDoNothing: true })).toEqual({
      sql: 'INSERT IGNORE INTO `Word` (`id`, `text`) VALUES (?, ?)',
      parameters: [1, 'a'],
    })
    expect(compiled({ kind: 'insert', into: table, columns: [], rows: [] }).sql).toBe('INSERT INTO `Word` () VALUES ()')
  })

  it('binds values as adapter-mariadb writes them for PrismaClient', () => {
    const at = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678))
    expect(mysqlDialect.encode(at, 'DateTime')).toBe('2024-01-02 03:04:05.678')
    expect(mysqlDialect.encode(new Date(0), 'DateTime')).toBe('1970-01-01 00:00:00')
    expect(mysqlDialect.encode({ a: [1, 'x'] }, 'Json')).toBe('{"a":[1,"x"]}')
    expect(mysqlDialect.encode('text', 'Json')).toBe('"text"')
    expect(mysqlDialect.encode(new Decimal('12345678901234567890.123456789'), 'Decimal')).toBe('12345678901234567890.123456789')
    expect(mysqlDialect.encode(9007199254740993n, 'BigInt')).toBe(9007199254740993n)
    expect(mysqlDialect.encode(true, 'Boolean')).toBe(true)
    expect(mysqlDialect.encode(new Uint8Array([0, 255]), 'Bytes')).toEqual(Buffer.from([0, 255]))
    expect(mysqlDialect.encode(at, { scalar: 'DateTime', list: false, nativeType: 'Date' })).toBe('2024-01-02')
    expect(mysqlDialect.encode(at, { scalar: 'DateTime', list: false, nativeType: 'Time' })).toBe('03:04:05.678')
  })

  it('reads back what adapter-mariadb returns', () => {
    expect(mysqlDialect.decoder('Boolean')(1)).toBe(true)
    expect(mysqlDialect.decoder('Boolean')(0)).toBe(false)
    expect(mysqlDialect.decoder('Boolean')(Buffer.from([1]))).toBe(true)
    expect(mysqlDialect.decoder('BigInt')('9007199254740993')).toBe(9007199254740993n)
    expect(mysqlDialect.decoder('BigInt')(5)).toBe(5n)
    expect(mysqlDialect.decoder('Int')('7')).toBe(7)
    expect(mysqlDialect.decoder('Decimal')('1.500000000000000000000000000000')).toEqual(new Decimal('1.5'))
    expect(mysqlDialect.decoder('DateTime')('2024-01-02T03:04:05.678+00:00')).toEqual(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)))
    expect(mysqlDialect.decoder('Json')('{"a": 1}')).toEqual({ a: 1 })
    expect(mysqlDialect.decoder({ scalar: 'DateTime', list: false, nativeType: 'Time' })('03:04:05.678000')).toEqual(new Date(Date.UTC(1970, 0, 1, 3, 4, 5, 678)))
  })
})

describeOn('mysql', 'on a MariaDB server', () => {
  let database: ScratchDatabase
  let registry: ModelRegistry
  let Sample: new (init?: object) => any
  let Word: new (init?: object) => any
  let Note: new (init?: object) => any
  let engine: Engine

  /** Rows read with the plain mariadb driver (no session): what is really stored. */
  const rows = (text: string): Promise<Record<string, unknown>[]> => database.readRows(text)

  beforeAll(async () => {
    database = await scratchDatabase('mysql')
    ;({ registry } = await importInlineModels('mysql-dialect', SCHEMA))
    Sample = registry.classes.Sample as typeof Sample
    Word = registry.classes.Word as typeof Word
    Note = registry.classes.Note as typeof Note
    await database.execute(TABLES.join(';\n'))
    engine = createEngine(database.url)
  })

  afterAll(async () => {
    await engine?.dispose()
    await database?.drop()
  })

  it('stores every scalar type as PrismaClient stores it, and reads it back', async () => {
    const at = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678))
    const session = new Session({ bind: engine })
    session.add(
      new Sample({
        id: 1,
        text: 'é ☃',
        count: -2147483648,
        big: 9007199254740993n,
        ratio: 0.1,
        price: new Decimal('12345678901234567890.123456789'),
        flag: true,
        at,
        meta: { a: [1, 'x'], s: 'é' },
        blob: new Uint8Array([0, 255, 1]),
        mood: 'SAD',
        day: new Date(Date.UTC(2024, 0, 2)),
        clock: new Date(Date.UTC(1970, 0, 1, 3, 4, 5, 678)),
        note: null,
      }),
    )
    await session.commit()
    await session.close()
    const [stored] = await rows(
      'SELECT `text`, `count`, CAST(`big` AS CHAR) AS big, `ratio`, CAST(`price` AS CHAR) AS price, CAST(`flag` AS CHAR) AS flag, CAST(`at` AS CHAR) AS at, ' +
        'CAST(`meta` AS CHAR) AS meta, HEX(`blob`) AS `blob`, `mood`, CAST(`day` AS CHAR) AS day, CAST(`clock` AS CHAR) AS clock, `note` FROM `Sample`',
    )
    expect(stored).toEqual({
      text: 'é ☃',
      count: -2147483648,
      big: '9007199254740993',
      ratio: 0.1,
      price: '12345678901234567890.123456789000000000000000000000',
      flag: '1',
      at: '2024-01-02 03:04:05.678',
      meta: '{"a":[1,"x"],"s":"é"}',
      blob: '00FF01',
      mood: 'sad',
      day: '2024-01-02',
      clock: '03:04:05.678',
      note: null,
    })
    const reader = new Session({ bind: engine })
    const sample = await reader.get(Sample, 1)
    const fields = ['id', 'text', 'count', 'big', 'ratio', 'price', 'flag', 'at', 'meta', 'blob', 'mood', 'day', 'clock', 'note']
    expect(Object.fromEntries(fields.map((field) => [field, sample[field]]))).toEqual({
      id: 1,
      text: 'é ☃',
      count: -2147483648,
      big: 9007199254740993n,
      ratio: 0.1,
      price: new Decimal('12345678901234567890.123456789'),
      flag: true,
      at,
      meta: { a: [1, 'x'], s: 'é' },
      blob: new Uint8Array([0, 255, 1]),
      mood: 'SAD',
      day: new Date(Date.UTC(2024, 0, 2)),
      clock: new Date(Date.UTC(1970, 0, 1, 3, 4, 5, 678)),
      note: null,
    })
    expect(await reader.query(Sample).where({ flag: true, big: 9007199254740993n, at, mood: 'SAD' }).count()).toBe(1)
    expect(await reader.query(Sample).where({ flag: false }).count()).toBe(0)
    await reader.close()
  })

  describe('with words', () => {
    const WORDS = ['100%', '100', '1_0', '150', 'a\\b', 'ab', 'a/b', 'a//b', 'Case', 'case', '%_\\/']

    beforeAll(async () => {
      const session = new Session({ bind: engine })
      session.addAll(WORDS.map((text, i) => new Word({ id: i + 1, text })))
      await session.commit()
      await session.close()
    })

    it.each([
      ['contains', '%', ['100%', '%_\\/']],
      ['contains', '_', ['1_0', '%_\\/']],
      ['contains', '\\', ['a\\b', '%_\\/']],
      ['contains', '/', ['a/b', 'a//b', '%_\\/']],
      ['contains', '//', ['a//b']],
      ['startsWith', '10', ['100%', '100']],
      ['endsWith', '0%', ['100%']],
      ['endsWith', '\\/', ['%_\\/']],
    ] as const)('matches %s %j literally', async (operator, operand, expected) => {
      const session = new Session({ bind: engine })
      const found = await session.query(Word).where({ text: { [operator]: operand } }).orderBy('id').all()
      expect(found.map((word: { text: string }) => word.text)).toEqual(expected)
      await session.close()
    })

    it("compares text by the column's collation: utf8mb4_unicode_ci ignores case, as PrismaClient's queries do there", async () => {
      const session = new Session({ bind: engine })
      expect((await session.query(Word).where({ text: { startsWith: 'CA' } }).orderBy('id').all()).map((word: { text: string }) => word.text)).toEqual(['Case', 'case'])
      await session.close()
    })

    it('pages with LIMIT and OFFSET, and with OFFSET alone', async () => {
      const session = new Session({ bind: engine })
      const statements = await capturedSql(engine, async () => {
        expect((await session.query(Word).orderBy('id').limit(2).offset(1).all()).map((word: { id: number }) => word.id)).toEqual([2, 3])
        expect((await session.query(Word).orderBy('id').offset(9).all()).map((word: { id: number }) => word.id)).toEqual([10, 11])
      })
      expect(statements).toEqual([
        'SELECT `id`, `text` FROM `Word` ORDER BY `id` ASC LIMIT ? OFFSET ?',
        'SELECT `id`, `text` FROM `Word` ORDER BY `id` ASC LIMIT 9223372036854775807 OFFSET ?',
      ])
      await session.close()
    })
  })

  it('runs a session end to end: flushes inserts with known keys, an update and a delete; gets from the identity map; queries with a filter, an order and a limit', async () => {
    const session = new Session({ bind: engine })
    const statements = await capturedSql(engine, async () => {
      session.addAll([new Word({ id: 101, text: 'gamma' }), new Word({ id: 102, text: 'alpha' }), new Word({ id: 103, text: 'beta' })])
      await session.commit()
      const alpha = await session.get(Word, 102)
      expect(alpha.text).toBe('alpha')
      expect(await session.get(Word, 102)).toBe(alpha)
      alpha.text = 'alpha2'
      await session.delete(await session.get(Word, 101))
      await session.commit()
      const found = await session.query(Word).where({ id: { gte: 101 }, text: { not: 'zeta' } }).orderBy('text', 'desc').limit(5).all()
      expect(found.map((word: { id: number; text: string }) => [word.id, word.text])).toEqual([
        [103, 'beta'],
        [102, 'alpha2'],
      ])
    })
    expect(statements).toEqual([
      'BEGIN',
      'INSERT INTO `Word` (`id`, `text`) VALUES (?, ?), (?, ?), (?, ?)',
      'COMMIT',
      'SELECT `id`, `text` FROM `Word` WHERE `id` = ?',
      // The second get of 102 is answered by the identity map; the get of 101 autoflushes the change to 102 first.
      'BEGIN',
      'UPDATE `Word` SET `text` = ? WHERE `id` = ?',
      'SELECT `id`, `text` FROM `Word` WHERE `id` = ?',
      'DELETE FROM `Word` WHERE `id` IN (?)',
      'COMMIT',
      'SELECT `id`, `text` FROM `Word` WHERE `id` >= ? AND `text` <> ? ORDER BY `text` DESC LIMIT ?',
    ])
    expect(await rows('SELECT `id`, `text` FROM `Word` WHERE `id` > 100 ORDER BY `id`')).toEqual([
      { id: 102, text: 'alpha2' },
      { id: 103, text: 'beta' },
    ])
    await session.close()
  })

  it('reads the keys the server generates from the driver, one INSERT per row', async () => {
    const session = new Session({ bind: engine })
    const notes = [new Note({ title: 'a' }), new Note({ title: 'b' })]
    session.addAll(notes)
    const statements = await capturedSql(engine, () => session.commit())
    expect(notes.map((note) => note.id)).toEqual([1, 2])
    expect(statements).toEqual(['BEGIN', 'INSERT INTO `Note` (`title`, `done`) VALUES (?, ?)', 'INSERT INTO `Note` (`title`, `done`) VALUES (?, ?)', 'COMMIT'])
    expect(await rows('SELECT `id`, `title`, `done` FROM `Note` ORDER BY `id`')).toEqual([
      { id: 1, title: 'a', done: 0 },
      { id: 2, title: 'b', done: 0 },
    ])
    await session.close()
  })

  it("sets the session time zone to +00:00, so TIMESTAMP columns and NOW() agree with the UTC wall clock DATETIME values are written in", async () => {
    const session = new Session({ bind: engine })
    expect((await session.execute(rawSql`SELECT @@session.time_zone AS zone`)).rows).toEqual([{ zone: '+00:00' }])
    await session.close()
  })

  it.each([
    [false, 4],
    [true, 1],
  ])('prepares a statement on every call, or once per connection with preparedStatements (%s: %i prepares)', async (preparedStatements, prepares) => {
    const prepared = createEngine(database.url, { preparedStatements })
    const session = new Session({ bind: prepared })
    try {
      // A write first: the transaction keeps every later statement on one server connection.
      session.add(new Word({ id: 200 + prepares, text: 'prepared' }))
      await session.flush()
      const counter = async () => Number((await session.execute(rawSql`SHOW SESSION STATUS LIKE 'Com_stmt_prepare'`)).rows[0].Value)
      const before = await counter()
      for (let i = 0; i < 3; i++) await session.query(Word).where({ id: 1 }).all()
      // Three SELECTs and the second SHOW: prepared four times, or the SELECT once (the SHOW is cached).
      expect((await counter()) - before).toBe(prepares)
    } finally {
      await session.close()
      await prepared.dispose()
    }
  })
})
