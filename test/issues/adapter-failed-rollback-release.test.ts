// Regression: the adapter driver discards a session connection whose ROLLBACK failed at release (its server connection was terminated mid-transaction), as the SQLite driver does, instead of pooling it again.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Role } from '../../generated/models.js'
import type { DriverConnection } from '../../runtime/engine/driver.js'
import type { CompiledQuery } from '../../runtime/sql/compiled-query.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS } from '../helpers/dialects.js'

function statement(sql: string, isWrite: boolean): CompiledQuery {
  return { sql, parameters: [], result: isWrite ? 'count' : 'rows', isWrite, exactIntegers: false }
}

describe.runIf(DIALECTS.includes('postgresql'))('on postgresql', () => {
  let db: TestDatabase | undefined

  afterEach(async () => {
    await db?.dispose()
    db = undefined
  })

  it('discards a connection whose ROLLBACK fails at release, and serves the next session from a fresh one', async () => {
    db = await createTestDatabase({ poolSize: 1, maxOverflow: 0, poolTimeout: 1 }, 'postgresql')
    const connection: DriverConnection = await db.engine.connect()
    await connection.begin()
    await connection.execute(statement(`INSERT INTO "Role" ("name") VALUES ('lost')`, true))
    const [[pid]] = (await connection.execute(statement('SELECT pg_backend_pid()', false))).rows
    await db.execute(`SELECT pg_terminate_backend(${Number(pid)})`)
    await vi.waitFor(async () => expect(await db!.readRows(`SELECT pid FROM pg_stat_activity WHERE pid = ${Number(pid)}`)).toEqual([]))

    await db.engine.release(connection)
    // Before the fix the connection went back to the pool (idle: 1) after its ROLLBACK failed.
    expect(db.engine.poolStatus()).toMatchObject({ checkedOut: 0, idle: 0 })

    const session = db.session()
    session.add(new Role({ name: 'next' }))
    await session.commit()
    await session.close()
    expect(await db.readRows('SELECT name FROM "Role"')).toEqual([{ name: 'next' }])
  })
})
