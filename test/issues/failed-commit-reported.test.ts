// Regression: a COMMIT the database refuses is reported to onStatement listeners and echo with its error, on SQLite too (only the adapter driver reported it).
import { afterEach, describe, expect, it } from 'vitest'
import { ForeignKeyViolationError, type ExecutedStatement } from 'prismalchemy'
import { Role } from '../../generated/models.js'
import type { CompiledQuery } from '../../runtime/sql/compiled-query.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS } from '../helpers/dialects.js'

/** A write run on a raw engine connection. */
function write(sql: string): CompiledQuery {
  return { sql, parameters: [], result: 'count', isWrite: true, exactIntegers: false }
}

describe.each(DIALECTS)('on %s', (dialect) => {
  let db: TestDatabase | undefined

  afterEach(async () => {
    await db?.dispose()
    db = undefined
  })

  // MySQL has no deferrable constraints (InnoDB checks a foreign key at each statement): nothing there makes the COMMIT itself fail.
  it.skipIf(dialect === 'mysql')('reports the failed COMMIT of a deferred foreign key with its error, then serves the next session', async () => {
    db = await createTestDatabase({ poolSize: 1, maxOverflow: 0 }, dialect)
    // Checked at COMMIT, not at the INSERT: the database refuses the COMMIT itself.
    await db.execute('CREATE TABLE "Deferred" ("id" INTEGER PRIMARY KEY, "parentId" INTEGER REFERENCES "Deferred" ("id") DEFERRABLE INITIALLY DEFERRED)')
    const reported: ExecutedStatement[] = []
    db.engine.onStatement((statement) => reported.push(statement))
    const connection = await db.engine.connect()
    await connection.begin()
    await connection.execute(write('INSERT INTO "Deferred" ("id", "parentId") VALUES (1, 999)'))

    let error: unknown
    try {
      await connection.commit()
    } catch (failure) {
      error = failure
    }
    await db.engine.release(connection)

    expect(error).toBeInstanceOf(ForeignKeyViolationError)
    expect(reported.find((statement) => statement.sql === 'COMMIT')).toMatchObject({ sql: 'COMMIT', error })
    const session = db.session()
    session.add(new Role({ name: 'next' }))
    await session.commit()
    await session.close()
    expect(await db.readRows('SELECT name FROM "Role"')).toEqual([{ name: 'next' }])
    expect(await db.readRows('SELECT id FROM "Deferred"')).toEqual([])
  })
})
