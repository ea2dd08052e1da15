// PgBouncer (Debian's, 1.18: no max_prepared_statements) in transaction mode in front of PostgreSQL: the everyday session work passes through it; named prepared statements are refused with ?pgbouncer=true and explained without it.
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, expect, inject, it } from 'vitest'
import { ConfigurationError, createEngine, DatabaseError, DatabaseUnavailableError, type Engine, Session, sql } from 'prismalchemy'
import { Comment, Post, Role, User } from '../../generated/models.js'
import type { CompiledQuery } from '../../runtime/sql/compiled-query.js'
import { scratchDatabase, type ScratchDatabase } from '../helpers/database.js'
import { describeOn } from '../helpers/dialects.js'
import { startPgBouncer, type PgBouncer } from '../helpers/pgbouncer.js'
import { capturedSql } from '../helpers/sql-recorder.js'

function statement(sqlText: string, parameters: unknown[], isWrite = false): CompiledQuery {
  return { sql: sqlText, parameters, result: isWrite ? 'count' : 'rows', isWrite, exactIntegers: false }
}

describeOn('postgresql', 'behind PgBouncer in transaction mode', () => {
  let bouncer: PgBouncer
  let database: ScratchDatabase
  let engine: Engine
  /** The test database, through PgBouncer, with Prisma's flag. */
  let url: string
  const sessions: Session[] = []
  const open = (options: ConstructorParameters<typeof Session>[0] | object = {}): Session => {
    const session = new Session({ bind: engine, ...options })
    sessions.push(session)
    return session
  }

  beforeAll(async () => {
    // Fails (not skips) when pgbouncer is missing: the error names scripts/install-pgbouncer.sh.
    bouncer = await startPgBouncer(inject('postgresUrl'), { poolSize: 4 })
  })

  afterAll(async () => {
    await bouncer?.stop()
  })

  beforeEach(async () => {
    database = await scratchDatabase('postgresql', { fromTemplate: true })
    url = `${bouncer.urlFor(database.url)}?pgbouncer=true`
    engine = createEngine(url, { poolSize: 3, maxOverflow: 3 })
    const seed = open()
    const admin = new Role({ name: 'admin' })
    const ann = new User({ username: 'ann', role: admin, createdAt: new Date('2024-05-06T07:08:09.010Z') })
    const post = new Post({ title: 'hello', author: ann })
    seed.addAll([admin, ann, new User({ username: 'bob', role: admin }), new User({ username: 'cid' }), post, new Comment({ body: 'wow', post })])
    await seed.commit()
  })

  afterEach(async () => {
    for (const session of sessions.splice(0)) await session.close()
    await engine.dispose()
    await database.drop()
  })

  it('flushes and commits a unit of work, and the rows are on the server', async () => {
    const session = open()
    const editor = new Role({ name: 'editor' })
    session.add(new User({ username: 'dan', role: editor }))
    const statements = await capturedSql(engine, () => session.commit())
    expect(statements).toEqual([
      'BEGIN',
      'INSERT INTO "Role" ("name") VALUES ($1) RETURNING "id"',
      expect.stringMatching(/^INSERT INTO "users" \(.*\) VALUES \(.*\) RETURNING "id"$/),
      'COMMIT',
    ])
    expect(await database.readRows('SELECT u."username", r."name" AS role FROM "users" u JOIN "Role" r ON r."id" = u."roleId" WHERE u."username" = \'dan\'')).toEqual([
      { username: 'dan', role: 'editor' },
    ])
  })

  it('keeps one object per row (identity map: a second get sends nothing) and lazy-loads relationships', async () => {
    const session = open()
    const ann = (await session.query(User).where({ username: 'ann' }).one())!
    expect(await capturedSql(engine, async () => expect(await session.get(User, ann.id)).toBe(ann))).toEqual([])
    const role = await ann.role
    expect(role?.name).toBe('admin')
    const post = (await session.query(Post).one())!
    expect(await post.author).toBe(ann)
    expect((await post.comments).map((comment) => comment.body)).toEqual(['wow'])
    expect(await capturedSql(engine, async () => expect(await ann.role).toBe(role))).toEqual([])
    // Timestamps round-trip unshifted: PgBouncer's `timezone=UTC` stands in for the TimeZone pg cannot send it.
    expect(ann.createdAt.toISOString()).toBe('2024-05-06T07:08:09.010Z')
    expect((await session.execute(sql`SHOW TimeZone`)).scalar()).toBe('UTC')
  })

  it('rolls back: nothing written reaches the server', async () => {
    const session = open()
    session.add(new Role({ name: 'ghost' }))
    await session.flush()
    await session.rollback()
    expect(await database.readRows('SELECT "name" FROM "Role" ORDER BY "name"')).toEqual([{ name: 'admin' }])
  })

  it('rolls back to a savepoint (beginNested) and commits the rest', async () => {
    const session = open()
    session.add(new Role({ name: 'kept' }))
    const nested = await session.beginNested()
    session.add(new Role({ name: 'undone' }))
    await session.flush()
    await nested.rollback()
    await session.commit()
    expect(await database.readRows('SELECT "name" FROM "Role" ORDER BY "name"')).toEqual([{ name: 'admin' }, { name: 'kept' }])
  })

  it('runs concurrent sessions (more than PgBouncer has server connections) side by side', async () => {
    const work = Array.from({ length: 6 }, async (_, i) => {
      const session = open()
      session.add(new Role({ name: `r${i}` }))
      await session.flush()
      // Every flushed transaction holds its server connection; the others queue in PgBouncer until a COMMIT.
      await session.commit()
      return (await session.query(Role).where({ name: `r${i}` }).one())!.name
    })
    expect(await Promise.all(work)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5'])
    expect(await database.readRows('SELECT count(*)::int AS n FROM "Role"')).toEqual([{ n: 7 }])
  })

  it('streams through a server-side cursor (DECLARE inside the transaction)', async () => {
    const writer = open()
    writer.addAll(Array.from({ length: 25 }, (_, i) => new Role({ name: `bulk${String(i).padStart(2, '0')}` })))
    await writer.commit()
    const session = open()
    const names: string[] = []
    const statements = await capturedSql(engine, async () => {
      for await (const role of session.query(Role).orderBy({ id: 'asc' }).stream({ batchSize: 10 })) names.push(role.name)
    })
    expect(names).toHaveLength(26)
    expect(statements[0]).toBe('BEGIN')
    expect(statements[1]).toMatch(/^DECLARE pa_stream_\d+ NO SCROLL CURSOR FOR SELECT "id", "name" FROM "Role" ORDER BY "id" ASC$/)
    expect(statements.filter((text) => text.startsWith('FETCH FORWARD 10 FROM'))).toHaveLength(3)
  })

  it('gives a session its own isolation level (SET TRANSACTION inside BEGIN)', async () => {
    const session = open({ isolationLevel: 'REPEATABLE READ' })
    const statements = await capturedSql(engine, () => session.execute(sql`SELECT current_setting('transaction_isolation') AS level`))
    expect(statements[0]).toBe('BEGIN ISOLATION LEVEL REPEATABLE READ')
    expect((await session.execute(sql`SELECT current_setting('transaction_isolation')`)).scalar()).toBe('repeatable read')
    // The level does not leak to the next transaction on the same PgBouncer server connection.
    const other = open()
    expect((await other.execute(sql`SELECT current_setting('transaction_isolation')`)).scalar()).toBe('read committed')
  })

  it('filters on relations', async () => {
    const session = open()
    expect(await session.query(User).where({ posts: { some: {} } }).count()).toBe(1)
    expect((await session.query(Comment).where({ post: { author: { role: { name: 'admin' } } } }).all()).map((comment) => comment.body)).toEqual(['wow'])
    expect(await session.query(Role).where({ users: { none: {} } }).exists()).toBe(false)
  })

  it('refuses preparedStatements with ?pgbouncer=true at engine creation, naming the fix', () => {
    let error: unknown
    try {
      createEngine(url, { preparedStatements: true })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error).toMatchObject({ code: 'pgbouncer_prepared_statements' })
    expect((error as Error).message).toMatch(/PgBouncer in transaction mode before 1\.21.*max_prepared_statements.*drop \?pgbouncer=true/)
    expect(() => createEngine(url.replace('pgbouncer=true', 'pgbouncer=yes'))).toThrow(ConfigurationError)
  })

  it('a PgBouncer that refuses pg\'s options startup parameter is a DatabaseUnavailableError naming the pgbouncer.ini fix, not a lost connection', async () => {
    const strict = await startPgBouncer(inject('postgresUrl'), { poolSize: 1, ignoreOptions: false })
    const refused = createEngine(`${strict.urlFor(database.url)}?pgbouncer=true`)
    try {
      const failure = await open({ bind: refused }).execute(sql`SELECT 1`).catch((error: unknown) => error)
      expect(failure).toBeInstanceOf(DatabaseUnavailableError)
      expect(failure).toMatchObject({ code: 'pooler_startup_parameter', host: '127.0.0.1', port: strict.port })
      expect((failure as Error).message).toMatch(/unsupported startup parameter: options.*ignore_startup_parameters = options.*timezone=UTC/)
    } finally {
      await refused.dispose()
      await strict.stop()
    }
  })

  it('without the flag, a prepared statement PgBouncer ran on another server connection is a DatabaseError naming PgBouncer', async () => {
    const unflagged = createEngine(bouncer.urlFor(database.url), { preparedStatements: true, poolSize: 1, maxOverflow: 0 })
    const raw = new pg.Client({ connectionString: bouncer.urlFor(database.url) })
    raw.on('error', () => undefined)
    await raw.connect()
    const write = statement('UPDATE "Role" SET "name" = "name" WHERE "id" = $1', [1], true)
    try {
      const connection = await unflagged.connect()
      try {
        // Prepared on server connection X, which goes back to PgBouncer at COMMIT.
        await connection.begin()
        await connection.execute(write)
        await connection.commit()
        // Another client takes X (PgBouncer reuses server connections last-in first-out) and keeps it.
        await raw.query('BEGIN')
        await raw.query('SELECT 1')
        // The engine's pg connection believes the statement prepared; its server connection now is another one.
        await connection.begin()
        const failure = await connection.execute(write).catch((error: unknown) => error)
        expect(failure).toBeInstanceOf(DatabaseError)
        expect(failure).toMatchObject({ code: 'prepared_statement_lost' })
        expect((failure as Error).message).toMatch(/prepared statement "pa_[\w-]+" does not exist.*PgBouncer before 1\.21.*\?pgbouncer=true/)
        await connection.rollback()
      } finally {
        await unflagged.release(connection)
      }
    } finally {
      await raw.query('ROLLBACK').catch(() => undefined)
      await raw.end()
      await unflagged.dispose()
    }
  })
})
