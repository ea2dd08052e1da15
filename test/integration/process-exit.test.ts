// A script that uses the runtime and forgets db.dispose() still exits: no pool, lock or schema-engine timer holds the event loop.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'
import { thingScript } from '../helpers/thing-script.js'

it('exits by itself after createAll, a commit and close, without dispose()', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-exit-'))
  try {
    const script = path.join(dir, 'script.mjs')
    writeFileSync(
      script,
      `${thingScript([{ name: 'name', type: 'String' }], path.join(dir, 'exit.db'))}const session = db.Session()
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
