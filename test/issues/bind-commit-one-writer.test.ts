// A session that reads one bind and writes only another got a BindCommitError (naming the bind it only read as "committed")
// when its one COMMIT failed; README: with only one database written to, commit() raises the database's error itself.
import { mkdtempSync, rmSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { BindCommitError, createDb, ForeignKeyViolationError } from 'prismalchemy'
import { importInlineModels, type InlineRegistry } from '../helpers/inline-models.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model User {
  id   Int    @id @default(autoincrement())
  name String
}

/// @bind(analytics)
model Event {
  id       Int    @id @default(autoincrement())
  kind     String
  parentId Int?
}
`

let models: InlineRegistry

beforeAll(async () => {
  models = await importInlineModels('bind-commit-one-writer', SCHEMA)
}, 60_000)

afterAll(() => rmSync(models.dir, { recursive: true, force: true }))

it('raises the database error when the only bind written to fails to commit, even after reading another bind', async () => {
  const { User, Event } = models.classes
  const dir = mkdtempSync(path.join(models.dir, 'case-'))
  const analytics = path.join(dir, 'analytics.db')
  const db = createDb(models.registry, { url: `file:${path.join(dir, 'main.db')}`, binds: { analytics: `file:${analytics}` } })
  try {
    await db.createAll()
    // A foreign key checked at COMMIT: the INSERT passes, the COMMIT fails.
    const raw = new Database(analytics)
    raw.exec(
      'DROP TABLE "Event"; CREATE TABLE "Event" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "kind" TEXT NOT NULL, ' +
        '"parentId" INTEGER REFERENCES "Event" ("id") DEFERRABLE INITIALLY DEFERRED);',
    )
    raw.close()
    const session = db.Session()
    expect(await session.query(User).count()).toBe(0) // a read on the default bind: its connection is open, nothing written
    session.add(new Event({ kind: 'reply', parentId: 999 }))
    const error: unknown = await session.commit().catch((caught: unknown) => caught)
    expect(error).not.toBeInstanceOf(BindCommitError)
    expect(error).toBeInstanceOf(ForeignKeyViolationError)
    await session.rollback()
    await session.close()
  } finally {
    await db.dispose()
  }
})
