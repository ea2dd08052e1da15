// `@default(nanoid())`, `@default(nanoid(n))` and `@default(ulid())`: generated as string columns, filled at flush with the
// libraries Prisma Client uses, and read back by a real PrismaClient (whose own ids the session reads too), on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateFromFiles } from '../../generator/generate.js'
import { DIALECTS } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { loadPrismaClientForSchema, type PrismaClientLike } from '../helpers/prisma-client.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model Token {
  id     String @id @default(nanoid())
  short  String @default(nanoid(8))
  sortId String @unique @default(ulid())
  label  String
}
`

/** nanoid's URL-safe alphabet, `length` characters. */
const nanoidOf = (length: number) => new RegExp(`^[A-Za-z0-9_-]{${length}}$`)
/** A ULID: 26 characters of Crockford's base 32 (no I, L, O, U), the first at most 7 (48-bit time). */
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/
/** Crockford's base 32, for decoding a ULID's time part. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** The millisecond timestamp in a ULID's first ten characters. */
function ulidTime(id: string): number {
  return [...id.slice(0, 10)].reduce((time, char) => time * 32 + CROCKFORD.indexOf(char), 0)
}

describe('generated code', () => {
  it('describes each default and types the columns as string, optional in the constructor', async () => {
    const { description, files } = await generateFromFiles([{ path: 'schema/token.prisma', content: SCHEMA }], 'schema')
    const token = description.models.find((model) => model.name === 'Token')!
    expect(Object.fromEntries(token.fields.map((field) => [field.name, field.default]))).toEqual({
      id: { kind: 'nanoid', size: 21 },
      short: { kind: 'nanoid', size: 8 },
      sortId: { kind: 'ulid' },
      label: undefined,
    })
    const models = files.find((file) => file.name === 'models.ts')!.content
    for (const field of ['id', 'short', 'sortId']) {
      expect(models).toContain(`declare ${field}: string;`)
      expect(models).toMatch(new RegExp(`\\b${field}\\?: string\\b`))
    }
  })
})

describe.each(DIALECTS)('nanoid() and ulid() defaults on %s', (dialect) => {
  let models: InlineModels
  let client: PrismaClientLike
  let Token: InlineModels['classes'][string]

  beforeAll(async () => {
    models = await inlineModels('id-generator-defaults', SCHEMA, dialect)
    ;({ Token } = models.classes)
    client = (await loadPrismaClientForSchema(SCHEMA, dialect))(models.database.url)
  }, 120_000)

  afterAll(async () => {
    await client?.$disconnect()
    await models?.dispose()
  })

  it('fills each at flush with its shape and length, distinct per row, and PrismaClient reads the rows', async () => {
    const before = Date.now()
    const tokens = await models.inSession(async (session) => {
      const made = Array.from({ length: 20 }, (_, i) => new Token({ label: `t${i}` }))
      session.addAll(made)
      await session.commit()
      return made
    })
    for (const token of tokens) {
      expect(token.id).toMatch(nanoidOf(21))
      expect(token.short).toMatch(nanoidOf(8))
      expect(token.sortId).toMatch(ULID)
      expect(ulidTime(token.sortId)).toBeGreaterThanOrEqual(before - 1)
      expect(ulidTime(token.sortId)).toBeLessThanOrEqual(Date.now())
    }
    expect(new Set(tokens.flatMap((token) => [token.id, token.short, token.sortId])).size).toBe(60)
    const read = await client.token.findMany({ where: { label: { startsWith: 't' } }, orderBy: { label: 'asc' } })
    const expected = tokens.map((token) => ({ id: token.id, short: token.short, sortId: token.sortId, label: token.label }))
    expect(read).toEqual(expected.sort((a, b) => (a.label < b.label ? -1 : 1)))
  })

  it('keeps a value the application set', async () => {
    await models.inSession(async (session) => {
      session.add(new Token({ id: 'chosen-id', short: 'short-id', sortId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', label: 'chosen' }))
      await session.commit()
    })
    expect(await client.token.findUnique({ where: { id: 'chosen-id' } })).toEqual({ id: 'chosen-id', short: 'short-id', sortId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', label: 'chosen' })
  })

  it('reads the ids PrismaClient generated, which have the same shapes', async () => {
    const created = await client.token.create({ data: { label: 'from prisma' } })
    expect([created.id, created.short, created.sortId]).toEqual([expect.stringMatching(nanoidOf(21)), expect.stringMatching(nanoidOf(8)), expect.stringMatching(ULID)])
    const loaded = await models.inSession((session) => session.get(Token, created.id))
    expect({ id: loaded.id, short: loaded.short, sortId: loaded.sortId, label: loaded.label }).toEqual(created)
  })
})
