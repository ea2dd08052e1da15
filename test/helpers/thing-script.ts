// The start of a script run in a child process: a one-model registry (`Thing`, an autoincrement `id` and the given
// columns) defined against the built runtime, and `db` on a SQLite file with its table created.
import path from 'node:path'
import { pathToFileURL } from 'node:url'

/** One scalar column of `Thing` besides its `id`. */
export interface ThingColumn {
  readonly name: string
  /** A Prisma scalar type: String, Int, DateTime, Decimal, BigInt, Json, Boolean, ... */
  readonly type: string
  readonly nullable?: boolean
}

/**
 * Script text that imports the built runtime (`dist/`: the test command builds first), defines `Thing` with `columns`,
 * and leaves `db` (on `file`, tables created), `Thing`, `Model` and `Decimal` in scope for the lines that follow.
 */
export function thingScript(columns: readonly ThingColumn[], file: string): string {
  const runtime = pathToFileURL(path.resolve('dist/runtime/index.js')).href
  const internal = pathToFileURL(path.resolve('dist/runtime/internal.js')).href
  const fields = columns.map((column) => `  ${column.name} ${column.type}${column.nullable === true ? '?' : ''}`)
  const content = ['datasource db {', '  provider = "sqlite"', '}', 'model Thing {', '  id Int @id @default(autoincrement())', ...fields, '}', ''].join('\n')
  const definitions = [
    { name: 'id', column: 'id', type: 'Int', nullable: false, default: { kind: 'autoincrement' } },
    ...columns.map((column) => ({ name: column.name, column: column.name, type: column.type, nullable: column.nullable === true })),
  ]
  return `import { createDb, Decimal, Model } from ${JSON.stringify(runtime)}
import { defineModels } from ${JSON.stringify(internal)}
class Thing extends Model {}
const registry = defineModels({
  schema: { provider: 'sqlite', sources: [{ path: 'schema.prisma', content: ${JSON.stringify(content)} }] },
  classes: { Thing },
  models: [{ name: 'Thing', table: 'Thing', primaryKey: ['id'], relationships: [], columns: ${JSON.stringify(definitions)} }],
})
const db = createDb(registry, { url: ${JSON.stringify(`file:${file}`)} })
await db.createAll()
`
}
