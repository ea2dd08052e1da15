// Regression: objects of a model whose every column is database-generated each get their own INSERT ... DEFAULT VALUES.
import { describe, expect, it } from 'vitest'
import { createEngine, Model, Session } from 'prismalchemy'
import { defineModels } from 'prismalchemy/internal'
import { scratchDatabaseWith } from '../helpers/database.js'
import { DIALECTS, beginOf, statementsOn } from '../helpers/dialects.js'
import { capturedSql } from '../helpers/sql-recorder.js'

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

describe.each(DIALECTS)('on %s', (dialect) => {
  it('inserts every object, one DEFAULT VALUES statement each, and assigns each its key', async () => {
    // The schema names SQLite; pushing it to a PostgreSQL URL switches the provider.
    const database = await scratchDatabaseWith(dialect, registry.schema.sources)
    const engine = createEngine(database.url)
    try {
      const session = new Session({ bind: engine })
      const tickets = [new Ticket(), new Ticket()]
      session.addAll(tickets)
      const sql = await capturedSql(engine, () => session.commit())
      // SQLite takes its write lock at BEGIN (IMMEDIATE); PostgreSQL and MySQL begin plainly. MySQL has no
      // DEFAULT VALUES and no RETURNING: an empty row, its key from the driver's lastInsertId.
      const begin = beginOf(dialect)
      const insert = { sqlite: 'INSERT INTO "Ticket" DEFAULT VALUES RETURNING "id"', postgresql: 'INSERT INTO "Ticket" DEFAULT VALUES RETURNING "id"', mysql: 'INSERT INTO `Ticket` () VALUES ()' }
      expect(sql).toEqual([begin, ...statementsOn(dialect, insert, insert), 'COMMIT'])
      expect(tickets.map((ticket) => ticket.id)).toEqual([1, 2])
      expect(await database.readRows('SELECT "id" FROM "Ticket" ORDER BY "id"')).toEqual([{ id: 1 }, { id: 2 }])
      await session.close()
    } finally {
      await engine.dispose()
      await database.drop()
    }
  })
})
