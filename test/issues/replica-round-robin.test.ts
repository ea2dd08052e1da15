// Sessions given `{ primary, replicas }` as a fresh object each time (new Session per request, db.scope({ bind })) all read from the first replica: the round-robin cursor lived on a route cached per target object.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createDb, createEngine, Session } from 'prismalchemy'
import { importInlineModels, type InlineRegistry } from '../helpers/inline-models.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model Author {
  id   Int    @id @default(autoincrement())
  name String
}
`

let models: InlineRegistry

beforeAll(async () => {
  models = await importInlineModels('replica-round-robin', SCHEMA)
}, 60_000)

afterAll(() => rmSync(models.dir, { recursive: true, force: true }))

it('spreads sessions over the replicas when each session gets its own { primary, replicas } object', async () => {
  const file = (name: string) => path.join(models.dir, name)
  const seeding = createDb(models.registry, { url: `file:${file('main.db')}` })
  await seeding.createAll()
  await seeding.dispose()
  copyFileSync(file('main.db'), file('copy-1.db'))
  copyFileSync(file('main.db'), file('copy-2.db'))
  const primary = createEngine(`file:${file('main.db')}`)
  const first = createEngine(`file:${file('copy-1.db')}`)
  const second = createEngine(`file:${file('copy-2.db')}`)
  const used: string[] = []
  first.onStatement(() => used.push('first'))
  second.onStatement(() => used.push('second'))
  try {
    for (let i = 0; i < 4; i++) {
      const session = new Session({ bind: { primary, replicas: [first, second] } })
      await session.query(models.classes.Author).count()
      await session.close()
    }
    expect(used).toEqual(['first', 'second', 'first', 'second'])
  } finally {
    await Promise.all([primary.dispose(), first.dispose(), second.dispose()])
  }
})
