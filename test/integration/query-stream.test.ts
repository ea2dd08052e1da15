// query.stream(): SQLAlchemy's yield_per over better-sqlite3's iterate() and PostgreSQL's server-side cursors, batch by batch through the identity map.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { inspect, InvalidRequestError, joinedload, OrmError, selectinload, Session, sessionmaker, sql } from 'prismalchemy'
import { Comment, Post, Role, User } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, placeholders, sqlOn, statementsOn, type TestDialect } from '../helpers/dialects.js'
import { capturedSql, recordSql } from '../helpers/sql-recorder.js'

const USERS = 2500
const ROLES = 3

const USER_COLUMNS = '"id", "username", "email", "roleId", "plan", "active", "quota", "score", "balance", "settings", "avatar", "created_at", "updated_at"'
/** The users of the stream below, in id order. */
const SELECT_USERS = `SELECT ${USER_COLUMNS} FROM "users" ORDER BY "id" ASC`
const SELECT_ROLES = (count: number) => `SELECT "id", "name" FROM "Role" WHERE "id" IN (${placeholders(count)})`

/** What each dialect sends for one stream of 2,500 rows in batches of 1,000: one statement on SQLite and MySQL; a cursor in a transaction on PostgreSQL. */
const STREAM_SQL: Record<TestDialect, readonly string[]> = {
  sqlite: [SELECT_USERS],
  mysql: [sqlOn('mysql', SELECT_USERS)],
  postgresql: [
    'BEGIN',
    `DECLARE pa_stream_1 NO SCROLL CURSOR FOR ${SELECT_USERS}`,
    'FETCH FORWARD 1000 FROM pa_stream_1',
    'FETCH FORWARD 1000 FROM pa_stream_1',
    // 500 rows: fewer than asked, so the cursor is closed at once.
    'FETCH FORWARD 1000 FROM pa_stream_1',
    'CLOSE pa_stream_1',
  ],
}

/** Rejects with what the promise rejects with, or fails. */
async function failure(promise: Promise<unknown>): Promise<OrmError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(OrmError)
    return error as OrmError
  }
  throw new Error('expected a rejection')
}

/** Reads `stream` to its end. */
async function drain<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of stream) items.push(item)
  return items
}

