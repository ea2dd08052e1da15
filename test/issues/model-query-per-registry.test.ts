// Regression: `Model.query` is defined once per registry and runs on the db whose scope is running, so creating another db no longer takes it over.
import { afterEach, describe, expect, it } from 'vitest'
import { createDb, Model, NoScopeError, type Db, type ModelClass, type Query } from 'prismalchemy'
import { defineModels, type ModelRegistry } from 'prismalchemy/internal'
import { Role, registry } from '../../generated/models.js'
import { scratchDatabase, scratchDatabaseWith, type ScratchDatabase } from '../helpers/database.js'
import { DIALECTS } from '../helpers/dialects.js'

class Ticket extends Model<{ id: number }, { id?: number }, number> {
  declare static readonly query: Query<Ticket>
  declare id: number
}

const content = 'datasource db {\n  provider = "sqlite"\n}\n\nmodel Ticket {\n  id Int @id @default(autoincrement())\n}\n'
const tickets = defineModels({
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
  const cleanups: (() => Promise<void>)[] = []

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  /** A db of `models` on `database`, disposed (and the database dropped) after the test. */
  function dbOn<M extends Record<string, ModelClass>>(models: ModelRegistry<M>, database: ScratchDatabase): Db<M> {
    const db = createDb(models, { url: database.url })
    cleanups.push(async () => {
      await db.dispose()
      await database.drop()
    })
    return db
  }

  async function seedRoles(db: Db, ...names: string[]): Promise<void> {
    await db.scope(() => db.session.addAll(names.map((name) => new Role({ name }))), { commit: true })
  }

  it("runs each registry's Model.query on that registry's db", async () => {
    const app = dbOn(registry, await scratchDatabase(dialect, { fromTemplate: true }))
    const ticketDb = dbOn(tickets, await scratchDatabaseWith(dialect, tickets.schema.sources))
    await seedRoles(app, 'admin')
    await ticketDb.scope(() => ticketDb.session.addAll([new Ticket(), new Ticket()]), { commit: true })

    const counts = await app.scope(async () => [await Role.query.count(), await ticketDb.scope(() => Ticket.query.count())])
    expect(counts).toEqual([1, 2])
  })

  it('keeps Model.query on the scope it runs in when a second db of the same registry is created', async () => {
    const first = dbOn(registry, await scratchDatabase(dialect, { fromTemplate: true }))
    const second = dbOn(registry, await scratchDatabase(dialect, { fromTemplate: true }))
    await seedRoles(first, 'first')
    await seedRoles(second, 'second')

    const names = async (db: Db): Promise<string[]> => db.scope(async () => (await Role.query.all()).map((role) => role.name))
    expect(await names(first)).toEqual(['first'])
    expect(await names(second)).toEqual(['second'])
    expect(() => Role.query).toThrow(NoScopeError)
  })
})
