// Integration tests of pushSchema/dropSchema against a real SQLite file through Prisma's schema engine (wasm).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { dropSchema, pushSchema, type SchemaSource } from '../../runtime/engine/schema-engine.js'
import { SchemaPushError } from '../../runtime/errors.js'
import { readRows } from '../helpers/database.js'

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

const root = mkdtempSync(join(tmpdir(), 'prismalchemy-schema-engine-'))
let file: string
let url: string

beforeEach((context) => {
  file = join(root, `${context.task.id}.db`)
  url = `file:${file}`
})

afterAll(() => rmSync(root, { recursive: true, force: true }))

function objects(): { type: string; name: string }[] {
  const db = new Database(file, { readonly: true })
  try {
    return db
      .prepare<[], { type: string; name: string }>("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name")
      .all()
  } finally {
    db.close()
  }
}

function run(sql: string): void {
  const db = new Database(file)
  try {
    db.exec(sql)
  } finally {
    db.close()
  }
}

function query(sql: string): unknown[] {
  return readRows(file, sql)
}

describe('pushSchema', () => {
  it('creates the tables and unique indexes the schema declares, under their mapped names', async () => {
    const result = await pushSchema({ url, sources: schema() })

    expect(result.executedSteps).toBeGreaterThan(0)
    expect(result.warnings).toEqual([])
    expect(objects()).toEqual([
      { type: 'index', name: 'Role_name_key' },
      { type: 'table', name: 'Role' },
      { type: 'table', name: 'users' },
    ])
    const columns = query("SELECT name, type FROM pragma_table_info('users') ORDER BY cid")
    expect(columns).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'email', type: 'TEXT' },
      { name: 'note', type: 'TEXT' },
      { name: 'active', type: 'BOOLEAN' },
      { name: 'kind', type: 'TEXT' },
      { name: 'createdAt', type: 'DATETIME' },
      { name: 'roleId', type: 'INTEGER' },
    ])
  })

  it('executes no step when the database already matches the schema', async () => {
    await pushSchema({ url, sources: schema() })

    const again = await pushSchema({ url, sources: schema() })

    expect(again).toEqual({ executedSteps: 0, warnings: [] })
  })

  it('refuses to drop a column that holds data, naming it, and leaves table and data intact', async () => {
    await pushSchema({ url, sources: schema() })
    run("INSERT INTO users (email, note) VALUES ('a@example.com', 'keep me')")
    const withoutNote = schema(userFields.replace(/\n  note +String\?/, ''))

    const error = await pushSchema({ url, sources: withoutNote }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(SchemaPushError)
    expect((error as SchemaPushError).code).toBe('schema_push')
    expect((error as SchemaPushError).message).toContain('`note`')
    expect((error as SchemaPushError).warnings).toHaveLength(1)
    expect(query('SELECT email, note FROM users')).toEqual([{ email: 'a@example.com', note: 'keep me' }])
  })

  it('drops a column that holds data when forced, and reports the warning it accepted', async () => {
    await pushSchema({ url, sources: schema() })
    run("INSERT INTO users (email, note) VALUES ('a@example.com', 'lose me')")
    const withoutNote = schema(userFields.replace(/\n  note +String\?/, ''))

    const result = await pushSchema({ url, sources: withoutNote, force: true })

    expect(result.executedSteps).toBeGreaterThan(0)
    expect(result.warnings.join('\n')).toContain('`note`')
    expect(query("SELECT name FROM pragma_table_info('users') WHERE name = 'note'")).toEqual([])
    expect(query('SELECT email FROM users')).toEqual([{ email: 'a@example.com' }])
  })

  it('refuses a step it cannot execute even when forced, and changes nothing', async () => {
    await pushSchema({ url, sources: schema() })
    run("INSERT INTO users (email) VALUES ('a@example.com')")
    const withRequired = schema(`${userFields}\n  nickname  String`)

    const error = await pushSchema({ url, sources: withRequired, force: true }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(SchemaPushError)
    expect((error as SchemaPushError).unexecutable.join('\n')).toContain('`nickname`')
    expect(query("SELECT name FROM pragma_table_info('users') WHERE name = 'nickname'")).toEqual([])
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
    run("CREATE TABLE unrelated (x INTEGER); INSERT INTO unrelated VALUES (1); INSERT INTO Role (name) VALUES ('admin')")

    await dropSchema({ url, sources: schema() })

    expect(objects()).toEqual([{ type: 'table', name: 'unrelated' }])
    expect(query('SELECT x FROM unrelated')).toEqual([{ x: 1 }])
  })

  it('does not fail when run twice', async () => {
    await pushSchema({ url, sources: schema() })

    await dropSchema({ url, sources: schema() })
    await dropSchema({ url, sources: schema() })

    expect(objects()).toEqual([])
  })

  it('drops the declared tables that remain when some are already missing', async () => {
    await pushSchema({ url, sources: schema() })
    run('CREATE TABLE unrelated (x INTEGER); DROP TABLE users')

    await dropSchema({ url, sources: schema() })

    expect(objects()).toEqual([{ type: 'table', name: 'unrelated' }])
  })

  it('lets a new push recreate the tables after a drop', async () => {
    await pushSchema({ url, sources: schema() })
    await dropSchema({ url, sources: schema() })

    await pushSchema({ url, sources: schema() })

    expect(objects().map((o) => o.name)).toEqual(['Role_name_key', 'Role', 'users'])
  })
})
