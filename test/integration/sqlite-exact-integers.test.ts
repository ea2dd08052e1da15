// SQLite reads of models with BigInt columns: plain numbers first, an exact re-read only when a value may have lost digits.
import Database from 'better-sqlite3'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { User } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { capturedSql } from '../helpers/sql-recorder.js'

/** better-sqlite3's statement class, whose `safeIntegers` the driver switches per statement. */
const Statement = Object.getPrototypeOf(new Database(':memory:').prepare('SELECT 1')) as { safeIntegers(on?: boolean): unknown }

describe('a SQLite read that needs exact integers', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase({}, 'sqlite')
    const seeding = database.session()
    for (let i = 1; i <= 50; i++) seeding.add(new User({ username: `small${String(i).padStart(2, '0')}`, quota: BigInt(i) }))
    await seeding.commit()
    await seeding.close()
  })

  afterAll(async () => {
    await database.dispose()
  })

  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('reads rows of small integers without switching to bigints, in one reported statement', async () => {
    const switches = vi.spyOn(Statement, 'safeIntegers')
    const session = database.session()
    let users: User[] = []
    const sql = await capturedSql(database.engine, async () => {
      users = await session.query(User).where({ username: { startsWith: 'small' } }).orderBy('username').all()
    })
    expect(users.map((user) => user.quota)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i + 1)))
    expect(typeof users[0].id).toBe('number')
    expect(switches.mock.calls.filter(([on]) => on === true)).toEqual([])
    expect(sql.filter((statement) => statement.startsWith('SELECT'))).toHaveLength(1)
    await session.close()
  })

  it('reads again exactly when a 64-bit value came back beyond 2^53, and gives every digit', async () => {
    const writing = database.session()
    const values = [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, -(2n ** 53n) - 1n]
    values.forEach((quota, i) => writing.add(new User({ username: `big${i}`, quota })))
    // A REAL that large is a false alarm: the re-read returns the same float.
    writing.add(new User({ username: 'bigfloat', score: 1e300 }))
    await writing.commit()
    await writing.close()

    const switches = vi.spyOn(Statement, 'safeIntegers')
    const session = database.session()
    let users: User[] = []
    const sql = await capturedSql(database.engine, async () => {
      users = await session.query(User).where({ username: { startsWith: 'big' } }).orderBy('id').all()
    })
    expect(users.map((user) => user.quota)).toEqual([...values, 0n])
    expect(users[4].score).toBe(1e300)
    expect(typeof users[0].id).toBe('number')
    expect(switches.mock.calls.filter(([on]) => on === true)).toHaveLength(1)
    // The re-read is one statement to the log and listeners.
    expect(sql.filter((statement) => statement.startsWith('SELECT'))).toHaveLength(1)
    // The same row on its own through get(): the cached primary-key SELECT, exact as well.
    const other = database.session()
    expect((await other.get(User, users[0].id))!.quota).toBe(2n ** 63n - 1n)
    await other.close()
    await session.close()
  })
})
