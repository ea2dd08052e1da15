// Regression: a SQLite connection whose ROLLBACK fails when it is released (its handle died mid-transaction) is closed, not leaked: the pool drains and the next session works.
import type Database from 'better-sqlite3'
import { afterEach, expect, it } from 'vitest'
import type { DriverConnection } from '../../runtime/engine/driver.js'
import { Role } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

let db: TestDatabase | undefined

afterEach(async () => {
  await db?.dispose()
  db = undefined
})

it('discards a connection whose ROLLBACK fails at release, and serves the next session from a fresh one', async () => {
  db = await createTestDatabase({ poolSize: 1, maxOverflow: 0, poolTimeout: 1 }, 'sqlite')
  const connection: DriverConnection = await db.engine.connect()
  await connection.begin()
  await connection.execute({ sql: 'INSERT INTO "Role" ("name") VALUES (?)', parameters: ['lost'], result: 'count', isWrite: true, exactIntegers: false })
  ;(connection as unknown as { db: Database.Database }).db.close()

  await db.engine.release(connection)
  expect(db.engine.poolStatus()).toMatchObject({ checkedOut: 0, idle: 0 })

  // Before the fix the dead connection stayed checked out, so this session timed out waiting for the pool.
  const session = db.session()
  session.add(new Role({ name: 'next' }))
  await session.commit()
  await session.close()
  expect(await db.readRows('SELECT name FROM "Role"')).toEqual([{ name: 'next' }])
})
