// Which unique identifies a model without @id (fewest fields, then field names; never declaration order), the
// generated TSDoc and key type that say so, the published schemas that rely on it, and the located refusal when none can.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { generateFromFiles, generateInMemory } from '../../generator/generate.js'
import { located, schemaErrorOf } from '../helpers/schema-errors.js'

const SQLITE = 'datasource db {\n  provider = "sqlite"\n}\n'
const FILE = 'schema/test.prisma'
/** The published schemas next to the repository (see its README). */
const REAL_SCHEMAS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/real-schemas')

/** The description of one model of `body` (a model block's inside), generated from a one-model schema. */
async function describeOne(body: string) {
  const { description, files } = await generateFromFiles([{ path: FILE, content: `${SQLITE}\nmodel M {\n${body}\n}\n` }], 'schema')
  return { model: description.models[0], models: files.find((file) => file.name === 'models.ts')!.content }
}

describe('the identity of a model without @id', () => {
  it('is the @id when there is one, even with uniques beside it', async () => {
    const { model } = await describeOne('  code String @unique\n  id   Int    @id')
    expect([model.primaryKey, model.identity]).toEqual([['id'], 'id'])
  })

  it('is a @@unique over required fields, in the order the @@unique lists them (NextAuth\'s VerificationToken)', async () => {
    const { model, models } = await describeOne('  identifier String\n  token      String\n  expires    DateTime\n\n  @@unique([token, identifier])')
    expect([model.primaryKey, model.identity]).toEqual([['token', 'identifier'], 'unique'])
    expect(models).toContain('extends $Model<MColumns, MInit, { token: string; identifier: string }, MRelations>')
  })

  it('prefers the unique with the fewest fields (papermark\'s Invitation: token over [email, teamId])', async () => {
    const { model } = await describeOne('  email  String\n  teamId String\n  token  String @unique\n\n  @@unique([email, teamId])')
    expect(model.primaryKey).toEqual(['token'])
  })

  it('among uniques of as many fields, takes the one whose field names sort first, whatever the declaration order', async () => {
    const orders = [
      '  zeta  String @unique\n  alpha String @unique\n  beta  String @unique',
      '  beta  String @unique\n  zeta  String @unique\n  alpha String @unique',
      '  alpha String @unique\n  beta  String @unique\n  zeta  String @unique',
    ]
    for (const body of orders) expect((await describeOne(body)).model.primaryKey).toEqual(['alpha'])
    const compounds = ['  a String\n  b String\n  c String\n  @@unique([b, c])\n  @@unique([a, c])', '  a String\n  b String\n  c String\n  @@unique([a, c])\n  @@unique([b, c])']
    for (const body of compounds) expect((await describeOne(body)).model.primaryKey).toEqual(['a', 'c'])
  })

  it('skips uniques with an optional field', async () => {
    const { model } = await describeOne('  nick  String? @unique\n  email String\n  team  String?\n  org   String\n\n  @@unique([email, team])\n  @@unique([email, org])')
    expect(model.primaryKey).toEqual(['email', 'org'])
  })

  it('says so in the class TSDoc, naming the unique', async () => {
    const { models } = await describeOne('  email String @unique\n  name  String\n\n  @@map("people")')
    expect(models).toContain(
      ' * Table `people`.\n *\n * Identity: no @id, so the unique `email` identifies its rows: session.get() takes it, and the identity map, UPDATE and DELETE key on it.\n */\nexport class M ',
    )
    const withId = await describeOne('  id Int @id\n  email String @unique')
    expect(withId.models).not.toContain('Identity:')
  })

  it('is refused, at the model, when its only unique field is @ignore (Prisma accepts the schema)', async () => {
    const error = await schemaErrorOf([{ path: FILE, content: `${SQLITE}\nmodel Legacy {\n  code String @unique @ignore\n  name String\n}\n` }])
    expect(error.code).toBe('schema_unsupported')
    expect(located(error)).toEqual([{ file: FILE, line: 5, column: 1, severity: 'error' }])
    expect(error.diagnostics[0].message).toBe(
      'Model "Legacy" has no @id and no unique whose fields are all required and mapped (not @ignore), so the session cannot identify its rows. ' +
        'Add @id (or @@id), or @unique on a required field (or @@unique over required fields).',
    )
  })
})

describe('published schemas whose models have no @id', () => {
  it("hoppscotch: InvitedUsers by inviteeEmail, VerificationToken by its one-field token (not the two-field @@unique)", async () => {
    const { description } = await generateInMemory({ schema: path.join(REAL_SCHEMAS, 'hoppscotch/schema.prisma'), out: 'unused' })
    const byUnique = description.models.filter((model) => model.identity === 'unique').map((model) => [model.name, model.primaryKey])
    expect(byUnique).toEqual([
      ['InvitedUsers', ['inviteeEmail']],
      ['VerificationToken', ['token']],
    ])
  })

  it('teable (SQLite): Ops, Snapshots and CommentSubscription by their @@unique', async () => {
    const { description } = await generateInMemory({ schema: path.join(REAL_SCHEMAS, 'teable-sqlite/schema.prisma'), out: 'unused' })
    const byUnique = description.models.filter((model) => model.identity === 'unique').map((model) => [model.name, model.primaryKey])
    expect(byUnique).toEqual([
      ['CommentSubscription', ['tableId', 'recordId']],
      ['Ops', ['collection', 'docId', 'version']],
      ['Snapshots', ['collection', 'docId']],
    ])
  })
})
