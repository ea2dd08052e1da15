// Per-model binds (`/// @bind(key)`, Flask-SQLAlchemy's SQLALCHEMY_BINDS): tables per database, statements per engine, one commit per engine (SQLite files; PostgreSQL databases at the end).
import { mkdtempSync, rmSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BindCommitError, ConfigurationError, createDb, ForeignKeyViolationError, inspect, Session, type Db, type Engine } from 'prismalchemy'
import { readRows, scratchDatabase, type ScratchDatabase } from '../helpers/database.js'
import { describeOn, normalizeSql } from '../helpers/dialects.js'
import { importInlineModels, type InlineRegistry } from '../helpers/inline-models.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model User {
  id    Int    @id @default(autoincrement())
  name  String
  posts Post[]
}

model Post {
  id     Int    @id @default(autoincrement())
  title  String
  userId Int
  user   User   @relation(fields: [userId], references: [id])
}

/// Analytics live in their own database.
/// @bind(analytics)
model Event {
  id       Int    @id @default(autoincrement())
  kind     String
  parentId Int?
  tags     Tag[]
}

/// @bind(analytics)
model Tag {
  id     Int     @id @default(autoincrement())
  name   String
  events Event[]
}
`

let models: InlineRegistry
let User: InlineRegistry['classes'][string]
let Post: InlineRegistry['classes'][string]
let Event: InlineRegistry['classes'][string]
let Tag: InlineRegistry['classes'][string]
/** The current test's folder, database files and db object. */
let dir: string
let mainFile: string
let analyticsFile: string
let db: Db

beforeAll(async () => {
  models = await importInlineModels('binds', SCHEMA)
  ;({ User, Post, Event, Tag } = models.classes)
}, 60_000)

afterAll(() => rmSync(models.dir, { recursive: true, force: true }))

/** A db on two fresh files, the default database and `analytics` (or one file for both with `sameFile`). */
function freshDb(options: { sameFile?: boolean } = {}): Db {
  dir = mkdtempSync(path.join(models.dir, 'case-'))
  mainFile = path.join(dir, 'main.db')
  analyticsFile = options.sameFile ? mainFile : path.join(dir, 'analytics.db')
  db = createDb(models.registry, { url: `file:${mainFile}`, binds: { analytics: `file:${analyticsFile}` } })
  return db
}

afterEach(async () => {
  await db?.dispose()
})

function tables(file: string): string[] {
  return readRows<{ name: string }>(file, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").map((row) => row.name)
}

/** Every statement of the given engines, labelled, in the order they ran across engines. */
function recordAll(engines: Record<string, Engine>): { log: [string, string][]; stop(): void } {
  const log: [string, string][] = []
  const stops = Object.entries(engines).map(([label, engine]) => engine.onStatement((statement) => log.push([label, statement.sql])))
  return { log, stop: () => stops.forEach((stop) => stop()) }
}

/** Runs `sql` on a database file with plain better-sqlite3 (foreign keys off, to rebuild a table). */
function rawExec(file: string, sql: string): void {
  const raw = new Database(file)
  try {
    raw.pragma('foreign_keys = OFF')
    raw.exec(sql)
  } finally {
    raw.close()
  }
}

describe('createAll and dropAll per bind', () => {
  it("create each bind's tables in its own database, only the selected binds' with { bind }", async () => {
    freshDb()
    await db.createAll({ bind: 'analytics' })
    expect(tables(analyticsFile)).toEqual(['Event', 'Tag', '_EventToTag'])
    expect(() => tables(mainFile)).toThrow() // the default database was never touched
    await db.createAll({ bind: null })
    expect(tables(mainFile)).toEqual(['Post', 'User'])
    expect(tables(analyticsFile)).toEqual(['Event', 'Tag', '_EventToTag'])
    expect(await db.createAll()).toEqual({ executedSteps: 0, warnings: [] })
    await db.dropAll({ bind: 'analytics' })
    expect(tables(analyticsFile)).toEqual([])
    expect(tables(mainFile)).toEqual(['Post', 'User'])
    await db.dropAll()
    expect(tables(mainFile)).toEqual([])
  })

  it('share one engine and one file between binds with the same URL, and still create and drop per bind', async () => {
    freshDb({ sameFile: true })
    expect(db.engineFor('analytics')).toBe(db.engine)
    expect([...db.engines.keys()]).toEqual([null, 'analytics'])
    await db.createAll({ bind: ['analytics'] })
    expect(tables(mainFile)).toEqual(['Event', 'Tag', '_EventToTag'])
    await db.createAll()
    expect(tables(mainFile)).toEqual(['Event', 'Post', 'Tag', 'User', '_EventToTag'])
    await db.dropAll({ bind: 'analytics' })
    expect(tables(mainFile)).toEqual(['Post', 'User'])
  })

  it('refuse a schema whose bind has no URL, naming the models and the option', async () => {
    const unconfigured = createDb(models.registry, { url: `file:${path.join(models.dir, 'unused.db')}` })
    const message = 'Models Event, Tag are in bind "analytics" (/// @bind(analytics)), but no database is configured for bind "analytics". ' +
      "Add binds: { \"analytics\": 'file:./analytics.db' } (any database URL) to createDb() or db.configure()."
    await expect(unconfigured.createAll()).rejects.toThrow(message)
    expect(() => unconfigured.engine).toThrow(ConfigurationError)
    freshDb()
    expect(() => db.engineFor('audit')).toThrow('No database is configured for bind "audit".')
  })
})

describe('a session over two binds', () => {
  it("runs each model's statements on its bind's engine, the default bind first, and commits both", async () => {
    freshDb()
    await db.createAll()
    const recorder = recordAll({ main: db.engine, analytics: db.engineFor('analytics') })
    const session = db.Session()
    const event = new Event({ kind: 'signup' })
    const red = new Tag({ name: 'red' })
    session.addAll([new Post({ title: 'hello', user: new User({ name: 'ann' }) }), event, red])
    await session.flush()
    ;(await event.tags).push(red)
    await session.commit()
    recorder.stop()
    expect(recorder.log.map(([label, sql]) => `${label}: ${sql.split(' VALUES')[0]}`)).toEqual([
      'main: BEGIN IMMEDIATE',
      'main: INSERT INTO "User" ("name")',
      'main: INSERT INTO "Post" ("title", "userId")',
      'analytics: BEGIN IMMEDIATE',
      'analytics: INSERT INTO "Event" ("kind", "parentId")',
      'analytics: INSERT INTO "Tag" ("name")',
      'analytics: SELECT "t"."id", "t"."name", "s"."A" FROM "Tag" AS "t" LEFT OUTER JOIN "_EventToTag" AS "s" ON "s"."B" = "t"."id" WHERE "s"."A" = ?',
      'analytics: INSERT INTO "_EventToTag" ("A", "B")',
      'main: COMMIT',
      'analytics: COMMIT',
    ])
    await session.close()
    expect(readRows(mainFile, 'SELECT u.name, p.title FROM "Post" p JOIN "User" u ON u.id = p.userId')).toEqual([{ name: 'ann', title: 'hello' }])
    expect(readRows(analyticsFile, 'SELECT e.kind, t.name FROM "Event" e JOIN "_EventToTag" l ON l.A = e.id JOIN "Tag" t ON t.id = l.B')).toEqual([
      { kind: 'signup', name: 'red' },
    ])
    expect(tables(mainFile)).not.toContain('Event')
  })

  it("reads and lazy-loads each model from its bind's engine, one connection per engine", async () => {
    freshDb()
    await db.createAll()
    await db.Session.begin(async (session) => {
      const event = new Event({ kind: 'view' })
      const blue = new Tag({ name: 'blue' })
      session.addAll([new User({ name: 'bob' }), event, blue])
      ;(await event.tags).push(blue)
    })
    const recorder = recordAll({ main: db.engine, analytics: db.engineFor('analytics') })
    const session = db.Session()
    const [event] = await session.query(Event).all()
    const tags = await event.tags
    const bob = await session.query(User).one()
    expect([tags.map((tag: { name: string }) => tag.name), bob.name]).toEqual([['blue'], 'bob'])
    expect(db.engine.poolStatus().checkedOut + db.engineFor('analytics').poolStatus().checkedOut).toBe(2)
    await session.close()
    expect(recorder.log.map(([label, sql]) => `${label}: ${sql.split(' FROM ')[1]?.split(' ')[0]}`)).toEqual([
      'analytics: "Event"',
      'analytics: "Tag"',
      'main: "User"',
    ])
    expect(db.engine.poolStatus().checkedOut + db.engineFor('analytics').poolStatus().checkedOut).toBe(0)
  })

  it('rolls back every engine it wrote to', async () => {
    freshDb()
    await db.createAll()
    const recorder = recordAll({ main: db.engine, analytics: db.engineFor('analytics') })
    const session = db.Session()
    session.addAll([new User({ name: 'cid' }), new Event({ kind: 'click' })])
    await session.flush()
    await session.rollback()
    recorder.stop()
    expect(recorder.log.filter(([, sql]) => sql === 'ROLLBACK').map(([label]) => label).sort()).toEqual(['analytics', 'main'])
    expect(readRows(mainFile, 'SELECT * FROM "User"')).toEqual([])
    expect(readRows(analyticsFile, 'SELECT * FROM "Event"')).toEqual([])
  })

  it('refuses a model whose bind the Session was not given, naming the model', async () => {
    freshDb()
    await db.createAll()
    const session = new Session({ bind: db.engine })
    expect(await session.query(User).all()).toEqual([])
    await expect(session.query(Event).all()).rejects.toThrow(
      'Model Event is in bind "analytics" (/// @bind(analytics)), but no database is configured for bind "analytics". Pass binds: { "analytics": engine } to the Session',
    )
    await session.close()
    const bound = new Session({ bind: db.engine, binds: { analytics: db.engineFor('analytics') } })
    expect(await bound.query(Event).all()).toEqual([])
    expect(bound.getBind(Event)).toBe(db.engineFor('analytics'))
    expect(bound.getBind()).toBe(db.engine)
    await bound.close()
  })
})

describe('when one bind fails to commit (no two-phase commit)', () => {
  // A foreign key checked at COMMIT (DEFERRABLE INITIALLY DEFERRED): the INSERT passes, the COMMIT fails.
  const deferredEvent =
    'DROP TABLE "Event"; CREATE TABLE "Event" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "kind" TEXT NOT NULL, ' +
    '"parentId" INTEGER REFERENCES "Event" ("id") DEFERRABLE INITIALLY DEFERRED);'
  const deferredPost =
    'DROP TABLE "Post"; CREATE TABLE "Post" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL, ' +
    '"userId" INTEGER NOT NULL REFERENCES "User" ("id") DEFERRABLE INITIALLY DEFERRED);'

  it('keeps the binds committed before it, names the bind that failed, and rollback() restores only its objects', async () => {
    freshDb()
    await db.createAll()
    rawExec(analyticsFile, deferredEvent)
    const session = db.Session()
    const dee = new User({ name: 'dee' })
    const orphan = new Event({ kind: 'reply', parentId: 999 })
    session.addAll([dee, orphan])
    const error: unknown = await session.commit().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(BindCommitError)
    const failure = error as BindCommitError
    expect([failure.code, failure.bind, failure.committed, failure.rolledBack]).toEqual(['bind_commit_failed', 'analytics', [null], []])
    expect(failure.cause).toBeInstanceOf(ForeignKeyViolationError)
    expect(failure.message).toMatch(/^Commit failed on bind "analytics" \(ForeignKeyViolationError: .*\)\. Committed before it, and not undone \(there is no two-phase commit\): the default bind\. Rolled back: bind "analytics"\./)
    expect(readRows(mainFile, 'SELECT name FROM "User"')).toEqual([{ name: 'dee' }])
    expect(readRows(analyticsFile, 'SELECT * FROM "Event"')).toEqual([])
    await expect(session.query(User).all()).rejects.toThrow('Cannot query while the session transaction is closed.')
    await session.rollback()
    expect([inspect(dee).state, inspect(orphan).state]).toEqual(['persistent', 'transient'])
    orphan.parentId = null
    session.add(orphan)
    await session.commit()
    expect(readRows(analyticsFile, 'SELECT kind FROM "Event"')).toEqual([{ kind: 'reply' }])
    await session.close()
  })

  it('rolls back the binds after the one that failed', async () => {
    freshDb()
    await db.createAll()
    rawExec(mainFile, deferredPost)
    const recorder = recordAll({ main: db.engine, analytics: db.engineFor('analytics') })
    const session = db.Session()
    const post = new Post({ title: 'orphan', userId: 999 })
    const event = new Event({ kind: 'post' })
    session.addAll([post, event])
    const error = (await session.commit().catch((caught: unknown) => caught)) as BindCommitError
    recorder.stop()
    expect([error.bind, error.committed, error.rolledBack]).toEqual([null, [], ['analytics']])
    expect(error.message).toContain('Committed before it, and not undone (there is no two-phase commit): none. Rolled back: the default bind, bind "analytics".')
    // The default bind's COMMIT failed (SQLite then rolls back), and analytics was rolled back after it, never committed.
    const ends = (label: string) => recorder.log.filter(([engine, sql]) => engine === label && /^(COMMIT|ROLLBACK)$/.test(sql)).map(([, sql]) => sql)
    expect(ends('main').at(-1)).toBe('ROLLBACK')
    expect(ends('analytics')).toEqual(['ROLLBACK'])
    const position = (label: string) => recorder.log.findLastIndex(([engine, sql]) => engine === label && sql === 'ROLLBACK')
    expect(position('analytics')).toBeGreaterThan(position('main'))
    expect(readRows(mainFile, 'SELECT * FROM "Post"')).toEqual([])
    expect(readRows(analyticsFile, 'SELECT * FROM "Event"')).toEqual([])
    await session.rollback()
    expect([inspect(post).state, inspect(event).state]).toEqual(['transient', 'transient'])
    await session.close()
  })
})

describeOn('postgresql', 'on postgresql: two databases', () => {
  it("createAll puts each bind's tables in its database; a session writes both and commits both", async () => {
    const main = await scratchDatabase('postgresql')
    const analytics = await scratchDatabase('postgresql')
    const pgDb = createDb(models.registry, { url: main.url, binds: { analytics: analytics.url } })
    try {
      await pgDb.createAll()
      const tablesOf = async (database: ScratchDatabase) =>
        (
          await database.readRows<{ name: string }>(
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
          )
        ).map((row) => row.name)
      expect(await tablesOf(main)).toEqual(['Post', 'User'])
      expect(await tablesOf(analytics)).toEqual(['Event', 'Tag', '_EventToTag'])
      const recorder = recordAll({ main: pgDb.engine, analytics: pgDb.engineFor('analytics') })
      const session = pgDb.Session()
      const event = new Event({ kind: 'signup' })
      const red = new Tag({ name: 'red' })
      session.addAll([new Post({ title: 'hello', user: new User({ name: 'ann' }) }), event, red])
      await session.flush()
      ;(await event.tags).push(red)
      await session.commit()
      await session.close()
      recorder.stop()
      expect(recorder.log.map(([label, sql]) => `${label}: ${normalizeSql(sql).split(' VALUES')[0].split(' FROM')[0]}`)).toEqual([
        'main: BEGIN',
        'main: INSERT INTO "User" ("name")',
        'main: INSERT INTO "Post" ("title", "userId")',
        'analytics: BEGIN',
        'analytics: INSERT INTO "Event" ("kind", "parentId")',
        'analytics: INSERT INTO "Tag" ("name")',
        'analytics: SELECT "t"."id", "t"."name", "s"."A"',
        'analytics: INSERT INTO "_EventToTag" ("A", "B")',
        'main: COMMIT',
        'analytics: COMMIT',
      ])
      expect(await main.readRows('SELECT u.name, p.title FROM "Post" p JOIN "User" u ON u.id = p."userId"')).toEqual([{ name: 'ann', title: 'hello' }])
      expect(await analytics.readRows('SELECT e.kind, t.name FROM "Event" e JOIN "_EventToTag" l ON l."A" = e.id JOIN "Tag" t ON t.id = l."B"')).toEqual([
        { kind: 'signup', name: 'red' },
      ])
    } finally {
      await pgDb.dispose()
      await Promise.all([main.drop(), analytics.drop()])
    }
  })
})
