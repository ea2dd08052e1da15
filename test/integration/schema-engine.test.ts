// Integration tests of pushSchema/dropSchema against a real SQLite file and a real PostgreSQL database through Prisma's schema engine (wasm),
// and a real MySQL database through the DDL rendered for it (test/integration/mysql-schema-push.test.ts covers what only MySQL does).
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dropSchema, pushSchema, type SchemaSource } from '../../runtime/engine/schema-engine.js'
import { SchemaPushError } from '../../runtime/errors.js'
import { scratchDatabase, type ScratchDatabase } from '../helpers/database.js'
import { DIALECTS } from '../helpers/dialects.js'

const userFields = `  id        Int      @id @default(autoincrement())
  email     String
  note      String?
  active    Boolean  @default(true)
  kind      Kind     @default(MEMBER)
  createdAt DateTime @default(now())
  roleId    Int?
  role      Role?    @relation(fields: [roleId], references: [id])`

function schema(fields: string = userFields): SchemaSource[] {
  const content = `datasource db {
  provider = "sqlite"
}

enum Kind {
  MEMBER
  ADMIN
}

model Role {
  id    Int    @id @default(autoincrement())
  name  String @unique
  users User[]
}

model User {
${fields}

  @@map("users")
}
`
  return [{ path: 'schema.prisma', content }]
}

