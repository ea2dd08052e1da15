// `/// @bind(key)` on a model: carried into the description and the emitted metadata; misuse and relations across binds are located SchemaErrors.
import { describe, expect, it } from 'vitest'
import type { SchemaError } from '../../generator/errors.js'
import { generateFromFiles } from '../../generator/generate.js'
import { located, schemaErrorOf as schemaErrorOfFiles } from '../helpers/schema-errors.js'

const FILE = 'schema/binds.prisma'

/** A schema: User in the default bind, Event and Tag in `analytics` (with a many-to-many), plus `extra` model text. Line numbers below refer to it. */
function schema(extra = '', eventDocs = '/// @bind(analytics)'): string {
  return [
    'datasource db {', //                                      1
    '  provider = "sqlite"', //                                2
    '}', //                                                    3
    '', //                                                     4
    'model User {', //                                         5
    '  id   Int    @id @default(autoincrement())', //          6
    '  name String', //                                        7
    '}', //                                                    8
    '', //                                                     9
    '/// Something that happened.', //                         10
    eventDocs, //                                              11
    'model Event {', //                                        12
    '  id     Int    @id @default(autoincrement())', //        13
    '  kind   String', //                                      14
    '  userId Int?', //                                        15
    '  tags   Tag[]', //                                       16
    '}', //                                                    17
    '', //                                                     18
    '/// @bind(analytics)', //                                 19
    'model Tag {', //                                          20
    '  id     Int     @id @default(autoincrement())', //       21
    '  events Event[]', //                                     22
    '}', //                                                    23
    extra,
    '',
  ].join('\n')
}

/** The SchemaError generating `content` fails with. */
function schemaErrorOf(content: string): Promise<SchemaError> {
  return schemaErrorOfFiles([{ path: FILE, content }])
}

describe('@bind on models', () => {
  it('puts the bind key into the description and the emitted metadata; default models carry none', async () => {
    const { description, files } = await generateFromFiles([{ path: FILE, content: schema() }], 'schema')
    expect(description.models.map((model) => [model.name, model.bind])).toEqual([
      ['Event', 'analytics'],
      ['Tag', 'analytics'],
      ['User', undefined],
    ])
    expect(description.models.find((model) => model.name === 'Event')?.documentation).toBe('Something that happened.')
    const models = files.find((file) => file.name === 'models.ts')!.content
    // Each model definition ends with its bind key; User has none.
    const definitions = models.slice(models.indexOf('models: ['))
    expect(definitions.match(/name: '(Event|Tag|User)'|bind: '\w+'/g)).toEqual(["name: 'Event'", "bind: 'analytics'", "name: 'Tag'", "bind: 'analytics'", "name: 'User'"])
    expect(models).toContain(' * Table `Event`, in bind `analytics`.')
    const db = files.find((file) => file.name === 'db.ts')!.content
    expect(db).toContain(' * Binds (other databases, `/// @bind(...)`): analytics (Event, Tag). Give each a URL before')
    expect(db).toContain(' * first use: `db.configure({ binds: { analytics: url } })`.')
  })

  it('emits the same bytes twice', async () => {
    const first = await generateFromFiles([{ path: FILE, content: schema() }], 'schema')
    const second = await generateFromFiles([{ path: FILE, content: schema() }], 'schema')
    expect(second.files.map((file) => file.content)).toEqual(first.files.map((file) => file.content))
  })

  it('keeps an implicit many-to-many inside its bind: its join table belongs to both models', async () => {
    const { description } = await generateFromFiles([{ path: FILE, content: schema() }], 'schema')
    const tags = description.models.find((model) => model.name === 'Event')?.relations.find((relation) => relation.name === 'tags')
    expect(tags?.secondary?.table).toBe('_EventToTag')
  })
})

describe('relations across binds', () => {
  it('are refused at the field holding the foreign key, with the code relation_across_binds and what to do', async () => {
    const content = schema().replace('  userId Int?\n', '  userId Int?\n  user   User?  @relation(fields: [userId], references: [id])\n').replace(
      '  name String\n',
      '  name String\n  events Event[]\n',
    )
    const error = await schemaErrorOf(content)
    expect(error.code).toBe('relation_across_binds')
    // Lines shift by one after the added `events` field of User.
    expect(located(error)).toEqual([{ file: FILE, line: 17, column: 3, severity: 'error' }])
    expect(error.diagnostics[0].message).toBe(
      'Relation "Event.user" crosses databases: Event is in bind "analytics" and User in the default bind, but its foreign key and its joins need both tables in one database. ' +
        'Put both models in the same bind (/// @bind(<key>) above each model, or none for the default), or drop the relation and keep the key as a plain column, loading the User with session.get().',
    )
    expect(error.message).toBe(`${FILE}:17:3: error: ${error.diagnostics[0].message}`)
  })

  it('are refused for an implicit many-to-many, once, at the side whose model sorts first', async () => {
    const error = await schemaErrorOf(schema('', '/// @bind(audit)'))
    expect(error.code).toBe('relation_across_binds')
    expect(located(error)).toEqual([{ file: FILE, line: 16, column: 3, severity: 'error' }])
    expect(error.diagnostics[0].message).toMatch(/^Relation "Event\.tags" crosses databases: Event is in bind "audit" and Tag in bind "analytics", but its join table _EventToTag/)
  })
})

describe('@bind mistakes', () => {
  it.each([
    ['/// @bind', 11, 5, '"@bind" needs a bind key, e.g. @bind(analytics)'],
    ['/// @bind()', 11, 5, '"@bind()" needs a bind key'],
    ['/// @bind(two words)', 11, 5, 'Bind key "two words" in "@bind(two words)" is not valid'],
    ['/// @bind(analytics) trailing', 11, 5, 'Malformed annotation "@bind(analytics) trailing"'],
    ['/// @bind(analytics)\n/// @bind(audit)', 12, 5, 'A model may carry at most one @bind annotation.'],
    ['/// @lazy(select)', 11, 5, 'Unknown model annotation "@lazy". The only model annotation is @bind(<key>)'],
  ])('refuses %j above a model, at its /// line', async (docs, line, column, message) => {
    const error = await schemaErrorOf(schema('', docs))
    expect(error.code).toBe('annotation_invalid')
    expect(located(error)).toEqual([{ file: FILE, line, column, severity: 'error' }])
    expect(error.diagnostics[0].message).toContain(message)
  })

  it('refuses @bind on a field, saying it belongs on the model', async () => {
    const error = await schemaErrorOf(schema().replace('  kind   String', '  /// @bind(analytics)\n  kind   String'))
    expect(error.code).toBe('annotation_invalid')
    expect(located(error)).toEqual([{ file: FILE, line: 14, column: 7, severity: 'error' }])
    expect(error.diagnostics[0].message).toBe('"@bind" is only allowed on models (a /// line above `model Name {`): it says which database the whole model lives in.')
  })
})
