// singleStatementCommits: a commit whose flush writes exactly one statement sends it alone, in autocommit (no BEGIN, no COMMIT), on every database; anything more keeps the transaction.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { IllegalStateChangeError, inspect, listen, Session, sql, StaleDataError, UniqueViolationError } from 'prismalchemy'
import { Comment, Post, Role, User } from '../../generated/models.js'
import { ANSWERED_WITHIN_MS } from '../../runtime/databases/postgres/answered-connections.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { beginOf, describeOn, DIALECTS, statementsSent, type TestDialect } from '../helpers/dialects.js'

describe.each(DIALECTS)('on %s', (dialect: TestDialect) => {
  let database: TestDatabase
  const begin = beginOf(dialect)
  // MySQL has no RETURNING: the driver reports the generated key.
  const insertRole = dialect === 'mysql' ? 'INSERT INTO "Role" ("name") VALUES (?)' : 'INSERT INTO "Role" ("name") VALUES (?) RETURNING "id"'

  beforeEach(async () => {
    database = await createTestDatabase({ singleStatementCommits: true }, dialect)
  })

  afterEach(async () => {
    await database.dispose()
  })

  /** The statements `work` sends on `target`'s engine (the test's database by default), normalised, failed ones marked. */
  const statementsOf = (work: () => Promise<unknown>, target: TestDatabase = database): Promise<string[]> => statementsSent(target.engine, work)

  /** Role names as stored in `target` (the test's database by default), read with the plain driver. */
  async function storedRolesOf(target: TestDatabase): Promise<string[]> {
    return (await target.readRows<{ name: string }>('SELECT "name" FROM "Role" ORDER BY "name"')).map((row) => row.name)
  }

  /** Role names as stored in the test's database. */
  const storedRoles = (): Promise<string[]> => storedRolesOf(database)

  // On by default: SQLite's handles never die unseen, PostgreSQL's pool tells when each idle connection last
  // answered (see the next tests), and MySQL's pool pings a connection idle for more than 0.5 s before handing it out.
  it('is on by default, and `false` keeps BEGIN, the INSERT and COMMIT', async () => {
    for (const [options, expected] of [
      [{}, [insertRole]],
      [{ singleStatementCommits: false }, [begin, insertRole, 'COMMIT']],
    ] as const) {
      const plain = await createTestDatabase(options, dialect)
      try {
        expect(plain.engine.singleStatementCommits).toBe(expected.length === 1)
        const session = plain.session()
        session.add(new Role({ name: 'admin' }))
        expect(await statementsOf(() => session.commit(), plain)).toEqual(expected)
        expect(await storedRolesOf(plain)).toEqual(['admin'])
        await session.close()
      } finally {
        await plain.dispose()
      }
    }
  })

  if (dialect === 'postgresql') {
    // The BEGIN a lone write saves is what heals a pooled connection that died unseen while idle; the default keeps it
    // when the connection the write gets has been silent for ANSWERED_WITHIN_MS, and \`true\` never does.
    it('by default, keeps BEGIN ... COMMIT while an idle pooled connection has not answered for 5 s, and goes alone again once a read had it answer; `true` always goes alone', async () => {
      for (const [options, afterSilence] of [
        [{}, [begin, insertRole, 'COMMIT']],
        [{ singleStatementCommits: true }, [insertRole]],
      ] as const) {
        const plain = await createTestDatabase(options, dialect)
        vi.useFakeTimers({ toFake: ['Date'] })
        try {
          const session = plain.session()
          const commitOf = (name: string): Promise<string[]> => {
            session.add(new Role({ name }))
            return statementsOf(() => session.commit(), plain)
          }
          // No connection open yet: the write opens one, which cannot have died.
          expect(await commitOf('first')).toEqual([insertRole])
          expect(plain.engine.poolStatus()).toMatchObject({ checkedOut: 0 })
          vi.setSystemTime(Date.now() + ANSWERED_WITHIN_MS + 1)
          expect(await commitOf('after silence')).toEqual(afterSilence)
          // The pool's one connection answered just now (its COMMIT), then again for this read: the write goes alone.
          vi.setSystemTime(Date.now() + ANSWERED_WITHIN_MS + 1)
          expect(await session.query(Role).count()).toBe(2)
          expect(await commitOf('after a read')).toEqual([insertRole])
          await session.close()
          expect(await storedRolesOf(plain)).toEqual(['after a read', 'after silence', 'first'])
        } finally {
          vi.useRealTimers()
          await plain.dispose()
        }
      }
    })

    // pg's pool hands each checkout the connection returned last: after a burst, light traffic keeps reusing the one
    // that just answered while the others sit idle, and its writes still go alone. The check is of the connection this
    // write will get, counting the checkouts asked for before it.
    it('by default, after a burst left connections idle, light traffic keeps sending lone writes alone; when the connection that just answered is busy, the next one is the silent one and BEGIN heals it', async () => {
      const plain = await createTestDatabase({}, dialect)
      vi.useFakeTimers({ toFake: ['Date'] })
      try {
        const burst = [plain.session(), plain.session(), plain.session()]
        const pids = await Promise.all(burst.map(async (session) => (await session.execute(sql`SELECT pg_backend_pid() AS pid FROM pg_sleep(0.05)`)).all()[0].pid))
        expect(new Set(pids).size).toBe(3)
        await Promise.all(burst.map((session) => session.close()))
        vi.setSystemTime(Date.now() + ANSWERED_WITHIN_MS + 1)
        const session = plain.session()
        // One request: a read (the connection returned last answers again), then its write, alone.
        expect(await session.query(Role).count()).toBe(0)
        session.add(new Role({ name: 'light' }))
        expect(await statementsOf(() => session.commit(), plain)).toEqual([insertRole])
        // Another session's slow read holds that connection: the write gets one silent since the burst.
        const other = plain.session()
        const slow = other.execute(sql`SELECT 1 AS done FROM pg_sleep(1)`)
        await new Promise((resolve) => setTimeout(resolve, 100))
        session.add(new Role({ name: 'beside a slow read' }))
        expect(await statementsOf(() => session.commit(), plain)).toEqual([begin, insertRole, 'COMMIT'])
        await slow
        await Promise.all([session.close(), other.close()])
        expect(await storedRolesOf(plain)).toEqual(['beside a slow read', 'light'])
      } finally {
        vi.useRealTimers()
        await plain.dispose()
      }
    })

    it('by default, a wall clock set back does not make a silent pool look as if it had answered (the monotonic clock counts too)', async () => {
      const plain = await createTestDatabase({}, dialect)
      vi.useFakeTimers({ toFake: ['Date', 'performance'] })
      try {
        const session = plain.session()
        session.add(new Role({ name: 'first' }))
        await session.commit()
        // 6 s pass on both clocks, then the wall clock is set back to where it was (an NTP step).
        vi.advanceTimersByTime(ANSWERED_WITHIN_MS + 1000)
        vi.setSystemTime(Date.now() - ANSWERED_WITHIN_MS - 1000)
        session.add(new Role({ name: 'second' }))
        expect(await statementsOf(() => session.commit(), plain)).toEqual([begin, insertRole, 'COMMIT'])
        await session.close()
      } finally {
        vi.useRealTimers()
        await plain.dispose()
      }
    })
  }

  it('sends one INSERT alone, and the row is committed when commit() returns', async () => {
    const session = database.session()
    const role = new Role({ name: 'admin' })
    session.add(role)
    expect(await statementsOf(() => session.commit())).toEqual([insertRole])
    expect(typeof role.id).toBe('number')
    expect(database.engine.poolStatus().checkedOut).toBe(0)
    expect(await storedRoles()).toEqual(['admin'])
    await session.close()
  })

  it('an object added in the same tick as commit(), before it is awaited, is written by that commit: one INSERT of both, in one transaction (two objects are no lone write)', async () => {
    const session = database.session()
    session.add(new Role({ name: 'a' }))
    const sent = await statementsOf(async () => {
      const committing = session.commit()
      session.add(new Role({ name: 'b' }))
      await committing
    })
    // MySQL has no RETURNING: one INSERT per row, for each generated key.
    const inserts = dialect === 'mysql' ? [insertRole, insertRole] : ['INSERT INTO "Role" ("name") VALUES (?), (?) RETURNING "id"']
    expect(sent).toEqual([begin, ...inserts, 'COMMIT'])
    expect(await storedRoles()).toEqual(['a', 'b'])
    await session.close()
  })

  it('sends one UPDATE alone, and one DELETE alone', async () => {
    await database.session().begin(async (session) => session.add(new Role({ name: 'admin' })))
    const session = database.session()
    const role = await session.query(Role).filterBy({ name: 'admin' }).one()
    role.name = 'root'
    expect(await statementsOf(() => session.commit())).toEqual(['UPDATE "Role" SET "name" = ? WHERE "id" = ?'])
    expect(await storedRoles()).toEqual(['root'])
    session.delete(role)
    expect(await statementsOf(() => session.commit())).toEqual(['DELETE FROM "Role" WHERE "id" IN (?)'])
    expect(await storedRoles()).toEqual([])
    await session.close()
  })

  it('a request that loads a role and adds a user to it writes the INSERT alone (the role, changed only through its collection, writes nothing)', async () => {
    await database.session().begin(async (session) => session.add(new Role({ name: 'admin' })))
    const session = database.session()
    const role = await session.query(Role).filterBy({ name: 'admin' }).one()
    const user = new User({ username: 'ada', role })
    session.add(user)
    const sent = await statementsOf(() => session.commit())
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatch(/^INSERT INTO "users" /)
    const [row] = await database.readRows<{ username: string; roleId: number }>('SELECT "username", "roleId" FROM "users"')
    expect(row).toEqual({ username: 'ada', roleId: role.id })
    await session.close()
  })

  it('keeps BEGIN ... COMMIT when the flush writes two statements', async () => {
    const session = database.session()
    const role = new Role({ name: 'admin' })
    session.add(role)
    session.add(new User({ username: 'ada', role }))
    const sent = await statementsOf(() => session.commit())
    expect(sent.map((statement) => statement.split(' (')[0])).toEqual([begin, 'INSERT INTO "Role"', 'INSERT INTO "users"', 'COMMIT'])
    await session.close()
  })

  it('keeps the transaction when something was flushed before the commit', async () => {
    const session = database.session()
    session.add(new Role({ name: 'admin' }))
    const sent = await statementsOf(async () => {
      await session.flush()
      await session.commit()
    })
    expect(sent).toEqual([begin, insertRole, 'COMMIT'])
    await session.close()
  })

  it('keeps the transaction inside a savepoint, under an explicit isolation level, and with write listeners', async () => {
    const nested = database.session()
    const sentNested = await statementsOf(async () => {
      await nested.beginNested(async () => nested.add(new Role({ name: 'nested' })))
      await nested.commit()
    })
    expect(sentNested[0]).toBe(begin)
    expect(sentNested.at(-1)).toBe('COMMIT')
    await nested.close()

    const isolated = new Session({ bind: database.engine, isolationLevel: 'SERIALIZABLE' })
    isolated.add(new Role({ name: 'isolated' }))
    const sentIsolated = await statementsOf(() => isolated.commit())
    expect(sentIsolated).toHaveLength(3)
    expect(sentIsolated.slice(1)).toEqual([insertRole, 'COMMIT'])
    await isolated.close()

    // A listener may run SQL in the transaction after the statement: the statement cannot commit alone.
    const listened = database.session()
    const stopFlush = listen(listened, 'afterFlush', () => undefined)
    listened.add(new Role({ name: 'after-flush' }))
    expect(await statementsOf(() => listened.commit())).toEqual([begin, insertRole, 'COMMIT'])
    stopFlush()
    const stopInsert = listen(Role, 'beforeInsert', () => undefined)
    try {
      listened.add(new Role({ name: 'before-insert' }))
      expect(await statementsOf(() => listened.commit())).toEqual([begin, insertRole, 'COMMIT'])
    } finally {
      stopInsert()
    }
    await listened.close()
    expect(await storedRoles()).toEqual(['after-flush', 'before-insert', 'isolated', 'nested'])
  })

  it('keeps the transaction when another table of the flush has a write listener, even one whose objects write nothing', async () => {
    await database.session().begin(async (session) => {
      const author = new User({ username: 'author' })
      session.add(author)
      session.add(new Post({ title: 'p', author }))
    })
    const session = database.session()
    const post = await session.query(Post).filterBy({ title: 'p' }).one()
    // The post changes only through its collection (no UPDATE of its own); its listener may still write.
    ;(await post.comments).push(new Comment({ body: 'first' }))
    const stop = listen(Post, 'beforeUpdate', (changed: Post) => {
      changed.views = 1
    })
    try {
      const sent = await statementsOf(() => session.commit())
      expect(sent[0]).toBe(begin)
      expect(sent.at(-1)).toBe('COMMIT')
    } finally {
      stop()
    }
    expect(await database.readRows('SELECT "views" FROM "posts"')).toEqual([{ views: 1 }])
    await session.close()
  })

  it('a lone INSERT that fails leaves nothing stored and nothing to roll back; the object is not persistent', async () => {
    await database.session().begin(async (session) => session.add(new Role({ name: 'admin' })))
    const session = database.session()
    const duplicate = new Role({ name: 'admin' })
    session.add(duplicate)
    let error: unknown
    const sent = await statementsOf(async () => {
      error = await session.commit().catch((caught: unknown) => caught)
    })
    expect(error).toBeInstanceOf(UniqueViolationError)
    // Nothing began, so nothing is rolled back.
    expect(sent).toEqual([`${insertRole} -- failed`])
    expect(duplicate.id).toBeUndefined()
    await session.rollback()
    expect(database.engine.poolStatus().checkedOut).toBe(0)
    // The session goes on, and commits the next change alone again.
    session.add(new Role({ name: 'other' }))
    expect(await statementsOf(() => session.commit())).toEqual([insertRole])
    expect(await storedRoles()).toEqual(['admin', 'other'])
    await session.close()
  })

  it('a lone UPDATE of a row deleted behind the session raises StaleDataError; the session rolls back and goes on', async () => {
    await database.session().begin(async (session) => session.add(new Role({ name: 'admin' })))
    const session = database.session()
    const role = await session.query(Role).filterBy({ name: 'admin' }).one()
    await database.execute('DELETE FROM "Role"')
    role.name = 'root'
    await expect(session.commit()).rejects.toThrow(StaleDataError)
    await session.rollback()
    expect(await storedRoles()).toEqual([])
    session.add(new Role({ name: 'again' }))
    await session.commit()
    expect(await storedRoles()).toEqual(['again'])
    await session.close()
  })
})