describe.each(DIALECTS)('on %s', (dialect) => {
  let db: ScratchDatabase
  let url: string

  beforeEach(async () => {
    db = await scratchDatabase(dialect)
    url = db.url
  })

  afterEach(async () => {
    await db.drop()
  })

  /** The tables, and the indexes other than primary keys (SQLite's internal objects and MySQL's foreign key indexes aside), sorted by type and name. */
  async function objects(): Promise<{ type: string; name: string }[]> {
    const rows = await db.readRows<{ type: string; name: string }>(
      dialect === 'sqlite'
        ? "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        : dialect === 'mysql'
          ? `SELECT 'table' AS type, TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
             UNION ALL
             SELECT DISTINCT 'index', INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME <> 'PRIMARY'
             AND INDEX_NAME NOT IN (SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE())`
          : `SELECT 'table' AS type, table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
           UNION ALL
           SELECT 'index', index.relname FROM pg_index JOIN pg_class AS index ON index.oid = pg_index.indexrelid
           WHERE index.relnamespace = current_schema()::regnamespace AND NOT pg_index.indisprimary`,
    )
    return rows.sort((a, b) => (a.type === b.type ? (a.name < b.name ? -1 : 1) : a.type < b.type ? -1 : 1))
  }

  /** The columns of `table` in order, with the type the database reports (an enum column by its type's name on PostgreSQL). */
  function columns(table: string): Promise<{ name: string; type: string }[]> {
    return db.readRows(
      dialect === 'sqlite'
        ? `SELECT name, type FROM pragma_table_info('${table}') ORDER BY cid`
        : dialect === 'mysql'
          ? `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '${table}' ORDER BY ORDINAL_POSITION`
          : `SELECT column_name AS name, CASE WHEN data_type = 'USER-DEFINED' THEN udt_name ELSE data_type END AS type
           FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${table}' ORDER BY ordinal_position`,
    )
  }

  const columnNames = async (table: string): Promise<string[]> => (await columns(table)).map((column) => column.name)

  describe('pushSchema', () => {
    it('creates the tables and unique indexes the schema declares, under their mapped names', async () => {
      const result = await pushSchema({ url, sources: schema() })

      expect(result.executedSteps).toBeGreaterThan(0)
      expect(result.warnings).toEqual([])
      expect(await objects()).toEqual([
        { type: 'index', name: 'Role_name_key' },
        { type: 'table', name: 'Role' },
        { type: 'table', name: 'users' },
      ])
      // Each database gets Prisma's own column types for it: SQLite's declared types, PostgreSQL's native ones (the enum as a type),
      // MySQL's as the server reports them (the enum inline).
      expect(await columns('users')).toEqual(
        dialect === 'mysql'
          ? [
              { name: 'id', type: 'int(11)' },
              { name: 'email', type: 'varchar(191)' },
              { name: 'note', type: 'varchar(191)' },
              { name: 'active', type: 'tinyint(1)' },
              { name: 'kind', type: "enum('MEMBER','ADMIN')" },
              { name: 'createdAt', type: 'datetime(3)' },
              { name: 'roleId', type: 'int(11)' },
            ]
          : dialect === 'sqlite'
          ? [
              { name: 'id', type: 'INTEGER' },
              { name: 'email', type: 'TEXT' },
              { name: 'note', type: 'TEXT' },
              { name: 'active', type: 'BOOLEAN' },
              { name: 'kind', type: 'TEXT' },
              { name: 'createdAt', type: 'DATETIME' },
              { name: 'roleId', type: 'INTEGER' },
            ]
          : [
              { name: 'id', type: 'integer' },
              { name: 'email', type: 'text' },
              { name: 'note', type: 'text' },
              { name: 'active', type: 'boolean' },
              { name: 'kind', type: 'Kind' },
              { name: 'createdAt', type: 'timestamp without time zone' },
              { name: 'roleId', type: 'integer' },
            ],
      )
    })

    it('executes no step when the database already matches the schema', async () => {
      await pushSchema({ url, sources: schema() })

      const again = await pushSchema({ url, sources: schema() })

      expect(again).toEqual({ executedSteps: 0, warnings: [] })
    })

    // MySQL: createAll() alters no existing table (it refuses, see mysql-schema-push.test.ts).
    it.skipIf(dialect === 'mysql')('refuses to drop a column that holds data, naming it, and leaves table and data intact', async () => {
      await pushSchema({ url, sources: schema() })
      await db.execute(`INSERT INTO "users" ("email", "note") VALUES ('a@example.com', 'keep me')`)
      const withoutNote = schema(userFields.replace(/\n  note +String\?/, ''))

      const error = await pushSchema({ url, sources: withoutNote }).catch((e: unknown) => e)

      expect(error).toBeInstanceOf(SchemaPushError)
      expect((error as SchemaPushError).code).toBe('schema_push')
      expect((error as SchemaPushError).message).toContain('`note`')
      expect((error as SchemaPushError).warnings).toHaveLength(1)
      expect(await db.readRows('SELECT "email", "note" FROM "users"')).toEqual([{ email: 'a@example.com', note: 'keep me' }])
    })

    // MySQL: createAll() alters no existing table (it refuses, see mysql-schema-push.test.ts).
    it.skipIf(dialect === 'mysql')('drops a column that holds data when forced, and reports the warning it accepted', async () => {
      await pushSchema({ url, sources: schema() })
      await db.execute(`INSERT INTO "users" ("email", "note") VALUES ('a@example.com', 'lose me')`)
      const withoutNote = schema(userFields.replace(/\n  note +String\?/, ''))

      const result = await pushSchema({ url, sources: withoutNote, force: true })

      expect(result.executedSteps).toBeGreaterThan(0)
      expect(result.warnings.join('\n')).toContain('`note`')
      expect(await columnNames('users')).not.toContain('note')
      expect(await db.readRows('SELECT "email" FROM "users"')).toEqual([{ email: 'a@example.com' }])
    })

    // MySQL: createAll() alters no existing table (it refuses, see mysql-schema-push.test.ts).
    it.skipIf(dialect === 'mysql')('refuses a step it cannot execute even when forced, and changes nothing', async () => {
      await pushSchema({ url, sources: schema() })
      await db.execute(`INSERT INTO "users" ("email") VALUES ('a@example.com')`)
      const withRequired = schema(`${userFields}\n  nickname  String`)

      const error = await pushSchema({ url, sources: withRequired, force: true }).catch((e: unknown) => e)

      expect(error).toBeInstanceOf(SchemaPushError)
      expect((error as SchemaPushError).unexecutable.join('\n')).toContain('`nickname`')
      expect(await columnNames('users')).not.toContain('nickname')
    })

    it('leaves a table named in externalTables alone (names PostgreSQL requires schema-qualified)', async () => {
      await pushSchema({ url, sources: schema() })
      const withoutNote = schema(userFields.replace(/\n  note +String\?/, ''))

      const result = await pushSchema({ url, sources: withoutNote, externalTables: ['users'] })

      expect(result).toEqual({ executedSteps: 0, warnings: [] })
      expect(await columnNames('users')).toContain('note')
    })

    it('reports an invalid schema with Prisma validation text', async () => {
      const invalid = schema(userFields.replace('email     String', 'email     String @bogus'))

      const error = await pushSchema({ url, sources: invalid }).catch((e: unknown) => e)

      expect(error).toBeInstanceOf(SchemaPushError)
      expect((error as SchemaPushError).code).toBe('schema_push')
      expect((error as SchemaPushError).message).toContain('Attribute not known: "@bogus"')
      expect((error as SchemaPushError).message).toContain('schema.prisma')
    })
  })

  describe('dropSchema', () => {
    it('drops exactly the tables the schema declares and leaves an unrelated table in place', async () => {
      await pushSchema({ url, sources: schema() })
      await db.execute(`CREATE TABLE "unrelated" ("x" INTEGER); INSERT INTO "unrelated" VALUES (1); INSERT INTO "Role" ("name") VALUES ('admin')`)

      await dropSchema({ url, sources: schema() })

      expect(await objects()).toEqual([{ type: 'table', name: 'unrelated' }])
      expect(await db.readRows('SELECT "x" FROM "unrelated"')).toEqual([{ x: 1 }])
    })

    it('keeps a declared table named in externalTables', async () => {
      await pushSchema({ url, sources: schema() })

      await dropSchema({ url, sources: schema(), externalTables: ['Role'] })

      expect(await objects()).toEqual([
        { type: 'index', name: 'Role_name_key' },
        { type: 'table', name: 'Role' },
      ])
    })

    // Enum types exist only on PostgreSQL (SQLite stores a Prisma enum as TEXT).
    it.runIf(dialect === 'postgresql')('drops the enums the schema declares and keeps another one, which a remaining table uses', async () => {
      await pushSchema({ url, sources: schema() })
      await db.execute(`CREATE TYPE "Mood" AS ENUM ('calm'); CREATE TABLE "unrelated" ("mood" "Mood")`)

      await dropSchema({ url, sources: schema() })

      expect(await db.readRows("SELECT typname FROM pg_type WHERE typtype = 'e' AND typnamespace = current_schema()::regnamespace")).toEqual([{ typname: 'Mood' }])
      expect(await objects()).toEqual([{ type: 'table', name: 'unrelated' }])
    })

    it('does not fail when run twice', async () => {
      await pushSchema({ url, sources: schema() })

      await dropSchema({ url, sources: schema() })
      await dropSchema({ url, sources: schema() })

      expect(await objects()).toEqual([])
    })

    it('drops the declared tables that remain when some are already missing', async () => {
      await pushSchema({ url, sources: schema() })
      await db.execute('CREATE TABLE "unrelated" ("x" INTEGER); DROP TABLE "users"')

      await dropSchema({ url, sources: schema() })

      expect(await objects()).toEqual([{ type: 'table', name: 'unrelated' }])
    })

    it('lets a new push recreate the tables after a drop', async () => {
      await pushSchema({ url, sources: schema() })
      await dropSchema({ url, sources: schema() })

      await pushSchema({ url, sources: schema() })

      expect((await objects()).map((o) => o.name)).toEqual(['Role_name_key', 'Role', 'users'])
    })
  })
})
