// SQLite's write transactions share one writer handle: every session's transaction runs on it, one after another, while reads outside a transaction stay on the session's own pooled handle.
import { afterEach, beforeEach, expect, it } from 'vitest'
import { ConnectionBudget, sql } from 'prismalchemy'
import { Role } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { describeOn } from '../helpers/dialects.js'

describeOn('sqlite', 'on sqlite, the shared writer', (dialect) => {
  let database: TestDatabase

  beforeEach(async () => {
    database = await createTestDatabase({}, dialect)
  })

  afterEach(async () => {
    await database.dispose()
  })

  /** `total_changes()` where `session` runs its next statement: rows changed by that handle since it opened. */
  async function totalChanges(session: ReturnType<TestDatabase['session']>): Promise<number> {
    return Number((await session.execute(sql`SELECT total_changes()`)).scalar())
  }

  it('runs the write transactions of sessions holding different connections on one handle', async () => {
    const first = database.session()
    const second = database.session()
    // Both sessions hold a pooled connection at once, so they are two handles.
    expect(await totalChanges(first)).toBe(0)
    expect(await totalChanges(second)).toBe(0)
    expect(database.engine.poolStatus().checkedOut).toBe(2)

    first.add(new Role({ name: 'a' }))
    await first.flush()
    // Inside the write transaction: the writer has changed one row so far.
    expect(await totalChanges(first)).toBe(1)
    await first.commit()

    second.add(new Role({ name: 'b' }))
    await second.flush()
    // The second session's transaction runs on the same handle: it counts the first session's row too.
    expect(await totalChanges(second)).toBe(2)
    await second.commit()
    await first.close()
    await second.close()
  })

  it('keeps reads outside a transaction on the session’s own handle: they neither wait for nor see another session’s open transaction', async () => {
    const writer = database.session()
    writer.add(new Role({ name: 'uncommitted' }))
    await writer.flush()
    const reader = database.session()
    // The writer handle is inside the other session's transaction; the reader's handle changed nothing.
    expect(await totalChanges(reader)).toBe(0)
    expect(await reader.query(Role).filterBy({ name: 'uncommitted' }).all()).toEqual([])
    await writer.commit()
    expect((await reader.query(Role).filterBy({ name: 'uncommitted' }).one()).name).toBe('uncommitted')
    await reader.close()
    await writer.close()
  })

  it('a rolled-back transaction leaves the writer clean for the next session', async () => {
    const failed = database.session()
    failed.add(new Role({ name: 'gone' }))
    await failed.flush()
    await failed.rollback()
    const next = database.session()
    next.add(new Role({ name: 'kept' }))
    await next.commit()
    expect(await database.readRows<{ name: string }>('SELECT "name" FROM "Role"')).toEqual([{ name: 'kept' }])
    await failed.close()
    await next.close()
  })

  it('dispose() while a transaction holds the writer: that transaction commits, and later writes open a new writer', async () => {
    const holder = database.session()
    holder.add(new Role({ name: 'before' }))
    await holder.flush()
    expect(await totalChanges(holder)).toBe(1)
    await database.engine.dispose()
    await holder.commit()
    await holder.close()

    const after = database.session()
    after.add(new Role({ name: 'after' }))
    await after.flush()
    // A fresh handle: it has changed only this session's row.
    expect(await totalChanges(after)).toBe(1)
    await after.commit()
    await after.close()
    const names = (await database.readRows<{ name: string }>('SELECT "name" FROM "Role" ORDER BY "id"')).map((row) => row.name)
    expect(names).toEqual(['before', 'after'])
  })

  it('under a connection budget, where every open file counts, each session writes on its own connection', async () => {
    const budgeted = await createTestDatabase({ connectionBudget: new ConnectionBudget(2) }, dialect)
    try {
      const first = budgeted.session()
      const second = budgeted.session()
      expect(await totalChanges(first)).toBe(0)
      expect(await totalChanges(second)).toBe(0)
      first.add(new Role({ name: 'a' }))
      await first.commit()
      second.add(new Role({ name: 'b' }))
      await second.flush()
      // Only this session's row: its transaction runs on its own handle, not the first session's.
      expect(await totalChanges(second)).toBe(1)
      await second.commit()
      expect(budgeted.engine.poolStatus().checkedOut + budgeted.engine.poolStatus().idle).toBeLessThanOrEqual(2)
      await first.close()
      await second.close()
    } finally {
      await budgeted.dispose()
    }
  })

  /** A write statement for a raw connection. */
  const insertRole = (name: string) => ({ sql: `INSERT INTO "Role" ("name") VALUES ('${name}')`, parameters: [], result: 'count', isWrite: true, exactIntegers: false }) as const

  for (const alone of [false, true]) {
    it(`a connection closed while its ${alone ? 'lone autocommit write' : 'write'} waits for the writer: the write never runs and the writer is free for the next one`, async () => {
      const holder = await database.engine.connect()
      const closing = await database.engine.connect()
      await holder.begin()
      await holder.execute(insertRole('held'))
      await closing.begin()
      const waiting = (alone ? closing.executeAlone(insertRole('closed')) : closing.execute(insertRole('closed'))).then(
        () => 'ran',
        (error: { code?: string }) => error.code,
      )
      await new Promise((resolve) => setTimeout(resolve, 10))
      // As the pool does to a connection it discards (the connection API allows releasing one with a statement pending).
      ;(closing as unknown as { close(): void }).close()
      await holder.commit()
      expect(await waiting).toBe('illegal_state_change')
      // The writer is free: the next write transaction begins and commits at once.
      await holder.begin()
      await holder.execute(insertRole('next'))
      await holder.commit()
      await database.engine.release(holder)
      const names = (await database.readRows<{ name: string }>('SELECT "name" FROM "Role" ORDER BY "id"')).map((row) => row.name)
      expect(names).toEqual(['held', 'next'])
    })
  }
})
