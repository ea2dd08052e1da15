// `view` blocks (Prisma's `views` preview feature) with a unique: mapped read-only, identified by the unique, queried and
// related like models and read as PrismaClient reads them; every write refused at flush; createAll() leaves them to the
// project's SQL, as Prisma's schema engine does. On SQLite, PostgreSQL and MySQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FlushError, joinedload, selectinload, type Session } from 'prismalchemy'
import { generateFromFiles } from '../../generator/generate.js'
import { DIALECTS } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { loadPrismaClientForSchema, type PrismaClientLike } from '../helpers/prisma-client.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

generator client {
  provider        = "prisma-client"
  output          = "./client"
  previewFeatures = ["views"]
}

model Customer {
  id      Int              @id @default(autoincrement())
  name    String
  orders  Order[]
  summary CustomerSummary?
}

model Order {
  id         Int      @id @default(autoincrement())
  customerId Int
  total      Int
  customer   Customer @relation(fields: [customerId], references: [id])
}

/// One row per customer, with its number of orders.
view CustomerSummary {
  customerId Int      @unique
  name       String
  orderCount Int
  customer   Customer @relation(fields: [customerId], references: [id])
}

view OrderLine {
  id    Int
  total Int
}
`

/** The project's own SQL for the view (Prisma's schema engine never creates views). */
const CREATE_VIEW = `CREATE VIEW "CustomerSummary" AS
  SELECT c.id AS "customerId", c.name, CAST((SELECT count(*) FROM "Order" o WHERE o."customerId" = c.id) AS INTEGER) AS "orderCount"
  FROM "Customer" c`

/** The schema without the view that has no unique (refused; see the first test). */
const MAPPED_SCHEMA = SCHEMA.replace(/view OrderLine \{[^}]*\}\n/, '')

describe('generated code', () => {
  it('refuses a view with no unique at its line, saying how to identify its rows', async () => {
    const error = await generateFromFiles([{ path: 'schema/shop.prisma', content: SCHEMA }], 'schema').then(
      () => undefined,
      (caught: unknown) => caught as { code: string; diagnostics: { line: number; column: number; message: string }[] },
    )
    expect(error?.code).toBe('schema_unsupported')
    expect(error!.diagnostics.map(({ line, column, message }) => ({ line, column, message }))).toEqual([
      {
        line: 33,
        column: 1,
        message:
          'View "OrderLine" has no unique whose fields are all required, so the session cannot identify its rows. Add @unique on a required field (or @@unique over required fields) that is unique in the view\'s rows, or query the view with raw SQL.',
      },
    ])
  })

  it('maps a view with a unique as a read-only model identified by it, its relation without an onDelete', async () => {
    const { description, files } = await generateFromFiles([{ path: 'schema/shop.prisma', content: MAPPED_SCHEMA }], 'schema')
    const summary = description.models.find((model) => model.name === 'CustomerSummary')!
    expect(summary).toMatchObject({ view: true, table: 'CustomerSummary', primaryKey: ['customerId'], identity: 'unique' })
    expect(summary.relations).toEqual([expect.objectContaining({ name: 'customer', target: 'Customer', ownsForeignKey: true, direction: 'one-to-one' })])
    expect(summary.relations[0].onDelete).toBeUndefined()
    expect(description.models.filter((model) => model.view).map((model) => model.name)).toEqual(['CustomerSummary'])
    const models = files.find((file) => file.name === 'models.ts')!.content
    expect(models).toContain('View `CustomerSummary`.')
    expect(models).toMatch(/name: 'CustomerSummary',\s*table: 'CustomerSummary',[\s\S]*?view: true/)
  })
})

describe.each(DIALECTS)('views on %s', (dialect) => {
  let models: InlineModels
  let client: PrismaClientLike
  let Customer: InlineModels['classes'][string]
  let Order: InlineModels['classes'][string]
  let CustomerSummary: InlineModels['classes'][string]

  beforeAll(async () => {
    models = await inlineModels('views', MAPPED_SCHEMA, dialect)
    ;({ Customer, Order, CustomerSummary } = models.classes)
    client = (await loadPrismaClientForSchema(MAPPED_SCHEMA, dialect))(models.database.url)
  }, 120_000)

  afterAll(async () => {
    await client?.$disconnect()
    await models?.dispose()
  })

  /** The database's tables and views by name. */
  const relations = () =>
    models.readRows<{ name: string; type: string }>(
      dialect === 'sqlite'
        ? "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name"
        : `SELECT table_name AS name, CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END AS type FROM information_schema.tables WHERE table_schema = ${dialect === 'mysql' ? 'DATABASE()' : "'public'"} ORDER BY table_name`,
    )

  /** Runs `work` in a new session and returns the error its flush raised, with the statements it ran. */
  async function refusal(work: (session: Session) => Promise<unknown>): Promise<{ error: unknown; sql: string[] }> {
    let error: unknown
    const sql = await capturedSql(models.engine, () =>
      models.inSession(async (session) => {
        try {
          await work(session)
          await session.flush()
        } catch (caught) {
          error = caught
        }
      }),
    )
    return { error, sql }
  }

  it('createAll() creates the tables and leaves the view to the project, as Prisma\'s schema engine does; its SQL then adds it', async () => {
    expect(await relations()).toEqual([
      { name: 'Customer', type: 'table' },
      { name: 'Order', type: 'table' },
    ])
    expect(models.registry.tablesByBind.get(null)).toEqual(['Customer', 'Order'])
    await models.database.execute(CREATE_VIEW)
    expect(await relations()).toContainEqual({ name: 'CustomerSummary', type: 'view' })
    await models.inSession(async (session) => {
      const [ann, bob] = [new Customer({ name: 'ann' }), new Customer({ name: 'bob' })]
      session.addAll([ann, bob, new Order({ customer: ann, total: 5 }), new Order({ customer: ann, total: 7 })])
      await session.commit()
    })
  })

  it('queries and gets rows by the unique, as PrismaClient reads them, one object per row', async () => {
    const fromPrisma = await client.customerSummary.findMany({ orderBy: { name: 'asc' } })
    expect(fromPrisma.map((row: { name: string; orderCount: number }) => [row.name, row.orderCount])).toEqual([
      ['ann', 2],
      ['bob', 0],
    ])
    await models.inSession(async (session) => {
      const rows = await session.query(CustomerSummary).orderBy({ name: 'asc' }).all()
      expect(rows.map((row) => ({ customerId: row.customerId, name: row.name, orderCount: row.orderCount }))).toEqual(fromPrisma)
      expect(await session.get(CustomerSummary, fromPrisma[0].customerId)).toBe(rows[0])
      expect(await session.query(CustomerSummary).where({ orderCount: { gt: 0 } }).count()).toBe(1)
    })
  })

  it('loads its relation and the model\'s side of it, lazily, with selectin and joined', async () => {
    await models.inSession(async (session) => {
      const ann = await session.query(Customer).filterBy({ name: 'ann' }).one()
      const summary = await ann.summary
      expect([summary.name, summary.orderCount]).toEqual(['ann', 2])
      expect(await summary.customer).toBe(ann)
    })
    await models.inSession(async (session) => {
      const summaries = await session.query(CustomerSummary).options(joinedload('customer')).orderBy({ name: 'asc' }).all()
      const customers = await session.query(Customer).options(selectinload('summary')).orderBy({ name: 'asc' }).all()
      expect(await Promise.all(summaries.map(async (summary) => (await summary.customer) === customers[summaries.indexOf(summary)]))).toEqual([true, true])
      expect(await Promise.all(customers.map(async (customer) => (await customer.summary)?.orderCount))).toEqual([2, 0])
    })
  })

  it('refuses to add a new row at flush, writing nothing', async () => {
    const { error, sql } = await refusal(async (session) => session.add(new CustomerSummary({ customerId: 99, name: 'new', orderCount: 0 })))
    expect(error).toBeInstanceOf(FlushError)
    expect((error as FlushError).code).toBe('flush_read_only_view')
    expect((error as FlushError).message).toMatch(/^Cannot insert CustomerSummary\(transient\): CustomerSummary is a database view, which is read-only\./)
    expect(sql.filter((text) => /^(INSERT|UPDATE|DELETE)\b/.test(text))).toEqual([])
  })

  it('refuses a changed attribute and a relation moved to another row at flush, but not an assignment that changes nothing', async () => {
    const changed = await refusal(async (session) => {
      const summary = await session.query(CustomerSummary).filterBy({ name: 'ann' }).one()
      summary.name = 'renamed'
    })
    expect((changed.error as FlushError).code).toBe('flush_read_only_view')
    expect((changed.error as FlushError).message).toMatch(/^Cannot update CustomerSummary\(customerId=\d+\): CustomerSummary is a database view/)
    expect(changed.sql.filter((text) => /^(INSERT|UPDATE|DELETE)\b/.test(text))).toEqual([])

    const moved = await refusal(async (session) => {
      const summary = await session.query(CustomerSummary).filterBy({ name: 'ann' }).one()
      summary.customer = await session.query(Customer).filterBy({ name: 'bob' }).one()
    })
    expect((moved.error as FlushError).code).toBe('flush_read_only_view')

    const unchanged = await refusal(async (session) => {
      const summary = await session.query(CustomerSummary).filterBy({ name: 'ann' }).one()
      summary.name = 'ann'
      summary.customer = await summary.customer
      // A write to a table the view reads goes through, and the view shows it.
      session.add(new Order({ customer: await summary.customer, total: 1 }))
      await session.commit()
      await session.refresh(summary)
      expect(summary.orderCount).toBe(3)
    })
    expect(unchanged.error).toBeUndefined()
  })

  it('refuses to delete a row at flush', async () => {
    const { error, sql } = await refusal(async (session) => session.delete(await session.query(CustomerSummary).filterBy({ name: 'bob' }).one()))
    expect((error as FlushError).code).toBe('flush_read_only_view')
    expect((error as FlushError).message).toMatch(/^Cannot delete CustomerSummary\(customerId=\d+\)/)
    expect(sql.filter((text) => /^(INSERT|UPDATE|DELETE)\b/.test(text))).toEqual([])
    expect(await client.customerSummary.count()).toBe(2)
  })
})
