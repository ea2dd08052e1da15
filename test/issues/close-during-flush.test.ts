// Regression: closing a session while its own flush is under way (waiting for SQLite's write lock, or for PostgreSQL) must not leave that flush running on a pooled connection.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
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
    const bFlush = b.flush().then(
      () => 'flushed',
      (error: unknown) => error,
    )
    const bClose = b.close()
    await new Promise((resolve) => setTimeout(resolve, 20))
    await a.rollback()
    expect(await bFlush).toBeInstanceOf(IllegalStateChangeError)
    await bClose
    expect(inspect(fromB).transient).toBe(true)
    expect(db.engine.poolStatus().checkedOut).toBe(0)

    const c = db.session()
    c.add(new Role({ name: 'c' }))
    const started = Date.now()
    await c.commit()
    expect(Date.now() - started).toBeLessThan(1000)
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