describeOn('sqlite', 'on sqlite, the write lock', (dialect) => {
  let database: TestDatabase

  beforeEach(async () => {
    database = await createTestDatabase({ singleStatementCommits: true }, dialect)
  })

  afterEach(async () => {
    await database.dispose()
  })

  it('a lone write waits for another session’s write transaction without blocking the event loop, then commits', async () => {
    const holder = database.session()
    holder.add(new Role({ name: 'first' }))
    await holder.flush()
    const waiter = database.session()
    waiter.add(new Role({ name: 'second' }))
    let settled = false
    const committing = waiter.commit().finally(() => (settled = true))
    // Timers still fire while the lone write waits: the wait is asynchronous.
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(settled).toBe(false)
    await holder.commit()
    await committing
    const names = (await database.readRows<{ name: string }>('SELECT "name" FROM "Role" ORDER BY "id"')).map((row) => row.name)
    expect(names).toEqual(['first', 'second'])
    await holder.close()
    await waiter.close()
  })

  it('a close racing a commit whose lone write already waits: the write commits, and so does the commit', async () => {
    const holder = database.session()
    holder.add(new Role({ name: 'first' }))
    await holder.flush()
    const waiter = database.session()
    const role = new Role({ name: 'second' })
    waiter.add(role)
    const committing = waiter.commit()
    await new Promise((resolve) => setTimeout(resolve, 10))
    const closing = waiter.close()
    await holder.commit()
    await committing
    await closing
    // The row is stored, and the object that says so was kept as committed (detached by the close).
    expect(await database.readRows('SELECT "name" FROM "Role" WHERE "name" = \'second\'')).toHaveLength(1)
    expect(typeof role.id).toBe('number')
    await holder.close()
  })

  it('changes made while the lone write waits are flushed after it; when that flush fails, the committed object stays committed and the rest is restored', async () => {
    await database.session().begin(async (session) => {
      session.add(new Role({ name: 'a' }))
      session.add(new Role({ name: 'taken' }))
    })
    const holder = database.session()
    holder.add(new Role({ name: 'holder' }))
    await holder.flush()
    const session = database.session()
    const role = await session.query(Role).filterBy({ name: 'a' }).one()
    const added = new Role({ name: 'new' })
    session.add(added)
    const committing = session.commit().catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 20))
    // Made while the INSERT waits for the write lock: they wait for the commit's next flush, whose UPDATE fails after its INSERT.
    const other = new Role({ name: 'other' })
    session.add(other)
    role.name = 'taken'
    await holder.commit()
    expect(await committing).toBeInstanceOf(UniqueViolationError)
    await session.rollback()
    const names = (await database.readRows<{ name: string }>('SELECT "name" FROM "Role" ORDER BY "name"')).map((row) => row.name)
    expect(names).toEqual(['a', 'holder', 'new', 'taken'])
    // Memory agrees with the database: the lone INSERT committed; the next flush's INSERT and UPDATE did not.
    expect(typeof added.id).toBe('number')
    expect(inspect(added).persistent).toBe(true)
    expect(inspect(other).transient).toBe(true)
    expect(role.name).toBe('a')
    await holder.close()
    await session.close()
  })

  it('on a bare connection, a lone write whose transaction ended while it waited for the lock never runs', async () => {
    const holder = await database.engine.connect()
    await holder.begin()
    await holder.execute({ sql: 'INSERT INTO "Role" ("name") VALUES (?)', parameters: ['first'], result: 'count', isWrite: true, exactIntegers: false })
    const waiter = await database.engine.connect()
    await waiter.begin()
    const alone = waiter.executeAlone({ sql: 'INSERT INTO "Role" ("name") VALUES (?)', parameters: ['second'], result: 'count', isWrite: true, exactIntegers: false })
    const outcome = alone.catch((error: unknown) => error)
    await waiter.rollback()
    await holder.commit()
    expect(await outcome).toBeInstanceOf(IllegalStateChangeError)
    expect((await database.readRows<{ name: string }>('SELECT "name" FROM "Role"')).map((row) => row.name)).toEqual(['first'])
    await database.engine.release(holder)
    await database.engine.release(waiter)
  })
})

