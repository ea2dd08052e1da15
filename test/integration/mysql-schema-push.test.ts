// createAll/dropAll (pushSchema/dropSchema) on a real MariaDB server, where Prisma's schema engine has no connector and the
// DDL is rendered as `prisma db push` would create it: the tables as the server shows them, a second push that does
// nothing, a refused push when an existing table differs, drops that touch the schema's tables only, and PrismaClient
// reading and writing the tables.
import mariadb from 'mariadb'
import { afterAll, expect, inject, it } from 'vitest'
import { registry } from '../../generated/models.js'
import { dropSchema, pushSchema, type SchemaSource } from '../../runtime/engine/schema-engine.js'
import { compatibleSchema } from '../../generator/dmmf/prisma6-compat.js'
import { ConfigurationError, DatabaseError, DatabaseUnavailableError, SchemaPushError } from '../../runtime/errors.js'
import { CORPUS, REAL_SCHEMAS_DIR, REAL_SCHEMAS_PRESENT } from '../corpus/corpus-schemas.js'
import { readCorpusFiles } from '../corpus/schema-copies.js'
import { describeOn } from '../helpers/dialects.js'
import { freePort } from '../setup/postgres-server.js'
import { MYSQL_FEATURES_SCHEMA } from '../helpers/mysql-feature-schema.js'
import { loadPrismaClientForSchema } from '../helpers/prisma-client.js'
import { AUTHOR_BOOK_MODELS, POST_TAG_MODELS, ROLE_USER_MODELS, sqliteSchema } from '../helpers/schemas.js'

const example = registry.schema.sources
const features: SchemaSource[] = [{ path: 'schema.prisma', content: MYSQL_FEATURES_SCHEMA }]

