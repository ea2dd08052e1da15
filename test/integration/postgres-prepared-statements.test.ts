// PostgreSQL's opt-in server-side prepared statements: the first statementCacheSize distinct statements with parameters are prepared once per connection; the rest, and transaction control, run unnamed.
import { afterEach, expect, it } from 'vitest'
import type { DriverConnection } from '../../runtime/engine/driver.js'
import type { CompiledQuery } from '../../runtime/sql/compiled-query.js'
import { Role } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { describeOn } from '../helpers/dialects.js'

function statement(sql: string, parameters: unknown[], isWrite = false): CompiledQuery {
  return { sql, parameters, result: isWrite ? 'count' : 'rows', isWrite, exactIntegers: false }
}

/** The statements prepared on the server connection under `connection`'s open transaction. */
async function preparedOn(connection: DriverConnection): Promise<string[]> {
  const { rows } = await connection.execute(statement('SELECT statement FROM pg_prepared_statements ORDER BY statement', []))
  return rows.map((row) => String(row[0]))
}

describeOn('postgresql', 'preparedStatements on PostgreSQL', () => {
  let db: TestDatabase | undefined

  afterEach(async () => {
    await db?.dispose()
    db = undefined
  })

  it('prepares the first statementCacheSize statements with parameters, once per connection, and gives the same rows', async () => {
    db = await createTestDatabase({ preparedStatements: true, statementCacheSize: 3, poolSize: 1, maxOverflow: 0 }, 'postgresql')
    const seed = db.session()
    seed.addAll([new Role({ name: 'admin' }), new Role({ name: 'editor' })])
    await seed.commit()
    await seed.close()

    const connection = await db.engine.connect()
    try {
      await connection.begin()
      // A write pins the transaction to one server connection; BEGIN has no parameters and stays unnamed.
      await connection.execute(statement('UPDATE "Role" SET "name" = "name" WHERE "id" = $1', [0], true))
      const byId = statement('SELECT "name" FROM "Role" WHERE "id" = $1', [1])
      expect((await connection.execute(byId)).rows).toEqual([['admin']])
      expect((await connection.execute({ ...byId, parameters: [2] })).rows).toEqual([['editor']])
      // A fourth distinct statement (after the seed's INSERT, the UPDATE and this SELECT) is past the cap: it runs, unnamed.
      expect((await connection.execute(statement('SELECT count(*) FROM "Role" WHERE "name" <> $1', ['x']))).rows).toEqual([['2']])
      // One server connection (pool of one): the seed session's INSERT was prepared on it before.
      expect(await preparedOn(connection)).toEqual([
        'INSERT INTO "Role" ("name") VALUES ($1), ($2) RETURNING "id"',
        'SELECT "name" FROM "Role" WHERE "id" = $1',
        'UPDATE "Role" SET "name" = "name" WHERE "id" = $1',
      ])
      await connection.rollback()
    } finally {
      await db.engine.release(connection)
    }

    // Through a session too: a get by primary key uses the prepared path and finds its row.
    const session = db.session()
    expect((await session.get(Role, 2))?.name).toBe('editor')
    await session.close()
  })

  it('prepares nothing by default', async () => {
    db = await createTestDatabase({ poolSize: 1, maxOverflow: 0 }, 'postgresql')
    const connection = await db.engine.connect()
    try {
      await connection.begin()
      await connection.execute(statement('UPDATE "Role" SET "name" = "name" WHERE "id" = $1', [0], true))
      await connection.execute(statement('SELECT "name" FROM "Role" WHERE "id" = $1', [1]))
      expect(await preparedOn(connection)).toEqual([])
      await connection.rollback()
    } finally {
      await db.engine.release(connection)
    }
  })
})
