// Flask-SQLAlchemy's tests/test_model_bind.py in prismalchemy's terms: a model's `/// @bind(key)` (Flask's `__bind_key__`) decides its database; without one it lives in the default database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ScratchDatabase } from '../helpers/database.js'
import { DIALECTS, type TestDialect } from '../helpers/dialects.js'
import { boundApp, type BoundApp } from './flask-sqlalchemy-app.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model User {
  id Int @id @default(autoincrement())
  @@map("user")
}

/// @bind(other)
model Account {
  id Int @id @default(autoincrement())
  @@map("account")
}
`

/** The names of the tables in a database. */
async function tables(database: ScratchDatabase, dialect: TestDialect): Promise<string[]> {
  const sql =
    dialect === 'sqlite'
      ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
      : dialect === 'mysql'
        ? 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name'
        : "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY tablename"
  return (await database.readRows<{ name: string }>(sql)).map((row) => row.name)
}

describe.each(DIALECTS)('on %s', (dialect) => {
  let app: BoundApp

  beforeAll(async () => {
    app = await boundApp('flask-model-bind', dialect, SCHEMA, ['other'])
  })

  afterAll(async () => {
    await app?.dispose()
  })

  // tests/test_model_bind.py::test_bind_key_default
  it('puts a model without a bind key in the default database', async () => {
    const { db } = app
    const { User } = app.classes
    await db.scope(() => expect(db.session.getBind(User)).toBe(db.engine))
    expect(await tables(app.databases.get(null)!, dialect)).toEqual(['user'])
  })

  // tests/test_model_bind.py::test_metadata_per_bind
  it('puts a model with a bind key in that bind\'s database', async () => {
    const { db } = app
    const { Account } = app.classes
    await db.scope(() => expect(db.session.getBind(Account)).toBe(db.engineFor('other')))
    expect(await tables(app.databases.get('other')!, dialect)).toEqual(['account'])
  })
})
