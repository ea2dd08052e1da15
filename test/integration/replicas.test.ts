// Primary/replica routing: reads on a replica until the session writes, forcing the primary, fallback from an unreachable replica, round-robin.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { ConfigurationError, createDb, createEngine, Session, type Db, type DbOptions, type Engine } from 'prismalchemy'
import { REPLICA_RETRY_MS } from 'prismalchemy/internal'
import { scratchDatabase } from '../helpers/database.js'
import { describeOn, normalizeSql } from '../helpers/dialects.js'
import { importInlineModels, type InlineRegistry } from '../helpers/inline-models.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model Author {
  id    Int    @id @default(autoincrement())
  name  String
  /// @lazy(selectin)
  books Book[]
}

model Book {
  id       Int     @id @default(autoincrement())
  title    String
  authorId Int?
  author   Author? @relation(fields: [authorId], references: [id])
}

/// @bind(analytics)
model Hit {
  id   Int    @id @default(autoincrement())
  path String
}
`

let models: InlineRegistry
let Author: InlineRegistry['classes'][string]
let Book: InlineRegistry['classes'][string]
let Hit: InlineRegistry['classes'][string]
let dir: string
let db: Db

beforeAll(async () => {
  models = await importInlineModels('replicas', SCHEMA)
  ;({ Author, Book, Hit } = models.classes)
}, 60_000)

afterAll(() => rmSync(models.dir, { recursive: true, force: true }))

afterEach(async () => {
  vi.useRealTimers()
  await db?.dispose()
})

/** `name` in the current test's folder, as a file: URL. */
function url(name: string): string {
  return `file:${path.join(dir, name)}`
}

/**
 * Fresh primaries (main.db with two authors and a book, analytics.db with one hit), copied to
 * main-copy-1.db, main-copy-2.db and analytics-copy.db as they are now: replicas that will not
 * see later writes, so every read shows where it ran. Returns a db over them with `options`.
 */
async function replicatedDb(options: (files: typeof url) => DbOptions): Promise<Db> {
  dir = mkdtempSync(path.join(models.dir, 'case-'))
  const seeding = createDb(models.registry, { url: url('main.db'), binds: { analytics: url('analytics.db') } })
  await seeding.createAll()
  await seeding.Session.begin(async (session) => {
    const ann = new Author({ name: 'ann' })
    session.addAll([ann, new Author({ name: 'bob' }), new Book({ title: 'first', author: ann }), new Hit({ path: '/' })])
  })
  await seeding.dispose() // the last connection checkpoints the WAL into the file
  for (const copy of ['main-copy-1.db', 'main-copy-2.db']) copyFileSync(path.join(dir, 'main.db'), path.join(dir, copy))
  copyFileSync(path.join(dir, 'analytics.db'), path.join(dir, 'analytics-copy.db'))
  db = createDb(models.registry, options(url))
  return db
}

/** Labels every statement with the engine that ran it. */
function recordAll(engines: Record<string, Engine>): { log: [string, string][]; engines(): string[] } {
  const log: [string, string][] = []
  for (const [label, engine] of Object.entries(engines)) engine.onStatement((statement) => log.push([label, statement.sql]))
  return { log, engines: () => log.map(([label]) => label) }
}

describe('reads on a replica', () => {
  it('go to the replica until the first flush; then writes and every later read go to the primary, until close()', async () => {
    await replicatedDb((file) => ({ url: file('main.db'), replicas: [file('main-copy-1.db')], binds: { analytics: file('analytics.db') } }))
    const [replica] = db.replicasFor()
    const recorder = recordAll({ primary: db.engine, replica })
    const session = db.Session()
    expect(await session.query(Author).count()).toBe(2)
    const ann = await session.get(Author, 1)
    expect((await ann.books).map((book: { title: string }) => book.title)).toEqual(['first'])
    expect(recorder.engines()).toEqual(['replica', 'replica', 'replica'])
    expect(session.getBind(Author)).toBe(replica)
    expect(session.getBind(Author, { write: true })).toBe(db.engine)

    recorder.log.length = 0
    session.add(new Author({ name: 'cid' }))
    expect(await session.query(Author).count()).toBe(3) // autoflush, then the count, on the primary
    await session.commit()
    expect(await session.query(Author).count()).toBe(3) // still the primary after commit: read-your-writes
    expect(recorder.log).toEqual([
      ['primary', 'BEGIN IMMEDIATE'],
      ['primary', 'INSERT INTO "Author" ("name") VALUES (?) RETURNING "id"'],
      ['primary', 'SELECT count(*) FROM "Author"'],
      ['primary', 'COMMIT'],
      ['primary', 'SELECT count(*) FROM "Author"'],
    ])
    await session.close()
    expect(await session.query(Author).count()).toBe(2) // back on the (stale) replica after close()
    await session.close()
    expect([db.engine.poolStatus().checkedOut, replica.poolStatus().checkedOut]).toEqual([0, 0])
  })

  it('run in their own read-only transaction, rolled back (never committed) when the session commits', async () => {
    await replicatedDb((file) => ({ url: file('main.db'), replicas: [file('main-copy-1.db')], binds: { analytics: file('analytics.db') } }))
    const [replica] = db.replicasFor()
    const recorder = recordAll({ primary: db.engine, replica })
    const session = db.Session()
    await session.query(Author).all()
    expect(replica.poolStatus().checkedOut).toBe(1)
    await session.commit()
    expect(replica.poolStatus().checkedOut).toBe(0)
    expect(recorder.log).toEqual([['replica', 'SELECT "id", "name" FROM "Author"'], ['replica', 'SELECT "id", "title", "authorId" FROM "Book" WHERE "authorId" IN (?, ?)']])
    await session.close()
  })

  it('are spread round-robin over several replicas, one per session', async () => {
    await replicatedDb((file) => ({ url: file('main.db'), replicas: [file('main-copy-1.db'), file('main-copy-2.db')], binds: { analytics: file('analytics.db') } }))
    const [first, second] = db.replicasFor()
    const recorder = recordAll({ primary: db.engine, first, second })
    for (let i = 0; i < 3; i++) {
      const session = db.Session()
      await session.get(Book, 1)
      await session.query(Book).count()
      await session.close()
    }
    expect(recorder.engines()).toEqual(['first', 'first', 'second', 'second', 'first', 'first'])
  })

  it("follow each bind's own replicas; a flush on any bind moves the session's reads to the primaries", async () => {
    await replicatedDb((file) => ({ url: file('main.db'), binds: { analytics: { url: file('analytics.db'), replicas: [file('analytics-copy.db')] } } }))
    const [analyticsReplica] = db.replicasFor('analytics')
    expect(db.replicasFor()).toEqual([])
    const recorder = recordAll({ main: db.engine, analytics: db.engineFor('analytics'), analyticsReplica })
    const session = db.Session()
    await session.query(Hit).all()
    await session.query(Author).all()
    session.add(new Book({ title: 'second' }))
    await session.flush()
    await session.query(Hit).all()
    expect(recorder.log.map(([label, sql]) => `${label}: ${sql.split(' WHERE')[0]}`)).toEqual([
      'analyticsReplica: SELECT "id", "path" FROM "Hit"',
      'main: SELECT "id", "name" FROM "Author"',
      'main: SELECT "id", "title", "authorId" FROM "Book"',
      'main: BEGIN IMMEDIATE',
      'main: INSERT INTO "Book" ("title", "authorId") VALUES (?, ?) RETURNING "id"',
      'analytics: SELECT "id", "path" FROM "Hit"',
    ])
    await session.close()
  })
})

describe('forcing the primary', () => {
  it('for a whole session with { primary: true } or usePrimary(), and for one query with query.usePrimary()', async () => {
    await replicatedDb((file) => ({ url: file('main.db'), replicas: [file('main-copy-1.db')], binds: { analytics: file('analytics.db') } }))
    const [replica] = db.replicasFor()
    const recorder = recordAll({ primary: db.engine, replica })
    const forced = db.Session({ primary: true })
    await forced.get(Book, 1)
    await forced.close()
    await forced.get(Book, 1) // the option outlives close()
    await forced.close()
    expect(recorder.engines()).toEqual(['primary', 'primary'])

    recorder.log.length = 0
    const session = db.Session()
    await session.query(Book).usePrimary().first()
    await session.query(Book).first()
    session.usePrimary()
    await session.query(Book).first()
    await session.close()
    await session.query(Book).first()
    await session.close()
    expect(recorder.engines()).toEqual(['primary', 'replica', 'primary', 'replica'])

    // A query on the primary loads its selectin relationships there too.
    recorder.log.length = 0
    await session.query(Author).usePrimary().all()
    await session.close()
    expect(recorder.log.map(([label, sql]) => `${label}: ${sql.split(' WHERE')[0]}`)).toEqual([
      'primary: SELECT "id", "name" FROM "Author"',
      'primary: SELECT "id", "title", "authorId" FROM "Book"',
    ])
  })
})

describe('an unreachable replica', () => {
  it('falls back to the primary, and is skipped by every session for REPLICA_RETRY_MS', async () => {
    await replicatedDb((file) => ({ url: file('main.db'), replicas: [file('missing/replica.db')], binds: { analytics: file('analytics.db') } }))
    const [replica] = db.replicasFor()
    const recorder = recordAll({ primary: db.engine, replica })
    vi.useFakeTimers({ toFake: ['Date'] })
    const first = db.Session()
    expect(await first.query(Author).count()).toBe(2)
    expect(await first.query(Author).count()).toBe(2)
    await first.close()
    // The replica becomes reachable, but is not tried again yet.
    mkdirSync(path.join(dir, 'missing'))
    copyFileSync(path.join(dir, 'main-copy-1.db'), path.join(dir, 'missing', 'replica.db'))
    const second = db.Session()
    await second.query(Author).count()
    await second.close()
    expect(recorder.engines()).toEqual(['primary', 'primary', 'primary'])
    vi.setSystemTime(Date.now() + REPLICA_RETRY_MS + 1)
    const third = db.Session()
    await third.query(Author).count()
    await third.close()
    expect(recorder.engines()).toEqual(['primary', 'primary', 'primary', 'replica'])
  })
})

describe('a SERIALIZABLE session', () => {
  it('reads on the primary: a replica cannot be serializable with the primary (a PostgreSQL hot standby refuses the level)', async () => {
    await replicatedDb((file) => ({ url: file('main.db'), replicas: [file('main-copy-1.db')], binds: { analytics: file('analytics.db') } }))
    const [replica] = db.replicasFor()
    const recorder = recordAll({ primary: db.engine, replica })
    const session = db.Session({ isolationLevel: 'SERIALIZABLE' })
    expect(session.getBind(Author)).toBe(db.engine)
    expect(await session.query(Author).count()).toBe(2)
    await session.close()
    expect(recorder.log).toEqual([['primary', 'BEGIN IMMEDIATE'], ['primary', 'SELECT count(*) FROM "Author"'], ['primary', 'ROLLBACK']])
  })
})

describe('a stream on an unreachable replica', () => {
  it('opens on the primary, and the replica is skipped by every session', async () => {
    await replicatedDb((file) => ({ url: file('main.db'), replicas: [file('missing/replica.db')], binds: { analytics: file('analytics.db') } }))
    const [replica] = db.replicasFor()
    const recorder = recordAll({ primary: db.engine, replica })
    const session = db.Session()
    const names: string[] = []
    for await (const author of session.query(Author).stream()) names.push(author.name)
    expect(names).toEqual(['ann', 'bob'])
    await session.close()
    expect(session.getBind(Author)).toBe(db.engine)
    expect(recorder.log).toEqual([
      ['primary', 'SELECT "id", "name" FROM "Author"'],
      ['primary', 'SELECT "id", "title", "authorId" FROM "Book" WHERE "authorId" IN (?, ?)'], // Author.books is selectin
    ])
  })
})

describe('configuration', () => {
  it('refuses a replica of another kind of database than its primary', async () => {
    dir = mkdtempSync(path.join(models.dir, 'case-'))
    const primary = createEngine(url('main.db'))
    const postgres = createEngine('postgresql://user:secret@127.0.0.1:1/none')
    try {
      expect(() => new Session({ bind: { primary, replicas: [postgres] } })).toThrow(ConfigurationError)
      expect(() => new Session({ bind: { primary, replicas: [postgres] } })).toThrow(
        'A read replica of the default bind is a postgresql database, but its primary is sqlite: replicas must be copies of their primary.',
      )
    } finally {
      await Promise.all([primary.dispose(), postgres.dispose()])
    }
  })
})

describeOn('postgresql', 'on postgresql', () => {
  it('reads on the replica in autocommit, writes and later reads on the primary, and an unreachable replica falls back', async () => {
    const main = await scratchDatabase('postgresql')
    // A second engine on the same database plays the replica: the routing is what is asserted.
    const unreachable = 'postgresql://postgres:none@127.0.0.1:1/none'
    db = createDb(models.registry, { url: main.url, replicas: [main.url], binds: { analytics: { url: main.url, replicas: [unreachable] } } })
    try {
      await db.createAll()
      const recorder = recordAll({ primary: db.engine, replica: db.replicasFor()[0], unreachable: db.replicasFor('analytics')[0] })
      const session = db.Session()
      expect(await session.query(Book).count()).toBe(0)
      expect(await session.query(Hit).count()).toBe(0)
      session.add(new Book({ title: 'new' }))
      expect(await session.query(Book).count()).toBe(1)
      await session.commit()
      await session.close()
      expect(recorder.log.map(([label, sql]) => `${label}: ${normalizeSql(sql).split(' VALUES')[0]}`)).toEqual([
        // Reads before the first write run in autocommit: no BEGIN on the replicas.
        'replica: SELECT count(*) FROM "Book"',
        'unreachable: SELECT count(*) FROM "Hit"', // failed: pg connects at the first statement
        'primary: SELECT count(*) FROM "Hit"',
        'primary: BEGIN',
        'primary: INSERT INTO "Book" ("title", "authorId")',
        'primary: SELECT count(*) FROM "Book"',
        'primary: COMMIT',
      ])
    } finally {
      await db.dispose()
      await main.drop()
    }
  })
})
