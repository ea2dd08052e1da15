// Model and enum names that are also runtime or global names (Model, Query, Promise, Date, JsonValue, ...) generate, compile under strict and round-trip.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateFromFiles } from '../../generator/generate.js'
import { DIALECTS } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { typeCheck, writeGenerated } from '../helpers/type-check.js'

// Prisma itself refuses its scalar type names (`Decimal`, `DateTime`, ...) as model names; every name below it accepts.
const SCHEMA = `datasource db {
  provider = "sqlite"
}

enum JsonValue {
  A
  B
}

model Model {
  id      Int       @id @default(autoincrement())
  kind    JsonValue @default(A)
  at      DateTime
  data    Json?
  bytes   Bytes?
  price   Decimal?
  /// @lazy(dynamic)
  queries Query[]
}

model Query {
  id       Int       @id @default(autoincrement())
  modelId  Int
  model    Model     @relation(fields: [modelId], references: [id])
  promises Promise[]

  @@index([modelId])
}

model Promise {
  id      Int    @id @default(autoincrement())
  queryId Int
  query   Query  @relation(fields: [queryId], references: [id])
  dates   Date[]
}

model Date {
  id        Int     @id @default(autoincrement())
  promiseId Int
  promise   Promise @relation(fields: [promiseId], references: [id])
}

model Uint8Array {
  id Int @id
}

model DynamicRelationship {
  id Int @id
}

model defineModels {
  id Int @id
}

model db {
  id Int @id
}
`

/** Uses the clashing names the way an application would: the global Date and Promise stay reachable through globalThis. */
const USAGE = `import { db } from './db.js'
import { Date, JsonValue, Model, Promise, Query } from './models.js'

export async function build(): globalThis.Promise<Date> {
  const model = new Model({ kind: JsonValue.B, at: new globalThis.Date(0), bytes: new globalThis.Uint8Array([1]) })
  const query = new Query({ model })
  const promise = new Promise({ query })
  const date = new Date({ promise })
  const owner: Model = await query.model
  const queries: Query[] = await owner.queries.all()
  const at: globalThis.Date = owner.at
  void queries, at
  await db.Session.begin(async (session) => {
    session.add(date)
  })
  return date
}
`

describe('model and enum names that are also runtime or global names', () => {
  let root: string

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'prismalchemy-model-names-'))
  })

  afterAll(() => {
    rmSync(root, { recursive: true, force: true })
  })

  it('generate code that compiles under strict, runtime imports aliased and globals reached through globalThis', async () => {
    const result = await generateFromFiles([{ path: 'schema/schema.prisma', content: SCHEMA }], 'schema')
    const models = result.files.find((file) => file.name === 'models.ts')!.content
    expect(models).toContain("import { Model as $Model, type Decimal as $Decimal,")
    expect(models).toContain("import { defineModels as $defineModels } from 'prismalchemy/internal';")
    expect(models).toContain('export class Model extends $Model<ModelColumns, ModelInit, number, ModelRelations>')
    expect(models).toContain('export class Promise extends $Model<')
    expect(models).toContain('declare readonly dates: globalThis.Promise<Date[]>;')
    expect(models).toContain('  at: globalThis.Date;')
    const { errors } = typeCheck(writeGenerated(path.join(root, 'names'), result, { 'usage.ts': USAGE }))
    expect(errors).toEqual([])
  })
})

describe.each(DIALECTS)('on %s, models named Model, Query, Promise and Date', (dialect) => {
  let models: InlineModels

  beforeAll(async () => {
    models = await inlineModels('model-names', SCHEMA, dialect)
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  it('round-trip a chain of related rows and their values', async () => {
    const C = models.classes
    const at = new Date('2024-05-06T07:08:09.000Z')
    const ids = await models.inSession(async (session) => {
      const model = new C.Model({ kind: 'B', at, data: { list: [1, 'two'] }, bytes: new Uint8Array([0, 255]) })
      const query = new C.Query({ model })
      const promise = new C.Promise({ query })
      const date = new C.Date({ promise })
      session.addAll([model, query, promise, date])
      await session.commit()
      return { model: model.id as number, date: date.id as number }
    })
    await models.inSession(async (session) => {
      const date = await session.get(C.Date, ids.date)
      const promise = await date.promise
      const query = await promise.query
      const model = await query.model
      expect(model.id).toBe(ids.model)
      expect(model.kind).toBe('B')
      expect(model.at).toEqual(at)
      expect(model.data).toEqual({ list: [1, 'two'] })
      expect(Array.from(model.bytes as Uint8Array)).toEqual([0, 255])
      expect((await model.queries.all()).map((row: { id: number }) => row.id)).toEqual([query.id])
      expect((await promise.dates).map((row: { id: number }) => row.id)).toEqual([ids.date])
    })
    const [row] = await models.readRows<{ kind: string }>('SELECT "kind" FROM "Model"')
    expect(row.kind).toBe('B')
  })
})
