// Loaded objects are built by a row reader compiled per mapper, and written as JSON by a column writer compiled per
// mapper; where Node forbids compiling code from strings (--disallow-code-generation-from-strings, as under a strict CSP)
// the same loads and the same JSON run through loops and give the same objects and text. Both runs are real processes on
// a real SQLite file.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { thingScript } from '../helpers/thing-script.js'

let dir: string

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-row-reader-'))
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A script that stores three things of every kind of column, reads them back in a fresh session and prints what it read. */
function script(file: string): string {
  const columns = [
    { name: 'name', type: 'String' },
    { name: 'at', type: 'DateTime', nullable: true },
    { name: 'price', type: 'Decimal', nullable: true },
    { name: 'big', type: 'BigInt', nullable: true },
    { name: 'data', type: 'Json', nullable: true },
    { name: 'ok', type: 'Boolean' },
  ]
  return `${thingScript(columns, file)}let compiles = true
try { new Function('return 1') } catch { compiles = false }
const writing = db.Session()
writing.addAll([
  new Thing({ name: 'a', at: new Date('2024-03-01T12:34:56.789Z'), price: new Decimal('12.5'), big: 9007199254740993n, data: { tags: ['x'] }, ok: true }),
  new Thing({ name: 'b', ok: false }),
  new Thing({ name: 'c', at: new Date('1999-12-31T23:59:59.000Z'), price: new Decimal('-0.25'), big: -3n, data: [1, null], ok: true }),
])
await writing.commit()
await writing.close()
const reading = db.Session()
const things = await reading.query(Thing).orderBy('id').all()
const shown = things.map((t) => [t.id, t.name, t.at instanceof Date ? t.at.toISOString() : t.at, t.price instanceof Decimal ? t.price.toString() : t.price, typeof t.big === 'bigint' ? t.big.toString() + 'n' : t.big, t.data, t.ok])
const pending = new Thing({ name: 'd', ok: true })
console.log(JSON.stringify({ compiles, things: shown, again: (await reading.get(Thing, 1)) === things[0], json: JSON.stringify([...things, pending]) }))
await reading.close()
await db.dispose()
`
}

/** Runs the script on its own database file, with the given Node flags, and returns what it printed. */
async function run(name: string, flags: string[]): Promise<{ compiles: boolean; things: unknown[][]; again: boolean; json: string }> {
  const file = path.join(dir, `${name}.mjs`)
  writeFileSync(file, script(path.join(dir, `${name}.db`)))
  const { stdout } = await promisify(execFile)(process.execPath, [...flags, file], { timeout: 30_000 })
  return JSON.parse(stdout.trim()) as { compiles: boolean; things: unknown[][]; again: boolean; json: string }
}

it('reads and writes as JSON the same objects whether the row reader and JSON writer are compiled or, where compiling is forbidden, run as loops', async () => {
  const [compiled, looped] = await Promise.all([run('compiled', []), run('looped', ['--disallow-code-generation-from-strings'])])
  expect(compiled.compiles).toBe(true)
  expect(looped.compiles).toBe(false)
  const expected = [
    [1, 'a', '2024-03-01T12:34:56.789Z', '12.5', '9007199254740993n', { tags: ['x'] }, true],
    [2, 'b', null, null, null, null, false],
    [3, 'c', '1999-12-31T23:59:59.000Z', '-0.25', '-3n', [1, null], true],
  ]
  expect(compiled.things).toEqual(expected)
  expect(looped.things).toEqual(expected)
  expect(compiled.again && looped.again).toBe(true)
  // Prisma's JSON forms (dates as ISO strings, BigInt and Decimal as digits); a pending object writes only the columns it has.
  const json = [
    { id: 1, name: 'a', at: '2024-03-01T12:34:56.789Z', price: '12.5', big: '9007199254740993', data: { tags: ['x'] }, ok: true },
    { id: 2, name: 'b', at: null, price: null, big: null, data: null, ok: false },
    { id: 3, name: 'c', at: '1999-12-31T23:59:59.000Z', price: '-0.25', big: '-3', data: [1, null], ok: true },
    { name: 'd', ok: true },
  ]
  expect(JSON.parse(compiled.json)).toEqual(json)
  expect(looped.json).toBe(compiled.json)
}, 60_000)