describeOn('mysql', 'createAll/dropAll on MySQL (DDL rendered as prisma db push does)', () => {
  /** The test server's `mysql` database, where the tests look at the server's catalog. */
  const serverUrl = (): string => inject('mysqlUrl')
  /** The name of this file's `n`th database: a worker of another run never takes it. */
  const databaseName = (n: number): string => `push_${process.pid}_${n}`
  let counter = 0

  afterAll(async () => {
    if (counter > 0) await sql(serverUrl(), ...Array.from({ length: counter }, (_, i) => `DROP DATABASE IF EXISTS \`${databaseName(i + 1)}\``))
  })

  /** The URL of database `name` on the test server. */
  const urlFor = (name: string): string => serverUrl().replace(/\/mysql$/, `/${name}`)

  /** The URL of a database no test used yet (it does not exist until a push creates it). */
  const freshUrl = (): string => urlFor(databaseName(++counter))

  /** Runs `sqlText` statements on `url`'s database with the plain driver, one at a time, and returns the last one's rows. */
  async function sql<T = Record<string, unknown>>(url: string, ...statements: string[]): Promise<T[]> {
    const connection = await mariadb.createConnection(url.replace(/^mysql:/, 'mariadb:'))
    try {
      let rows: unknown = []
      for (const statement of statements) rows = await connection.query(statement)
      return rows as T[]
    } finally {
      await connection.end()
    }
  }

  const tableNames = async (url: string): Promise<string[]> =>
    (await sql<{ name: string }>(url, 'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()')).map((row) => row.name).sort()

  const showCreate = async (url: string, table: string): Promise<string> => (await sql<Record<string, string>>(url, `SHOW CREATE TABLE \`${table}\``))[0]['Create Table']

  it('creates the missing database (utf8mb4, utf8mb4_unicode_ci) and the example schema tables as the server shows them', async () => {
    const url = freshUrl()

    const result = await pushSchema({ url, sources: example })

    // 4 CREATE TABLE, then 3 foreign keys.
    expect(result).toEqual({ executedSteps: 7, warnings: [] })
    expect(await sql(serverUrl(), `SELECT DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${databaseName(counter)}'`)).toEqual([
      { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' },
    ])
    expect(await tableNames(url)).toEqual(['Role', 'comments', 'posts', 'users'])
    expect(await showCreate(url, 'users')).toBe(`CREATE TABLE \`users\` (
  \`id\` int(11) NOT NULL AUTO_INCREMENT,
  \`username\` varchar(191) NOT NULL,
  \`email\` varchar(191) DEFAULT NULL,
  \`roleId\` int(11) DEFAULT NULL,
  \`plan\` enum('FREE','PRO','ENTERPRISE') NOT NULL DEFAULT 'FREE',
  \`active\` tinyint(1) NOT NULL DEFAULT 1,
  \`quota\` bigint(20) NOT NULL DEFAULT 0,
  \`score\` double NOT NULL DEFAULT 0,
  \`balance\` decimal(65,30) NOT NULL DEFAULT 0.000000000000000000000000000000,
  \`settings\` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(\`settings\`)),
  \`avatar\` longblob DEFAULT NULL,
  \`created_at\` datetime(3) NOT NULL DEFAULT current_timestamp(3),
  \`updated_at\` datetime(3) NOT NULL,
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`users_username_key\` (\`username\`),
  KEY \`users_roleId_idx\` (\`roleId\`),
  CONSTRAINT \`users_roleId_fkey\` FOREIGN KEY (\`roleId\`) REFERENCES \`Role\` (\`id\`) ON DELETE SET NULL ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`)
    expect(await showCreate(url, 'posts')).toBe(`CREATE TABLE \`posts\` (
  \`id\` int(11) NOT NULL AUTO_INCREMENT,
  \`title\` varchar(191) NOT NULL,
  \`body\` varchar(191) NOT NULL DEFAULT '',
  \`published\` tinyint(1) NOT NULL DEFAULT 0,
  \`views\` int(11) NOT NULL DEFAULT 0,
  \`author_id\` int(11) NOT NULL,
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`posts_author_id_title_key\` (\`author_id\`,\`title\`),
  KEY \`posts_author_id_idx\` (\`author_id\`),
  CONSTRAINT \`posts_author_id_fkey\` FOREIGN KEY (\`author_id\`) REFERENCES \`users\` (\`id\`) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`)
  })

  it('executes no step when the tables already match the schema', async () => {
    const url = freshUrl()
    await pushSchema({ url, sources: example })

    expect(await pushSchema({ url, sources: example })).toEqual({ executedSteps: 0, warnings: [] })
    expect(await pushSchema({ url, sources: features })).toMatchObject({ executedSteps: 19 })
    expect(await pushSchema({ url, sources: features })).toEqual({ executedSteps: 0, warnings: [] })
  })

  it('creates every rendered feature: native types, defaults, prefix and descending indexes, fulltext, join tables, long names', async () => {
    const url = freshUrl()

    await pushSchema({ url, sources: features })

    expect(await tableNames(url)).toEqual([
      'AVeryLongModelNameThatGoesOnAndOnAndOnForeverAndEverAndEver',
      'Legacy',
      'Post',
      'Reviewer',
      'Tag',
      '_AccountToTag',
      '_a_relation_name_long_enough_to_make_its_join_table_name_longer_',
      '_friends',
      'accounts',
    ])
    expect(await showCreate(url, 'accounts')).toBe(`CREATE TABLE \`accounts\` (
  \`id\` int(11) NOT NULL AUTO_INCREMENT,
  \`email\` varchar(191) NOT NULL,
  \`handle\` varchar(32) NOT NULL,
  \`bio\` text DEFAULT NULL,
  \`balance\` decimal(10,2) NOT NULL DEFAULT 0.50,
  \`ratio\` double NOT NULL DEFAULT 1.5,
  \`visits\` bigint(20) NOT NULL DEFAULT 0,
  \`small\` smallint(6) NOT NULL DEFAULT -1,
  \`tiny\` tinyint(4) NOT NULL,
  \`flag\` tinyint(1) NOT NULL DEFAULT 0,
  \`bit\` bit(1) NOT NULL,
  \`code\` char(36) NOT NULL DEFAULT uuid(),
  \`quote\` varchar(191) NOT NULL DEFAULT 'it''s "quoted"',
  \`status\` enum('draft','LIVE') NOT NULL DEFAULT 'draft',
  \`meta\` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(\`meta\`)),
  \`settings\` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL CHECK (json_valid(\`settings\`)),
  \`blob\` longblob DEFAULT NULL,
  \`token\` varbinary(16) NOT NULL,
  \`born\` date NOT NULL,
  \`seen\` timestamp(6) NOT NULL DEFAULT current_timestamp(6),
  \`at\` datetime(3) NOT NULL DEFAULT '2024-01-02 01:04:05.678',
  \`updated_at\` datetime(3) NOT NULL,
  \`count\` int(10) unsigned NOT NULL,
  \`location\` point DEFAULT NULL,
  \`legacy\` varchar(191) DEFAULT NULL,
  \`parent_id\` int(11) DEFAULT NULL,
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`account_email\` (\`email\`),
  UNIQUE KEY \`accounts_handle_status_key\` (\`handle\`,\`status\`),
  KEY \`account_bio_email\` (\`bio\`(20),\`email\` DESC),
  KEY \`accounts_parent_id_fkey\` (\`parent_id\`),
  FULLTEXT KEY \`accounts_bio_idx\` (\`bio\`),
  CONSTRAINT \`accounts_parent_id_fkey\` FOREIGN KEY (\`parent_id\`) REFERENCES \`accounts\` (\`id\`) ON DELETE SET NULL ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`)
    expect(await showCreate(url, 'Post')).toBe(`CREATE TABLE \`Post\` (
  \`accountId\` int(11) NOT NULL,
  \`slug\` varchar(191) NOT NULL,
  \`title\` varchar(191) NOT NULL,
  \`reviewerId\` int(11) DEFAULT NULL,
  PRIMARY KEY (\`accountId\`,\`slug\`),
  KEY \`Post_reviewerId_fkey\` (\`reviewerId\`),
  CONSTRAINT \`Post_reviewerId_fkey\` FOREIGN KEY (\`reviewerId\`) REFERENCES \`Reviewer\` (\`id\`) ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT \`post_account\` FOREIGN KEY (\`accountId\`) REFERENCES \`accounts\` (\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`)
    expect(await showCreate(url, '_AccountToTag')).toBe(`CREATE TABLE \`_AccountToTag\` (
  \`A\` int(11) NOT NULL,
  \`B\` varchar(30) NOT NULL,
  UNIQUE KEY \`_AccountToTag_AB_unique\` (\`A\`,\`B\`),
  KEY \`_AccountToTag_B_index\` (\`B\`),
  CONSTRAINT \`_AccountToTag_A_fkey\` FOREIGN KEY (\`A\`) REFERENCES \`accounts\` (\`id\`) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT \`_AccountToTag_B_fkey\` FOREIGN KEY (\`B\`) REFERENCES \`Tag\` (\`id\`) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`)
  })

  it('refuses, changing nothing, when an existing table differs from the schema (even forced), naming each difference', async () => {
    const url = freshUrl()
    await pushSchema({ url, sources: example })
    await sql(url, 'ALTER TABLE `users` ADD COLUMN `nickname` VARCHAR(20) NULL', 'ALTER TABLE `posts` MODIFY `title` VARCHAR(100) NOT NULL', 'DROP TABLE `comments`')

    const error = await pushSchema({ url, sources: example, force: true }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(SchemaPushError)
    expect((error as SchemaPushError).code).toBe('schema_push')
    expect((error as SchemaPushError).unexecutable).toEqual([
      'table `users`: column `nickname` is not in the schema',
      'table `posts`: column `title` is VARCHAR(191) NOT NULL in the schema but varchar(100) NOT NULL in the database',
    ])
    expect((error as SchemaPushError).message).toContain('prisma db push')
    // The missing table was not created either.
    expect(await tableNames(url)).toEqual(['Role', 'posts', 'users'])
  })

  it('reports an invalid schema with Prisma validation text, and a native type of another database as Prisma does', async () => {
    const invalid = example.map((source) => ({ ...source, content: source.content.replace('username    String   @unique', 'username    String   @unique @bogus') }))
    const postgresType = example.map((source) => ({ ...source, content: source.content.replace('username    String   @unique', 'username    String   @unique @db.Citext') }))

    const errors = (await Promise.all([invalid, postgresType].map((sources) => pushSchema({ url: freshUrl(), sources }).catch((e: unknown) => e)))) as SchemaPushError[]

    expect(errors.map((error) => error.code)).toEqual(['schema_push', 'schema_push'])
    expect(errors[0].message).toContain('Attribute not known: "@bogus"')
    expect(errors[0].message).toContain('schema.prisma')
    expect(errors[1].message).toContain('Native type Citext is not supported for mysql connector.')
  })

  it('leaves a table named in externalTables alone: not created when missing, not compared when it differs', async () => {
    const url = freshUrl()

    expect(await pushSchema({ url, sources: example, externalTables: ['comments'] })).toMatchObject({ executedSteps: 5 })
    await sql(url, 'ALTER TABLE `users` ADD COLUMN `nickname` VARCHAR(20) NULL')

    expect(await pushSchema({ url, sources: example, externalTables: ['users', 'comments'] })).toEqual({ executedSteps: 0, warnings: [] })
    expect(await tableNames(url)).toEqual(['Role', 'posts', 'users'])
  })

  it('drops exactly the tables the schema declares, join tables included, and leaves an unrelated table and its rows in place', async () => {
    const url = freshUrl()
    await pushSchema({ url, sources: features })
    await pushSchema({ url, sources: example })
    await sql(url, 'CREATE TABLE `unrelated` (`x` INTEGER)', 'INSERT INTO `unrelated` VALUES (1)', "INSERT INTO `accounts` (`email`, `handle`, `tiny`, `bit`, `token`, `born`, `updated_at`, `count`, `settings`) VALUES ('a@b.c', 'a', 1, 1, 'x', '2024-01-01', NOW(3), 1, '{}')")

    await dropSchema({ url, sources: features })

    expect(await tableNames(url)).toEqual(['Role', 'comments', 'posts', 'unrelated', 'users'])
    expect(await sql(url, 'SELECT `x` FROM `unrelated`')).toEqual([{ x: 1 }])
    await dropSchema({ url, sources: example })
    expect(await tableNames(url)).toEqual(['unrelated'])
  })

  it('keeps a declared table named in externalTables, drops what remains when some tables are already gone, and can run twice', async () => {
    const url = freshUrl()
    await pushSchema({ url, sources: example })

    await dropSchema({ url, sources: example, externalTables: ['Role'] })
    expect(await tableNames(url)).toEqual(['Role'])

    await pushSchema({ url, sources: example })
    await sql(url, 'DROP TABLE `comments`')
    await dropSchema({ url, sources: example })
    await dropSchema({ url, sources: example })
    expect(await tableNames(url)).toEqual([])

    expect(await pushSchema({ url, sources: example })).toMatchObject({ executedSteps: 7 })
  })

  it('does nothing when the database does not exist (and does not create it)', async () => {
    const name = databaseName(++counter)

    await dropSchema({ url: urlFor(name), sources: example })

    expect(await sql(serverUrl(), `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${name}'`)).toEqual([])
  })

  it('names the server that refuses the connection, and asks for a database in the URL', async () => {
    const url = new URL(freshUrl())
    const wrongPassword = new URL(url)
    wrongPassword.password = 'wrong'
    const closedPort = new URL(url)
    closedPort.port = String(await freePort())

    const errors = await Promise.all(
      [wrongPassword.href, closedPort.href, `mysql://${url.username}:${url.password}@${url.host}`].map((target) => pushSchema({ url: target, sources: example }).catch((e: unknown) => e)),
    )

    expect(errors[0]).toBeInstanceOf(DatabaseUnavailableError)
    expect(errors[1]).toBeInstanceOf(DatabaseUnavailableError)
    expect(errors.map((error) => (error as DatabaseError).code)).toEqual(['database_authentication_failed', 'database_unreachable', 'url_without_database'])
    expect(errors[2]).toBeInstanceOf(ConfigurationError)
    expect((errors[1] as DatabaseUnavailableError).message).toContain(`127.0.0.1:${closedPort.port}`)
  })

  it('pushes the shared test schemas (relations, implicit many-to-many, nullable keys) and matches them on a second push', async () => {
    for (const models of [ROLE_USER_MODELS, POST_TAG_MODELS, AUTHOR_BOOK_MODELS]) {
      const url = freshUrl()
      const sources = [{ path: 'schema.prisma', content: sqliteSchema(models) }]

      expect((await pushSchema({ url, sources })).executedSteps).toBeGreaterThan(0)
      expect(await pushSchema({ url, sources })).toEqual({ executedSteps: 0, warnings: [] })
      await dropSchema({ url, sources })
      expect(await tableNames(url)).toEqual([])
    }
  })

  it('pushes every corpus schema Prisma accepts for MySQL, finds it matching on a second push and drops it to nothing', async () => {
    const outcomes: Record<string, string> = {}
    for (const schema of CORPUS) {
      if (schema.location.startsWith(REAL_SCHEMAS_DIR) && !REAL_SCHEMAS_PRESENT) continue
      const sources = compatibleSchema(readCorpusFiles(schema.location)).files.map((file) => ({ path: file.path, content: schema.runtimeEdit?.edit(file.content) ?? file.content }))
      const url = freshUrl()
      const pushed = await pushSchema({ url, sources }).catch((error: unknown) => error)
      if (pushed instanceof SchemaPushError) outcomes[schema.name] = 'refused by Prisma for mysql'
      else if (pushed instanceof DatabaseError) outcomes[schema.name] = `refused by the server: ${/Unknown data type: '\w+'/.exec(pushed.message)?.[0] ?? pushed.message}`
      else {
        expect(await pushSchema({ url, sources }), schema.name).toEqual({ executedSteps: 0, warnings: [] })
        await dropSchema({ url, sources })
        expect(await tableNames(url), schema.name).toEqual([])
        outcomes[schema.name] = 'pushed'
      }
    }
    const real = REAL_SCHEMAS_PRESENT
      ? {
          // PostgreSQL schemas: scalar lists and PostgreSQL native types, which Prisma refuses for mysql.
          documenso: 'refused by Prisma for mysql',
          formbricks: 'refused by Prisma for mysql',
          hoppscotch: 'refused by Prisma for mysql',
          papermark: 'refused by Prisma for mysql',
          'teable-sqlite': 'pushed',
        }
      : {}
    expect(outcomes).toEqual({
      ...real,
      scalars: 'pushed',
      'extra-defaults': 'pushed',
      // A PostgreSQL geometric type as Unsupported("circle"): SQLite takes any type name, MySQL has no such type.
      relations: "refused by the server: Unknown data type: 'circle'",
      'relation-mode-prisma': 'pushed',
      'self-many-to-many': 'pushed',
      'enum-maps': 'pushed',
      'reserved-names': 'pushed',
      binds: 'pushed',
      'pg-native-types': 'refused by Prisma for mysql',
      'pg-lists': 'refused by Prisma for mysql',
      'pg-views': 'pushed',
    })
  }, 120_000)

  it('gives PrismaClient tables it reads and writes: generated keys, defaults, enums, JSON, BigInt and relations', async () => {
    const url = freshUrl()
    const schema = example[0].content
    await pushSchema({ url, sources: example })
    const client = (await loadPrismaClientForSchema(schema, 'mysql'))(url)
    try {
      const role = await client.role.create({ data: { name: 'admin' } })
      const user = await client.user.create({ data: { username: 'ann', roleId: role.id, settings: { theme: 'dark' }, posts: { create: [{ title: 'Hello' }] } } })

      const read = await client.user.findUnique({ where: { id: user.id }, include: { role: true, posts: true } })

      expect(read).toMatchObject({ username: 'ann', plan: 'FREE', active: true, quota: 0n, settings: { theme: 'dark' }, role: { name: 'admin' }, posts: [{ title: 'Hello', body: '', views: 0 }] })
    } finally {
      await client.$disconnect()
    }
  })
})
