// A script that uses the runtime and forgets db.dispose() still exits: no pool, lock or schema-engine timer holds the event loop.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

const runtime = pathToFileURL(path.resolve('dist/runtime/index.js')).href
const internal = pathToFileURL(path.resolve('dist/runtime/internal.js')).href

it('exits by itself after createAll, a commit and close, without dispose()', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-exit-'))
  try {
    const script = path.join(dir, 'script.mjs')
    writeFileSync(
      script,
      `import { createDb, Model } from ${JSON.stringify(runtime)}
import { defineModels } from ${JSON.stringify(internal)}
class Thing extends Model {}
const content = 'datasource db {\\n  provider = "sqlite"\\n}\\nmodel Thing {\\n  id Int @id @default(autoincrement())\\n  name String\\n}\\n'
const registry = defineModels({
  schema: { provider: 'sqlite', sources: [{ path: 'schema.prisma', content }] },
  classes: { Thing },
  models: [{ name: 'Thing', table: 'Thing', primaryKey: ['id'], relationships: [], columns: [
    { name: 'id', column: 'id', type: 'Int', nullable: false, default: { kind: 'autoincrement' } },
    { name: 'name', column: 'name', type: 'String', nullable: false },
  ] }],
})
const db = createDb(registry, { url: ${JSON.stringify(`file:${path.join(dir, 'exit.db')}`)} })
await db.createAll()
const session = db.Session()
session.add(new Thing({ name: 'x' }))
await session.commit()
console.log('rows', await session.query(Thing).count())
await session.close()
`,
    )
    // A script held open by a timer or a socket never exits: execFile kills it at the timeout and rejects (killed: true).
    const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 15_000 })
    expect(stdout.trim()).toBe('rows 1')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
