// Regression: closing a session while its own flush is under way (waiting for SQLite's write lock, or for PostgreSQL) must not leave that flush running on a pooled connection.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { IllegalStateChangeError, inspect } from 'prismalchemy'
import { Role } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS } from '../helpers/dialects.js'

describe.each(DIALECTS)('on %s', (dialect) => {
  let db: TestDatabase

  beforeEach(async () => {
    db = await createTestDatabase({ busyTimeout: 2 }, dialect)
  })

  afterEach(async () => {
    await db.dispose()
  })

  async function roleNames(): Promise<string[]> {
    return (await db.readRows<{ name: string }>('SELECT "name" FROM "Role" ORDER BY "name"')).map((row) => row.name)
  }

  it('waits for the flush, rolls it back, and leaves the next writer unblocked', async () => {
    const a = db.session()
    const b = db.session()
    a.add(new Role({ name: 'a' }))
    await a.flush()
    // The same name as a's: should b's INSERT reach PostgreSQL before the close, it waits for a's uncommitted unique key.
    const fromB = new Role({ name: 'a' })
    b.add(fromB)
    let bSettled = false
    const bFlush = b.flush().then(
      () => 'flushed',
      (error: unknown) => error,
    )
    void bFlush.finally(() => (bSettled = true))
    const bClose = b.close()
    // b's flush either waits for a (its connection is out) or was stopped by the close before it took one.
    await vi.waitFor(() => expect(bSettled || db.engine.poolStatus().checkedOut === 2).toBe(true))
    await a.rollback()
    expect(await bFlush).toBeInstanceOf(IllegalStateChangeError)
    await bClose
    expect(inspect(fromB).transient).toBe(true)
    expect(db.engine.poolStatus().checkedOut).toBe(0)

    const c = db.session()
    c.add(new Role({ name: 'c' }))
    // Blocked, it would fail with DatabaseLockedError after busyTimeout (SQLite) or wait past the test's timeout (PostgreSQL).
    await c.commit()
    await c.close()
    await a.close()
    expect(await roleNames()).toEqual(['c'])
  })

  it('a close between two statements of a flush rolls back the statements already run', async () => {
    const session = db.session()
    session.add(new Role({ name: 'first' }))
    await session.flush()
    session.add(new Role({ name: 'second' }))
    const flush = session.flush()
    const close = session.close()
    await Promise.allSettled([flush, close])
    expect(await roleNames()).toEqual([])
    expect(db.engine.poolStatus().checkedOut).toBe(0)
  })
})
