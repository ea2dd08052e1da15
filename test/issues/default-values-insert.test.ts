// Regression: objects of a model whose every column is database-generated each get their own INSERT ... DEFAULT VALUES.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { expect, it } from 'vitest'
import { createEngine, defineModels, Model, Session } from 'prismalchemy'
import { pushSchema } from '../../runtime/engine/schema-engine.js'
import { capturedSql } from '../helpers/sql-recorder.js'
import { readRows } from '../helpers/database.js'

class Ticket extends Model<{ id: number }, { id?: number }, number> {
  declare id: number
}

const content = 'datasource db {\n  provider = "sqlite"\n}\n\nmodel Ticket {\n  id Int @id @default(autoincrement())\n}\n'
const registry = defineModels({
  schema: { provider: 'sqlite', sources: [{ path: 'schema.prisma', content }] },
  classes: { Ticket },
  models: [
    {
      name: 'Ticket',
      table: 'Ticket',
      primaryKey: ['id'],
      relationships: [],
      columns: [{ name: 'id', column: 'id', type: 'Int', nullable: false, default: { kind: 'autoincrement' } }],
    },
  ],
})

it('inserts every object, one DEFAULT VALUES statement each, and assigns each its key', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-default-values-'))
  const url = `file:${path.join(dir, 'test.db')}`
  await pushSchema({ url, sources: registry.schema.sources })
  const engine = createEngine(url)
  try {
    const session = new Session({ bind: engine })
    const tickets = [new Ticket(), new Ticket()]
    session.addAll(tickets)
    const sql = await capturedSql(engine, () => session.commit())
    expect(sql).toEqual(['BEGIN IMMEDIATE', 'INSERT INTO "Ticket" DEFAULT VALUES RETURNING "id"', 'INSERT INTO "Ticket" DEFAULT VALUES RETURNING "id"', 'COMMIT'])
    expect(tickets.map((ticket) => ticket.id)).toEqual([1, 2])
    expect(readRows(path.join(dir, 'test.db'), 'SELECT id FROM Ticket ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }])
    await session.close()
  } finally {
    await engine.dispose()
    rmSync(dir, { recursive: true, force: true })
  }
})
