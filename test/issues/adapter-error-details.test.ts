// Regression: PostgreSQL errors keep what the database said (NOT NULL column, the server's message); deadlocks and refused connections get named errors.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConnectionLostError, createEngine, DatabaseError, NotNullViolationError, PendingRollbackError, Session, WriteConflictError } from 'prismalchemy'
import { User } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { describeOn, DIALECTS } from '../helpers/dialects.js'

describe.each(DIALECTS)('on %s', (dialect) => {
  let db: TestDatabase

  beforeEach(async () => {
    db = await createTestDatabase({}, dialect)
  })

  afterEach(async () => {
    await db.dispose()
  })

  it('names the column of a NOT NULL violation as table.column', async () => {
    const session = db.session()
    session.add(new User({ username: null as unknown as string }))
    const error = await session.commit().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NotNullViolationError)
    expect((error as NotNullViolationError).column).toBe('users.username')
    await session.close()
  })

  it("keeps the database's own message for a value out of range", async () => {
    const session = db.session()
    session.add(new User({ username: 'big', quota: 2n ** 70n }))
    const error = await session.commit().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DatabaseError)
    expect((error as Error).message).toMatch(dialect === 'sqlite' ? /too big/ : dialect === 'mysql' ? /Out of range value for column 'quota'/ : /out of range for type bigint/)
    await session.close()
  })
})

describeOn('postgresql', 'on postgresql', (dialect) => {
  it('raises WriteConflictError (code write_conflict) for a deadlock, with the server message', async () => {
    const db = await createTestDatabase({}, dialect)
    try {
      const seed = db.session()
      const a = new User({ username: 'a' })
      const b = new User({ username: 'b' })
      seed.addAll([a, b])
      await seed.commit()
      await seed.close()
      const first = db.session()
      const second = db.session()
      ;(await first.get(User, a.id))!.email = '1'
      ;(await second.get(User, b.id))!.email = '2'
      await first.flush()
      await second.flush()
      ;(await first.get(User, b.id))!.email = '1'
      ;(await second.get(User, a.id))!.email = '2'
      const results = await Promise.allSettled([first.flush(), second.flush()])
      const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected').map((result) => result.reason)
      expect(failures).toHaveLength(1)
      expect(failures[0]).toBeInstanceOf(WriteConflictError)
      expect(failures[0].code).toBe('write_conflict')
      expect(failures[0].message).toMatch(/deadlock detected/)
      const loser = results[0].status === 'rejected' ? first : second
      await expect(loser.flush()).rejects.toThrow(PendingRollbackError)
      await first.close()
      await second.close()
    } finally {
      await db.dispose()
    }
  })
})

describeOn('postgresql', 'on postgresql, a server that refuses connections', (dialect) => {
  it('raises ConnectionLostError saying the server has too many connections (53300), not that it restarted', async () => {
    const db = await createTestDatabase({}, dialect)
    // Superusers ignore connection limits: a role of its own allowed one connection.
    const role = `limited_${process.pid}_${Date.now().toString(36)}`
    await db.execute(`CREATE ROLE "${role}" LOGIN PASSWORD 'secret' CONNECTION LIMIT 1; GRANT ALL ON ALL TABLES IN SCHEMA public TO "${role}"; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "${role}"`)
    const url = db.url.replace(/\/\/[^@]*@/, `//${role}:secret@`)
    const holder = createEngine(url)
    const refused = createEngine(url)
    try {
      const holding = new Session({ bind: holder })
      holding.add(new User({ username: 'holds the one connection' }))
      await holding.flush()
      const error = await new Session({ bind: refused }).query(User).count().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConnectionLostError)
      expect((error as ConnectionLostError).code).toBe('connection_lost')
      expect((error as Error).message).toMatch(/too many \(max_connections\)/)
      await holding.close()
    } finally {
      await Promise.all([holder.dispose(), refused.dispose()])
      await db.execute(`DROP OWNED BY "${role}"; DROP ROLE "${role}"`)
      await db.dispose()
    }
  })
})