describe.each(DIALECTS)('query.stream() on %s', (dialect) => {
  let database: TestDatabase
  let session: Session

  beforeAll(async () => {
    database = await createTestDatabase({}, dialect)
    const seeding = database.session()
    const roles = Array.from({ length: ROLES }, (_, i) => new Role({ name: `role${i + 1}` }))
    for (let i = 1; i <= USERS; i++) seeding.add(new User({ username: `u${String(i).padStart(4, '0')}`, role: roles[(i - 1) % ROLES] }))
    await seeding.commit()
    const first = await seeding.query(User).orderBy({ id: 'asc' }).first()
    const post = new Post({ title: 'hello', author: first! })
    seeding.add(post)
    seeding.add(new Comment({ body: 'a', post }))
    seeding.add(new Comment({ body: 'b', post }))
    await seeding.commit()
    await seeding.close()
  }, 60_000)

  afterAll(async () => {
    await database.dispose()
  })

  afterEach(async () => {
    await session?.close()
  })

  const fresh = (): Session => (session = database.session())
  const users = () => session.query(User).orderBy({ id: 'asc' })

  it('reads every row in order across batch boundaries, with one statement (SQLite) or one cursor (PostgreSQL)', async () => {
    fresh()
    let ids: number[] = []
    const sqlText = await capturedSql(database.engine, async () => {
      ids = (await drain(users().stream({ batchSize: 1000 }))).map((user) => user.id)
    })
    expect(ids).toEqual(Array.from({ length: USERS }, (_, i) => i + 1))
    expect(sqlText).toEqual(STREAM_SQL[dialect])
    // Without release every object stays in the identity map, as with all().
    expect(session.identityMap.size).toBe(USERS)
    const again = await capturedSql(database.engine, async () => {
      expect((await users().limit(3).all()).map((user) => user.id)).toEqual([1, 2, 3])
    })
    // Reads after the stream join its transaction on PostgreSQL (the cursor needed one).
    expect(again).toHaveLength(1)
    await session.close()
    expect(database.engine.poolStatus().checkedOut).toBe(0)
  })

  it('hands out the same objects as the identity map holds, and refreshes nothing already loaded', async () => {
    fresh()
    const loaded = await session.get(User, 1500)
    const streamed = await drain(users().where({ id: { gte: 1499, lte: 1501 } }).stream({ batchSize: 2 }))
    expect(streamed.map((user) => user.id)).toEqual([1499, 1500, 1501])
    expect(streamed[1]).toBe(loaded)
    await session.close()
  })

  it('releases each batch from the identity map as the loop moves past it, keeping objects with pending changes and those loaded before', async () => {
    fresh()
    const before = await session.get(User, 10)
    let sizeInSecondBatch = 0
    let firstOfBatch1: User | undefined
    const changed: User[] = []
    for await (const user of users().stream({ batchSize: 1000, release: true })) {
      if (user.id === 1) firstOfBatch1 = user
      if (user.id === 1500) {
        sizeInSecondBatch = session.identityMap.size
        expect(inspect(firstOfBatch1!).detached).toBe(true)
      }
      if (user.id % 1000 === 7) {
        user.score = 7.5
        changed.push(user)
      }
    }
    // Batch 2 (1,000 objects), the object loaded before the stream, and the one changed in batch 1.
    expect(sizeInSecondBatch).toBe(1000 + 1 + 1)
    expect(inspect(before!).persistent).toBe(true)
    expect(changed.map((user) => inspect(user).persistent)).toEqual([true, true, true])
    expect(session.identityMap.size).toBe(1 + changed.length)
    // A released object keeps its columns; loading through it needs a session.
    expect(firstOfBatch1!.username).toBe('u0001')
    await expect(firstOfBatch1!.role).rejects.toMatchObject({ code: 'detached_instance' })
    await session.commit()
    const check = database.session()
    expect((await check.query(User).where({ score: 7.5 }).orderBy({ id: 'asc' }).all()).map((user) => user.id)).toEqual([7, 1007, 2007])
    await check.close()
    await session.close()
  })

  it('autoflushes once, before the statement runs', async () => {
    fresh()
    session.add(new User({ username: 'late' }))
    const recorder = recordSql(database.engine)
    const names = (await drain(session.query(User).where({ username: { startsWith: 'la' } }).stream())).map((user) => user.username)
    recorder.stop()
    expect(names).toEqual(['late'])
    const inserts = recorder.sql().filter((statement) => statement.startsWith('INSERT'))
    expect(inserts).toHaveLength(1)
    expect(recorder.sql().indexOf(inserts[0])).toBeLessThan(recorder.sql().findIndex((statement) => statement.includes(sqlOn(dialect, 'FROM "users" WHERE'))))
    await session.rollback()
    await session.close()
  })

  it('applies selectinload per batch (the identity map answering what it holds), and streams a joined to-one in its own statement', async () => {
    for (const release of [false, true]) {
      fresh()
      const recorder = recordSql(database.engine)
      const roleNames = new Set<string>()
      for await (const user of users().options(selectinload('role')).stream({ batchSize: 1000, release })) roleNames.add((await user.role)!.name)
      recorder.stop()
      expect([...roleNames].sort()).toEqual(['role1', 'role2', 'role3'])
      const roleSelects = recorder.sql().filter((statement) => statement.includes(sqlOn(dialect, 'FROM "Role"')))
      // Each batch's users hold the three roles: batch 1 selects them; later batches find them in the
      // identity map, unless the previous batch released them with its users.
      expect(roleSelects).toEqual(statementsOn(dialect, ...Array.from({ length: release ? 3 : 1 }, () => SELECT_ROLES(3))))
      if (dialect === 'postgresql') expect(recorder.sql().filter((statement) => !statement.includes('FROM "Role"'))).toEqual(STREAM_SQL.postgresql)
      expect(session.identityMap.size).toBe(release ? 0 : USERS + ROLES)
      await session.close()
    }

    fresh()
    const roleNames = new Set<string>()
    const joined = await capturedSql(database.engine, async () => {
      for await (const user of users().where({ id: { lte: 5 } }).options(joinedload('role')).stream({ batchSize: 2 })) roleNames.add((await user.role)!.name)
    })
    expect([...roleNames].sort()).toEqual(['role1', 'role2', 'role3'])
    expect(joined.filter((statement) => statement.includes(sqlOn(dialect, 'FROM "Role"')))).toEqual([])
    expect(joined.some((statement) => statement.includes(sqlOn(dialect, 'LEFT OUTER JOIN "Role"')))).toBe(true)
    await session.close()
  })

  it('refuses a collection loaded with joinedload, a to-many join and a bad batch size, with named errors', async () => {
    fresh()
    const joinedCollection = await failure(drain(session.query(Post).options(joinedload('comments')).stream()))
    expect(joinedCollection).toBeInstanceOf(InvalidRequestError)
    expect(joinedCollection.code).toBe('stream_joined_collection')
    expect(() => session.query(User).join('posts').stream()).toThrow(expect.objectContaining({ code: 'stream_to_many_join' }))
    for (const batchSize of [0, 1.5, -3]) expect(() => users().stream({ batchSize })).toThrow(expect.objectContaining({ code: 'invalid_batch_size' }))
    // selectinload of the same collection is per batch, and fine.
    const posts = await drain(session.query(Post).options(selectinload('comments')).stream({ batchSize: 1 }))
    expect(posts.map((post) => post.title)).toEqual(['hello'])
    await session.close()
  })

  it('closes the statement or cursor when the loop is left early, by break or by a throw', async () => {
    for (const leave of ['break', 'throw'] as const) {
      fresh()
      const recorder = recordSql(database.engine)
      try {
        for await (const user of users().stream({ batchSize: 1000 })) {
          if (user.id === 1500) {
            if (leave === 'break') break
            throw new Error('stop')
          }
        }
      } catch (error) {
        expect((error as Error).message).toBe('stop')
      }
      recorder.stop()
      if (dialect === 'postgresql') {
        expect(recorder.sql().slice(-1)).toEqual(['CLOSE pa_stream_1'])
        const { rows } = await session.execute<{ name: string }>(sql`SELECT name FROM pg_cursors`)
        expect(rows).toEqual([])
      }
      // The connection writes again (SQLite refuses writes while a statement is iterated).
      const user = (await session.get(User, 1500))!
      user.score = 1
      await session.flush()
      // The session holds its connection until it ends, as after any query; then the pool has it back.
      expect(database.engine.poolStatus().checkedOut).toBe(1)
      await session.rollback()
      await session.close()
      expect(database.engine.poolStatus().checkedOut).toBe(0)
    }
  })

  it('ends the stream with stream_closed when the transaction ends inside the loop, and the connection goes back clean', async () => {
    for (const end of ['commit', 'close'] as const) {
      fresh()
      const stream = users().stream({ batchSize: 1000 })
      let seen = 0
      const error = await failure(
        (async () => {
          for await (const user of stream) {
            seen = user.id
            if (user.id === 1000) await (end === 'commit' ? session.commit() : session.close())
          }
        })(),
      )
      expect(error.code).toBe('stream_closed')
      expect(error.message).toContain(end === 'commit' ? 'commit' : 'rollback')
      expect(seen).toBe(1000)
      await session.close()
      expect(database.engine.poolStatus().checkedOut).toBe(0)
      // The connection serves the next session, writes included.
      const next = database.session()
      const user = (await next.get(User, 3))!
      user.score = 3
      await next.commit()
      await next.close()
    }
  })

  if (dialect === 'sqlite') {
    it('refuses a write while the stream reads on SQLite, with write_during_stream, and goes on reading', async () => {
      fresh()
      let count = 0
      let refused: OrmError | undefined
      for await (const user of users().stream({ batchSize: 500 })) {
        count++
        if (user.id === 10) {
          user.score = 10
          refused = await failure(session.flush())
          // Reads still run on the connection meanwhile (under noAutoflush: the change is pending).
          expect((await session.noAutoflush(() => session.query(Role).count()))).toBe(ROLES)
        }
      }
      expect(refused?.code).toBe('write_during_stream')
      expect(count).toBe(USERS)
      await session.flush()
      await session.rollback()
      await session.close()
    })
  } else if (dialect === 'mysql') {
    it('streams outside a transaction on a connection of its own on MySQL: the session reads and writes meanwhile', async () => {
      fresh()
      const recorder = recordSql(database.engine)
      const streamed: User[] = []
      for await (const user of users().stream({ batchSize: 1000 })) {
        streamed.push(user)
        if (user.id === 10) {
          user.score = 10
          await session.flush()
          // The stream's connection is still sending rows; the transaction's connection reads meanwhile.
          expect(await session.query(User).where({ score: 10 }).count()).toBe(1)
        }
      }
      recorder.stop()
      expect(streamed).toHaveLength(USERS)
      expect(recorder.sql().slice(0, 3)).toEqual(statementsOn(dialect, SELECT_USERS, 'BEGIN', 'UPDATE "users" SET "score" = ?, "updated_at" = ? WHERE "id" = ?'))
      // Streamed rows decode as queried ones do (DATETIME, TINYINT booleans, BIGINT, DECIMAL, enums).
      const columns = (user: User) => [user.id, user.username, user.email, user.roleId, user.plan, user.active, user.quota, user.score, String(user.balance), user.settings, user.avatar, user.createdAt, user.updatedAt]
      const check = database.session()
      const queried = await check.query(User).where({ id: { lte: 3 } }).orderBy({ id: 'asc' }).all()
      expect(streamed[0]!.createdAt).toBeInstanceOf(Date)
      expect(typeof streamed[0]!.active).toBe('boolean')
      expect(typeof streamed[0]!.quota).toBe('bigint')
      expect(streamed.slice(0, 3).map(columns)).toEqual(queried.map(columns))
      await check.close()
      await session.rollback()
      await session.close()
      expect(database.engine.poolStatus().checkedOut).toBe(0)
    })

    it('refuses other statements of the transaction while a stream inside it reads, with write_during_stream, until the loop ends or breaks', async () => {
      for (const leave of ['end', 'break'] as const) {
        fresh()
        ;(await session.get(User, 5))!.score = 5
        await session.flush()
        const refused: string[] = []
        let count = 0
        for await (const user of users().stream({ batchSize: 500 })) {
          count++
          if (user.id === 10) {
            // The stream reads in the transaction: it sees the flushed, uncommitted change.
            expect((await session.get(User, 5))!.score).toBe(5)
            user.score = 10
            refused.push((await failure(session.flush())).code)
            refused.push((await failure(session.noAutoflush(() => session.query(Role).count()))).code)
            refused.push((await failure(session.execute(sql`SELECT 1`))).code)
            // A second stream on the same connection would wait behind the first forever: refused too.
            refused.push((await failure(session.noAutoflush(() => session.query(Role).stream().next()))).code)
          }
          if (leave === 'break' && user.id === 1200) break
        }
        expect(refused).toEqual(['write_during_stream', 'write_during_stream', 'write_during_stream', 'write_during_stream'])
        expect(count).toBe(leave === 'break' ? 1200 : USERS)
        // The stream ended (or was closed by break): the transaction runs statements again.
        await session.flush()
        expect(await session.query(User).where({ score: { in: [5, 10] } }).count()).toBe(2)
        await session.rollback()
        await session.close()
        expect(database.engine.poolStatus().checkedOut).toBe(0)
      }
    })

    it('ends a stream inside the transaction when the session commits in the loop, and the connection goes back clean', async () => {
      fresh()
      ;(await session.get(User, 6))!.score = 6
      await session.flush()
      const error = await failure(
        (async () => {
          for await (const user of users().stream({ batchSize: 500 })) if (user.id === 600) await session.commit()
        })(),
      )
      expect(error.code).toBe('stream_closed')
      expect(error.message).toContain('commit')
      await session.close()
      expect(database.engine.poolStatus().checkedOut).toBe(0)
      const check = database.session()
      const user = (await check.get(User, 6))!
      expect(user.score).toBe(6)
      user.score = 0
      await check.commit()
      await check.close()
    })
  } else {
    it('flushes between FETCHes on PostgreSQL, in the cursor\'s transaction', async () => {
      fresh()
      const recorder = recordSql(database.engine)
      let count = 0
      for await (const user of users().stream({ batchSize: 1000 })) {
        count++
        if (user.id === 10) {
          user.score = 10
          await session.flush()
        }
      }
      recorder.stop()
      expect(count).toBe(USERS)
      const texts = recorder.sql()
      const update = texts.findIndex((statement) => statement.startsWith('UPDATE "users"'))
      expect(texts.slice(update - 1, update + 2)).toEqual(['FETCH FORWARD 1000 FROM pa_stream_1', texts[update], 'FETCH FORWARD 1000 FROM pa_stream_1'])
      expect(texts.filter((statement) => statement === 'BEGIN')).toHaveLength(1)
      await session.rollback()
      await session.close()
    })

    it('raises the database error of a FETCH that fails, sends no CLOSE, and returns the connection at rollback', async () => {
      fresh()
      const recorder = recordSql(database.engine)
      const error = await failure(
        (async () => {
          for await (const user of users().stream({ batchSize: 1000 })) {
            // The cursor disappears behind the stream's back.
            if (user.id === 1) await session.execute(sql`CLOSE pa_stream_1`)
          }
        })(),
      )
      recorder.stop()
      expect(error.code).toBe('database_error')
      expect(recorder.sql().filter((statement) => statement === 'CLOSE pa_stream_1')).toHaveLength(1)
      await session.rollback()
      await session.close()
      expect(database.engine.poolStatus().checkedOut).toBe(0)
    })
  }

  it('ends a stream opened inside a savepoint when the savepoint rolls back; the transaction goes on', async () => {
    fresh()
    const role = (await session.query(Role).filterBy({ name: 'role1' }).one())!
    const nested = await session.beginNested()
    const stream = users().stream({ batchSize: 100 })
    const first = await stream.next()
    expect(first.value?.id).toBe(1)
    await nested.rollback()
    const error = await failure(drain(stream))
    expect(error.code).toBe('stream_closed')
    expect(error.message).toContain('rollback')
    // The transaction is usable: a read, a write and a commit.
    role.name = 'role1'
    expect(await session.query(User).where({ id: { lte: 2 } }).count()).toBe(2)
    ;(await session.get(User, 2))!.score = 2
    await session.commit()
    await session.close()
    expect(database.engine.poolStatus().checkedOut).toBe(0)
  })

  it('commits pending changes over a stream left unfinished, ending it first, in Session.begin() and inside the loop', async () => {
    const factory = sessionmaker({ bind: database.engine })
    let dropped: AsyncGenerator<User> | undefined
    await factory.begin(async (s) => {
      dropped = s.query(User).orderBy({ id: 'asc' }).stream({ batchSize: 100 })
      const first = (await dropped.next()).value as User
      first.score = 7
      s.add(new Role({ name: 'streamed' }))
    })
    expect((await failure(drain(dropped!))).code).toBe('stream_closed')
    fresh()
    const error = await failure(
      (async () => {
        for await (const user of users().stream({ batchSize: 100 })) {
          if (user.id === 2) {
            user.score = 8
            await session.commit()
          }
        }
      })(),
    )
    expect(error.message).toContain('commit')
    expect(database.engine.poolStatus().checkedOut).toBe(0)
    const check = database.session()
    expect([(await check.get(User, 1))!.score, (await check.get(User, 2))!.score]).toEqual([7, 8])
    expect(await check.query(Role).filterBy({ name: 'streamed' }).count()).toBe(1)
    ;(await check.get(User, 1))!.score = 0
    ;(await check.get(User, 2))!.score = 0
    await check.query(Role).filterBy({ name: 'streamed' }).delete()
    await check.commit()
    await check.close()
  })

  it('returns the connection of a stream dropped unfinished when its session closes, to a session waiting on a one-connection pool', async () => {
    const small = await createTestDatabase({ poolSize: 1, maxOverflow: 0 }, dialect)
    try {
      const seeding = small.session()
      for (let i = 1; i <= 30; i++) seeding.add(new Role({ name: `r${i}` }))
      await seeding.commit()
      await seeding.close()
      const first = small.session()
      const dropped = first.query(Role).orderBy({ id: 'asc' }).stream({ batchSize: 10 })
      expect((await dropped.next()).value?.id).toBe(1)
      // Another session waits for the only connection while the stream is left as it is.
      const second = small.session()
      const waiting = second.query(Role).count()
      await first.close()
      expect(await waiting).toBe(30)
      const role = (await second.get(Role, 5))!
      role.name = 'five'
      await second.commit()
      await second.close()
      expect(small.engine.poolStatus().checkedOut).toBe(0)
    } finally {
      await small.dispose()
    }
  })

  it('streams inside an external transaction, closing its cursor when the session commits (RELEASE SAVEPOINT)', async () => {
    const outer = await database.engine.begin()
    session = new Session({ bind: database.engine, joinTransaction: outer })
    const recorder = recordSql(database.engine)
    const error = await failure(
      (async () => {
        for await (const user of users().stream({ batchSize: 100 })) if (user.id === 50) await session.commit()
      })(),
    )
    recorder.stop()
    expect(error.code).toBe('stream_closed')
    const texts = recorder.sql()
    expect(texts.filter((statement) => statement.includes('SAVEPOINT'))).toEqual(['SAVEPOINT ext_sp_1', 'RELEASE SAVEPOINT ext_sp_1'])
    // The statement or cursor is closed before the savepoint ends (SQLite's needs no statement).
    expect(texts.slice(dialect === 'postgresql' ? -2 : -1)).toEqual([...(dialect === 'postgresql' ? ['CLOSE pa_stream_1'] : []), 'RELEASE SAVEPOINT ext_sp_1'])
    // The outer connection goes on: another stream and a write in a new session transaction.
    expect((await drain(users().where({ id: { lte: 3 } }).stream())).map((user) => user.id)).toEqual([1, 2, 3])
    await session.close()
    await outer.rollback()
    expect(database.engine.poolStatus().checkedOut).toBe(0)
  })

  it('streams a dynamic relationship, from the database or from memory for an unsaved owner', async () => {
    fresh()
    const role = (await session.query(Role).filterBy({ name: 'role2' }).one())!
    const ids = (await drain(role.users.orderBy({ id: 'asc' }).stream({ batchSize: 100 }))).map((user) => user.id)
    expect(ids).toHaveLength(Math.floor(USERS / ROLES) + (USERS % ROLES >= 2 ? 1 : 0))
    expect(ids.every((id) => id % ROLES === 2)).toBe(true)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    const unsaved = new Role({ name: 'unsaved' })
    const member = new User({ username: 'member' })
    unsaved.users.append(member)
    expect(await drain(unsaved.users.stream())).toEqual([member])
    await session.close()
  })
})
