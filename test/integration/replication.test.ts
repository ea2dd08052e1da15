// Read replicas on real PostgreSQL streaming replication: a primary and a hot standby of this file's own, the standby lagging, stopped and promoted.
import pg from 'pg'
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest'
import { ConnectionLostError, createDb, type Db, type Engine } from 'prismalchemy'
import { REPLICA_RETRY_MS } from 'prismalchemy/internal'
import { registry, Role } from '../../generated/models.js'
import { pushSchema } from '../../runtime/engine/schema-engine.js'
import { describeOn, normalizeSql } from '../helpers/dialects.js'
import { startReplicatedPair, type ReplicatedPair, type ServerName } from '../helpers/replication.js'

// PostgreSQL only: SQLite has no replication; test/integration/replicas.test.ts covers the routing on both databases.
describeOn('postgresql', 'read replicas on a streaming hot standby', () => {
  let pair: ReplicatedPair
  let db: Db<typeof registry.classes>
  let standby: Engine
  /** Every statement of the db's two engines, labelled with the server that ran it, and its error's name when it failed. */
  const log: string[] = []

  beforeAll(async () => {
    pair = await startReplicatedPair(async (url) => {
      const admin = new pg.Client({ connectionString: url('postgres') })
      await admin.connect()
      await admin.query('CREATE DATABASE app')
      await admin.end()
      await pushSchema({ url: url('app'), sources: registry.schema.sources })
    })
    db = createDb(registry, { url: pair.url('primary', 'app'), replicas: [pair.url('standby', 'app')] })
    ;[standby] = db.replicasFor()
    for (const [label, engine] of [['primary', db.engine], ['standby', standby]] as const) {
      engine.onStatement(({ sql, error }) => log.push(`${label}: ${normalizeSql(sql)}${error === undefined ? '' : ` -> ${error.name}`}`))
    }
  }, 120_000)

  afterAll(async () => {
    await db?.dispose()
    await pair?.dispose()
  })

  afterEach(() => {
    vi.useRealTimers()
    log.length = 0
  })

  /** Role names stored on one server, read with a plain connection. */
  async function namesOn(server: ServerName): Promise<string[]> {
    const rows = await pair.query<{ name: string }>(server, 'SELECT "name" FROM "Role" ORDER BY "name"', 'app')
    return rows.map((row) => row.name)
  }

  /** Inserts a role with a plain connection on the primary (another application writing). */
  async function insertOnPrimary(name: string): Promise<void> {
    await pair.query('primary', `INSERT INTO "Role" ("name") VALUES ('${name}')`, 'app')
  }

  it('reads from the standby: a session sees what the standby has replayed, and the standby ran its statement', async () => {
    await insertOnPrimary('replayed')
    await pair.waitForReplay()
    await pair.pauseReplay()
    await insertOnPrimary('not replayed')
    expect(await namesOn('primary')).toEqual(['not replayed', 'replayed'])
    expect(await namesOn('standby')).toEqual(['replayed'])

    const session = db.Session()
    expect(session.getBind(Role)).toBe(standby)
    expect((await session.query(Role).all()).map((role) => role.name)).toEqual(['replayed'])
    expect(await session.query(Role).count()).toBe(1)
    // The standby's own view of its sessions: the pooled connection's last statement is the count.
    const backends = await pair.query<{ query: string }>('standby', `SELECT query FROM pg_stat_activity WHERE datname = 'app' AND backend_type = 'client backend'`)
    expect(backends.map((row) => row.query)).toContain('SELECT count(*) FROM "Role"')
    await session.close()
    // Autocommit reads (no BEGIN) on the standby, nothing on the primary.
    expect(log).toEqual(['standby: SELECT "id", "name" FROM "Role"', 'standby: SELECT count(*) FROM "Role"'])

    await pair.resumeReplay()
    await pair.waitForReplay()
  })

  it('reads your writes from the primary after the first flush while the standby lags; other sessions read the standby without them', async () => {
    await pair.pauseReplay()
    const writer = db.Session()
    writer.add(new Role({ name: 'fresh' }))
    await writer.commit()
    expect(await namesOn('primary')).toContain('fresh')
    expect(await namesOn('standby')).not.toContain('fresh')

    // The writer reads on the primary until close(), after its commit too.
    expect((await writer.query(Role).filterBy({ name: 'fresh' }).one()).name).toBe('fresh')
    // A session that has not written reads the lagging standby: the row is not there yet.
    const reader = db.Session()
    expect(await reader.query(Role).filterBy({ name: 'fresh' }).first()).toBeNull()
    // After close() the writer is a new session again, reading the standby.
    await writer.close()
    expect(await writer.query(Role).filterBy({ name: 'fresh' }).first()).toBeNull()
    await writer.close()

    // Replay catches up: the same reader sees the row at its next read, each read being its own statement on the standby (no transaction).
    await pair.resumeReplay()
    await pair.waitForReplay()
    expect((await reader.query(Role).filterBy({ name: 'fresh' }).one()).name).toBe('fresh')
    await reader.close()
    // The lone INSERT commits alone (singleStatementCommits, on by default while the pool's connections answer).
    expect(log).toEqual([
      'primary: INSERT INTO "Role" ("name") VALUES (?) RETURNING "id"',
      'primary: SELECT "id", "name" FROM "Role" WHERE "name" = ? LIMIT ?',
      'standby: SELECT "id", "name" FROM "Role" WHERE "name" = ? LIMIT ?',
      'standby: SELECT "id", "name" FROM "Role" WHERE "name" = ? LIMIT ?',
      'standby: SELECT "id", "name" FROM "Role" WHERE "name" = ? LIMIT ?',
    ])
  })

  it('reads a SERIALIZABLE session on the primary: a hot standby refuses the level', async () => {
    // What the standby answers when asked (the routing no longer asks it): feature_not_supported.
    await expect(pair.query('standby', 'BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT 1', 'app')).rejects.toThrow('cannot use serializable mode in a hot standby')
    const session = db.Session({ isolationLevel: 'SERIALIZABLE' })
    expect(session.getBind(Role)).toBe(db.engine)
    expect(await session.query(Role).count()).toBe((await namesOn('primary')).length)
    await session.close()
    expect(log).toEqual(['primary: BEGIN ISOLATION LEVEL SERIALIZABLE', 'primary: SELECT count(*) FROM "Role"', 'primary: ROLLBACK'])
  })

  it('falls back to the primary when the standby stops mid-run, loses nothing, and reads the standby again once it is back', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const reader = db.Session()
    const before = await reader.query(Role).count()
    await pair.stop('standby')

    // The reader's standby connection was closed by the shutdown: its next read runs on the primary.
    expect(await reader.query(Role).count()).toBe(before)
    // Writes never touch the standby; a new session skips it without trying, for REPLICA_RETRY_MS.
    const writer = db.Session()
    writer.add(new Role({ name: 'while down' }))
    await writer.commit()
    await writer.close()
    const skipping = db.Session()
    expect(await skipping.query(Role).count()).toBe(before + 1)
    await skipping.close()
    await reader.close()

    // Past REPLICA_RETRY_MS with the standby still down: the refused connection sends the read to the primary again; so does a stream's.
    vi.setSystemTime(Date.now() + REPLICA_RETRY_MS + 1)
    const retrying = db.Session()
    expect(await retrying.query(Role).count()).toBe(before + 1)
    await retrying.close()
    vi.setSystemTime(Date.now() + REPLICA_RETRY_MS + 1)
    const streaming = db.Session()
    const streamed: string[] = []
    for await (const role of streaming.query(Role).stream()) streamed.push(role.name)
    expect(streamed).toContain('while down')
    await streaming.close()
    expect(log.map((line) => line.replaceAll(/pa_stream_\d+/g, '<cursor>'))).toEqual([
      'standby: SELECT count(*) FROM "Role"',
      'standby: SELECT count(*) FROM "Role" -> ConnectionLostError',
      'primary: SELECT count(*) FROM "Role"',
      'primary: INSERT INTO "Role" ("name") VALUES (?) RETURNING "id"',
      'primary: SELECT count(*) FROM "Role"',
      'standby: SELECT count(*) FROM "Role" -> ConnectionLostError',
      'primary: SELECT count(*) FROM "Role"',
      'standby: BEGIN -> ConnectionLostError',
      'primary: BEGIN',
      'primary: DECLARE <cursor> NO SCROLL CURSOR FOR SELECT "id", "name" FROM "Role"',
      'primary: FETCH FORWARD 1000 FROM <cursor>',
      'primary: CLOSE <cursor>',
      'primary: ROLLBACK',
    ])

    // Back, caught up, and tried again once the skip ends: it has every row written while it was down.
    await pair.start('standby')
    await pair.waitForStreaming()
    await pair.waitForReplay()
    vi.setSystemTime(Date.now() + REPLICA_RETRY_MS + 1)
    log.length = 0
    const back = db.Session()
    expect((await back.query(Role).filterBy({ name: 'while down' }).one()).name).toBe('while down')
    await back.close()
    expect(log).toEqual(['standby: SELECT "id", "name" FROM "Role" WHERE "name" = ? LIMIT ?'])
    expect(await namesOn('standby')).toEqual(await namesOn('primary'))
  })

  it('keeps reading a promoted standby without noticing: its reads miss the old primary\'s later writes until the app is pointed at the new primary', async () => {
    // Past the skip the previous test left on the standby (its clock ran ahead).
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 3 * REPLICA_RETRY_MS)
    await pair.promote()
    expect(await pair.query('standby', 'SELECT pg_is_in_recovery() AS recovering')).toEqual([{ recovering: false }])
    // Split brain: the old primary still takes writes, which no longer reach the promoted server, and the routing does not check.
    const writer = db.Session()
    writer.add(new Role({ name: 'after promotion' }))
    await writer.commit()
    expect((await writer.query(Role).filterBy({ name: 'after promotion' }).one()).name).toBe('after promotion')
    await writer.close()
    const reader = db.Session()
    expect(await reader.query(Role).filterBy({ name: 'after promotion' }).first()).toBeNull()
    await reader.close()

    // The old primary gone: reads still work (on the promoted server), writes fail with ConnectionLostError, nothing is half-written.
    await pair.stop('primary')
    const stranded = db.Session()
    expect(await stranded.query(Role).filterBy({ name: 'while down' }).one()).toBeDefined()
    stranded.add(new Role({ name: 'lost' }))
    await expect(stranded.commit()).rejects.toBeInstanceOf(ConnectionLostError)
    await stranded.close()

    // Failing over is the application's move: a db whose primary is the promoted server writes there.
    const failedOver = createDb(registry, { url: pair.url('standby', 'app') })
    try {
      await failedOver.Session.begin((session) => session.add(new Role({ name: 'on the new primary' })))
      expect(await namesOn('standby')).toEqual(expect.arrayContaining(['on the new primary', 'while down']))
      expect(await namesOn('standby')).not.toContain('lost')
    } finally {
      await failedOver.dispose()
    }
    expect(log).toEqual([
      'primary: BEGIN',
      'primary: INSERT INTO "Role" ("name") VALUES (?) RETURNING "id"',
      'primary: COMMIT',
      'primary: SELECT "id", "name" FROM "Role" WHERE "name" = ? LIMIT ?',
      'standby: SELECT "id", "name" FROM "Role" WHERE "name" = ? LIMIT ?',
      'standby: SELECT "id", "name" FROM "Role" WHERE "name" = ? LIMIT ?',
      // The first write came after the clock jumped: the pool's idle connections had not answered lately, so it
      // kept BEGIN ... COMMIT. The stopped server closed every connection, so the lone write goes alone and fails.
      'primary: INSERT INTO "Role" ("name") VALUES (?) RETURNING "id" -> ConnectionLostError',
    ])
  })
})
