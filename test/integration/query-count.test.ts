// Query.count() with limit/offset: one SELECT count(*) over the limited rows as a subquery, loading no object.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Session } from 'prismalchemy'
import { User } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, sqlOn, type ExpectedSql } from '../helpers/dialects.js'
import { capturedSql } from '../helpers/sql-recorder.js'

/** The statements the counts below run (SQLite and MySQL need a LIMIT before an OFFSET: -1 and 2^63-1 are none). */
const EXPECTED_SQL: Record<'limited' | 'offsetOnly', ExpectedSql> = {
  limited: 'SELECT count(*) FROM (SELECT 1 FROM "users" WHERE "id" > ? LIMIT ? OFFSET ?) AS "t"',
  offsetOnly: {
    sqlite: 'SELECT count(*) FROM (SELECT 1 FROM "users" LIMIT ? OFFSET ?) AS "t"',
    postgresql: 'SELECT count(*) FROM (SELECT 1 FROM "users" OFFSET $1) AS "t"',
    // MySQL has no OFFSET without LIMIT: PrismaClient's largest signed BIGINT as the limit.
    mysql: 'SELECT count(*) FROM (SELECT 1 FROM `users` LIMIT 9223372036854775807 OFFSET ?) AS `t`',
  },
}

describe.each(DIALECTS)('on %s', (dialect) => {
  let database: TestDatabase
  let session: Session

  beforeAll(async () => {
    database = await createTestDatabase({}, dialect)
    const seeding = database.session()
    for (let i = 1; i <= 12; i++) seeding.add(new User({ username: `u${String(i).padStart(2, '0')}` }))
    await seeding.commit()
    await seeding.close()
  })

  afterAll(async () => {
    await database.dispose()
  })

  it('counts a limited, offset query in one statement over a subquery, hydrating no row into the identity map', async () => {
    session = database.session()
    let count = 0
    const sql = await capturedSql(database.engine, async () => {
      count = await session.query(User).where({ id: { gt: 0 } }).orderBy({ username: 'desc' }).offset(8).limit(10).count()
    })
    expect(count).toBe(4)
    expect(sql.filter((statement) => statement.includes('count(*)'))).toEqual([sqlOn(dialect, EXPECTED_SQL.limited)])
    expect(sql.filter((statement) => statement.startsWith('SELECT'))).toHaveLength(1)
    expect(session.identityMap.size).toBe(0)
    await session.close()
  })

  it('counts past an offset alone, and answers 0 past the last row', async () => {
    session = database.session()
    const sql = await capturedSql(database.engine, async () => {
      expect(await session.query(User).offset(5).count()).toBe(7)
    })
    expect(sql.filter((statement) => statement.includes('count(*)'))).toEqual([sqlOn(dialect, EXPECTED_SQL.offsetOnly)])
    expect(await session.query(User).offset(20).limit(5).count()).toBe(0)
    expect(await session.query(User).limit(5).count()).toBe(5)
    expect(session.identityMap.size).toBe(0)
    await session.close()
  })
})
