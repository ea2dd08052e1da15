// Schema problems (bad `///` annotations, Prisma validation errors, unsupported features) are SchemaErrors located by file, line and column.
import { describe, expect, it } from 'vitest'
import { generateFromFiles } from '../../generator/generate.js'
import { located, schemaErrorOf } from '../helpers/schema-errors.js'

const FILE = 'schema/test.prisma'
const DATASOURCE = 'datasource db {\n  provider = "sqlite"\n}\n'

/** Role/User with the given `///` lines above `Role.users` and above `User.role`. Line numbers below refer to this text. */
function roleUser(usersDocs: string, roleDocs: string): string {
  return [
    'datasource db {', //                                                       1
    '  provider = "sqlite"', //                                                 2
    '}', //                                                                     3
    '', //                                                                      4
    'model Role {', //                                                          5
    '  id    Int    @id', //                                                    6
    '  name  String', //                                                        7
    `  ${usersDocs}`, //                                                        8
    '  users User[]', //                                                        9
    '}', //                                                                     10
    '', //                                                                      11
    'model User {', //                                                          12
    '  id     Int   @id', //                                                    13
    '  roleId Int?', //                                                         14
    `  ${roleDocs}`, //                                                         15
    '  role   Role? @relation(fields: [roleId], references: [id])', //          16
    '}', //                                                                     17
    '',
  ].join('\n')
}

describe('annotation errors', () => {
  it('rejects an unknown loading strategy, at the @ of its /// line', async () => {
    const error = await schemaErrorOf([{ path: FILE, content: roleUser('/// @lazy(eager)', '') }])
    expect(error.code).toBe('annotation_invalid')
    expect(located(error)).toEqual([{ file: FILE, line: 8, column: 7, severity: 'error' }])
    expect(error.diagnostics[0].message).toBe('Unknown loading strategy "eager" in "@lazy(eager)". Known strategies: select, selectin, joined, dynamic, raise, noload.')
    expect(error.message).toBe(`${FILE}:8:7: error: ${error.diagnostics[0].message}`)
  })

  it('rejects @lazy(dynamic) on a to-one relation', async () => {
    const error = await schemaErrorOf([{ path: FILE, content: roleUser('', '/// @lazy(dynamic)') }])
    expect(error.code).toBe('annotation_invalid')
    expect(located(error)).toEqual([{ file: FILE, line: 15, column: 7, severity: 'error' }])
    expect(error.diagnostics[0].message).toMatch(/only allowed on list \(to-many\) relations/)
  })

  it('rejects @lazy without a strategy, wherever the /// line is indented', async () => {
    const error = await schemaErrorOf([{ path: FILE, content: roleUser('    /// @lazy', '') }])
    expect(error.code).toBe('annotation_invalid')
    expect(located(error)).toEqual([{ file: FILE, line: 8, column: 11, severity: 'error' }])
    expect(error.diagnostics[0].message).toMatch(/needs a strategy/)
  })

  it('rejects @lazy(select) on a scalar field', async () => {
    const content = roleUser('', '').replace('  name  String', '  /// @lazy(select)\n  name  String')
    const error = await schemaErrorOf([{ path: FILE, content }])
    expect(error.code).toBe('annotation_invalid')
    expect(located(error)).toEqual([{ file: FILE, line: 7, column: 7, severity: 'error' }])
    expect(error.diagnostics[0].message).toBe('"@lazy" is only allowed on relation fields.')
  })

  it('rejects an unknown annotation such as @foo(bar)', async () => {
    const error = await schemaErrorOf([{ path: FILE, content: roleUser('/// Everyone in the role.\n  /// @foo(bar)', '') }])
    expect(error.code).toBe('annotation_invalid')
    expect(located(error)).toEqual([{ file: FILE, line: 9, column: 7, severity: 'error' }])
    expect(error.diagnostics[0].message).toMatch(/Unknown annotation "@foo"/)
  })

  it('rejects @lazy(x) on a model, at the /// line above the model', async () => {
    const content = roleUser('', '').replace('model User {', '/// Someone.\n/// @lazy(x)\nmodel User {')
    const error = await schemaErrorOf([{ path: FILE, content }])
    expect(error.code).toBe('annotation_invalid')
    expect(located(error)).toEqual([{ file: FILE, line: 13, column: 5, severity: 'error' }])
    expect(error.diagnostics[0].message).toMatch(/Unknown model annotation "@lazy"/)
  })

  it('accepts TSDoc tags and prose that mention @lazy mid-line as documentation', async () => {
    const content = roleUser('/// See the docs: loaded with @lazy(select) semantics.\n  /// @deprecated', '/// @lazy(select)')
    const { description } = await generateFromFiles([{ path: FILE, content }], 'schema')
    const users = description.models.find((model) => model.name === 'Role')?.relations.find((relation) => relation.name === 'users')
    expect(users?.strategy).toBe('select')
    expect(users?.documentation).toBe('See the docs: loaded with @lazy(select) semantics.\n@deprecated')
  })

  it('reports every problem of the schema at once, in model order', async () => {
    const content = roleUser('/// @lazy(eager)', '/// @lazy(dynamic)').replace('  name  String', '  /// @foo(bar)\n  name  String')
    const error = await schemaErrorOf([{ path: FILE, content }])
    expect(error.code).toBe('annotation_invalid')
    expect(located(error).map(({ line, column }) => `${line}:${column}`)).toEqual(['7:7', '9:7', '16:7'])
    expect(error.message.split('\n')).toHaveLength(3)
  })

  it('names the file that holds the bad annotation in a multi-file schema', async () => {
    const files = [
      { path: 'schema/a-role.prisma', content: `${DATASOURCE}\nmodel Role {\n  id    Int    @id\n  users User[]\n}\n` },
      {
        path: 'schema/b-user.prisma',
        content: 'model User {\n  id     Int   @id\n  roleId Int?\n  /// @lazy(dynamic)\n  role   Role? @relation(fields: [roleId], references: [id])\n}\n',
      },
    ]
    const error = await schemaErrorOf(files)
    expect(error.code).toBe('annotation_invalid')
    expect(located(error)).toEqual([{ file: 'schema/b-user.prisma', line: 4, column: 7, severity: 'error' }])
  })
})

describe('Prisma validation errors', () => {
  it('become schema_invalid diagnostics at the offending token', async () => {
    const content = roleUser('', '').replace('  name  String', '  name  Strng')
    const error = await schemaErrorOf([{ path: FILE, content }])
    expect(error.code).toBe('schema_invalid')
    expect(located(error)).toEqual([{ file: FILE, line: 7, column: 9, severity: 'error' }])
    expect(error.diagnostics[0].message).toMatch(/Type "Strng" is neither a built-in type/)
    expect(error.cause).toBeDefined()
  })

  it('name the right file of a multi-file schema', async () => {
    const files = [
      { path: 'schema/a.prisma', content: `${DATASOURCE}\nmodel Role {\n  id Int @id\n}\n` },
      { path: 'schema/b.prisma', content: '\nmodel User {\n  id   Int @id\n  name Strng\n}\n' },
    ]
    const error = await schemaErrorOf(files)
    expect(error.code).toBe('schema_invalid')
    expect(located(error)).toEqual([{ file: 'schema/b.prisma', line: 4, column: 8, severity: 'error' }])
  })
})

describe('names the generated code cannot use', () => {
  it('accepts spaces around the strategy and rejects trailing text as malformed', async () => {
    await expect(generateFromFiles([{ path: FILE, content: roleUser('/// @lazy (dynamic)', '') }], 'schema')).resolves.toBeDefined()
    const error = await schemaErrorOf([{ path: FILE, content: roleUser('/// @lazy(dynamic) // note', '') }])
    expect(located(error)).toEqual([{ file: FILE, line: 8, column: 7, severity: 'error' }])
    expect(error.diagnostics[0].message).toMatch(/^Malformed annotation "@lazy\(dynamic\) \/\/ note"/)
  })

  it('refuses model names that clash with the generated code, at the model line', async () => {
    const content = `${DATASOURCE}\nmodel registry {\n  id Int @id\n}\n\nmodel Thing {\n  id Int @id\n}\n\nmodel ThingColumns {\n  id Int @id\n}\n`
    const error = await schemaErrorOf([{ path: FILE, content }])
    expect(error.code).toBe('schema_unsupported')
    expect(error.diagnostics.map((d) => [d.line, d.message.split(':')[0]])).toEqual([
      [5, 'Model name "registry" cannot be generated'],
      [9, 'Model name "Thing" cannot be generated'],
    ])
    expect(error.diagnostics[0].message).toContain('exports `registry`')
    expect(error.diagnostics[1].message).toContain('would clash with ThingColumns')
  })

  it('refuses reserved field names such as constructor, at the field line', async () => {
    const content = `${DATASOURCE}\nmodel Thing {\n  id          Int    @id\n  constructor String\n}\n`
    const error = await schemaErrorOf([{ path: FILE, content }])
    expect(located(error)).toEqual([{ file: FILE, line: 7, column: 3, severity: 'error' }])
    expect(error.diagnostics[0].message).toMatch(/"Thing.constructor" is reserved/)
  })
})

describe('@cascade annotations', () => {
  const relation = (description: Awaited<ReturnType<typeof generateFromFiles>>['description'], model: string, name: string) =>
    description.models.find((m) => m.name === model)?.relations.find((r) => r.name === name)

  it('accepts one @lazy and one @cascade on the parent side, into the description and the emitted metadata', async () => {
    const content = roleUser('/// Everyone in the role.\n  /// @lazy(dynamic)\n  /// @cascade(delete, delete-orphan)', '/// @lazy(select)')
    const { description, files } = await generateFromFiles([{ path: FILE, content }], 'schema')
    const users = relation(description, 'Role', 'users')
    expect(users?.strategy).toBe('dynamic')
    expect(users?.cascade).toEqual(['delete', 'delete-orphan'])
    expect(users?.documentation).toBe('Everyone in the role.')
    expect(relation(description, 'User', 'role')?.cascade).toBeUndefined()
    const models = files.find((file) => file.name === 'models.ts')!.content
    expect(models).toContain("cascade: ['delete', 'delete-orphan']")
    expect(models).toContain("onDelete: 'SetNull'")
  })

  it('rejects an unknown cascade name, at the @ of its /// line', async () => {
    const error = await schemaErrorOf([{ path: FILE, content: roleUser('/// @cascade(delete, purge)', '') }])
    expect(error.code).toBe('annotation_invalid')
    expect(located(error)).toEqual([{ file: FILE, line: 8, column: 7, severity: 'error' }])
    expect(error.diagnostics[0].message).toBe('Unknown cascade "purge" in "@cascade(delete, purge)". Known cascades: delete, delete-orphan.')
  })

  it('explains SQLAlchemy cascade names that need no annotation', async () => {
    const error = await schemaErrorOf([{ path: FILE, content: roleUser('/// @cascade(all)', '') }])
    expect(error.diagnostics[0].message).toMatch(/^Unknown cascade "all" in "@cascade\(all\)" \(save-update is always on; write @cascade\(delete\) for the rest\)/)
  })

  it('rejects @cascade on the foreign-key side (many-to-one), naming the side it belongs on', async () => {
    const error = await schemaErrorOf([{ path: FILE, content: roleUser('', '/// @cascade(delete)') }])
    expect(error.code).toBe('annotation_invalid')
    expect(located(error)).toEqual([{ file: FILE, line: 15, column: 7, severity: 'error' }])
    expect(error.diagnostics[0].message).toMatch(/^"@cascade" belongs on the parent's side of a relation .* Move it to "Role\.users"\.$/)
  })

  it('rejects @cascade on a scalar field', async () => {
    const content = roleUser('', '').replace('  name  String', '  /// @cascade(delete)\n  name  String')
    const error = await schemaErrorOf([{ path: FILE, content }])
    expect(located(error)).toEqual([{ file: FILE, line: 7, column: 7, severity: 'error' }])
    expect(error.diagnostics[0].message).toBe('"@cascade" is only allowed on relation fields on the side without the foreign key.')
  })

  it('rejects delete-orphan without delete, an empty or repeated cascade, and a second @cascade line', async () => {
    const messages = async (docs: string) => (await schemaErrorOf([{ path: FILE, content: roleUser(docs, '') }])).diagnostics.map((d) => `${d.line}: ${d.message}`)
    expect(await messages('/// @cascade(delete-orphan)')).toEqual(['8: "@cascade(delete-orphan)": delete-orphan needs delete too. Write @cascade(delete, delete-orphan).'])
    expect(await messages('/// @cascade()')).toEqual(['8: "@cascade()" needs at least one cascade, e.g. @cascade(delete). Known cascades: delete, delete-orphan.'])
    expect(await messages('/// @cascade')).toEqual(['8: "@cascade" needs at least one cascade, e.g. @cascade(delete). Known cascades: delete, delete-orphan.'])
    expect(await messages('/// @cascade(delete, delete)')).toEqual(['8: Cascade "delete" is listed twice in "@cascade(delete, delete)".'])
    expect(await messages('/// @cascade(delete)\n  /// @cascade(delete-orphan)')).toEqual(['9: A field may carry at most one @cascade annotation.'])
    expect(await messages('/// @cascade(delete) // soon')).toEqual([
      '8: Malformed annotation "@cascade(delete) // soon": write it alone on its line as @cascade(delete) or @cascade(delete, delete-orphan).',
    ])
  })

  it('leaves @lazy errors and their location unchanged beside a @cascade line', async () => {
    const error = await schemaErrorOf([{ path: FILE, content: roleUser('/// @cascade(delete)\n  /// @lazy(eager)', '') }])
    expect(located(error)).toEqual([{ file: FILE, line: 9, column: 7, severity: 'error' }])
    expect(error.diagnostics[0].message).toMatch(/^Unknown loading strategy "eager" in "@lazy\(eager\)"\. Known strategies: select, /)
  })

  it('resolves onDelete on the foreign-key side: as written, else Restrict (required) or SetNull (optional); none with relationMode = "prisma"', async () => {
    const schema = (datasource: string) =>
      `${datasource}\nmodel Role {\n  id    Int    @id\n  users User[]\n  posts Post[]\n  pins  Pin[]\n}\n\nmodel User {\n  id     Int  @id\n  roleId Int?\n  role   Role? @relation(fields: [roleId], references: [id])\n}\n\nmodel Post {\n  id     Int  @id\n  roleId Int\n  role   Role @relation(fields: [roleId], references: [id])\n\n  @@index([roleId])\n}\n\nmodel Pin {\n  id     Int  @id\n  roleId Int\n  role   Role @relation(fields: [roleId], references: [id], onDelete: Cascade)\n\n  @@index([roleId])\n}\n`
    const { description } = await generateFromFiles([{ path: FILE, content: schema(DATASOURCE) }], 'schema')
    expect(['User', 'Post', 'Pin'].map((model) => relation(description, model, 'role')?.onDelete)).toEqual(['SetNull', 'Restrict', 'Cascade'])
    expect(relation(description, 'Role', 'pins')?.onDelete).toBeUndefined()
    const emulated = await generateFromFiles([{ path: FILE, content: schema('datasource db {\n  provider     = "sqlite"\n  relationMode = "prisma"\n}\n') }], 'schema')
    expect(['User', 'Post', 'Pin'].map((model) => relation(emulated.description, model, 'role')?.onDelete)).toEqual([undefined, undefined, undefined])
  })
})

describe('@cascade on a many-to-many relation', () => {
  it('is an annotation error: deleting either side deletes only join-table rows', async () => {
    const content = `${DATASOURCE}\nmodel Post {\n  id   Int   @id\n  /// @cascade(delete)\n  tags Tag[]\n}\n\nmodel Tag {\n  id    Int    @id\n  posts Post[]\n}\n`
    const error = await schemaErrorOf([{ path: FILE, content }])
    expect(error.code).toBe('annotation_invalid')
    expect(located(error)[0]).toEqual({ file: FILE, line: 7, column: 7, severity: 'error' })
    expect(error.diagnostics[0].message).toMatch(/^"@cascade" is not supported on a many-to-many relation/)
  })
})

describe('@orderBy annotations', () => {
  const relation = (description: Awaited<ReturnType<typeof generateFromFiles>>['description'], model: string, name: string) =>
    description.models.find((m) => m.name === model)?.relations.find((r) => r.name === name)
  /** Each diagnostic as `line:column: message`, for `roleUser(usersDocs, roleDocs)`. */
  const problems = async (usersDocs: string, roleDocs = '') =>
    (await schemaErrorOf([{ path: FILE, content: roleUser(usersDocs, roleDocs) }])).diagnostics.map((d) => `${d.line}:${d.column}: ${d.message}`)

  it('accepts field: asc|desc entries (a bare field is asc) beside @lazy, into the description, the metadata and the TSDoc', async () => {
    const content = roleUser('/// Everyone in the role.\n  /// @lazy(selectin)\n  /// @orderBy(roleId: desc, id)', '')
    const { description, files } = await generateFromFiles([{ path: FILE, content }], 'schema')
    const users = relation(description, 'Role', 'users')
    expect(users?.strategy).toBe('selectin')
    expect(users?.orderBy).toEqual([
      { field: 'roleId', direction: 'desc' },
      { field: 'id', direction: 'asc' },
    ])
    expect(users?.documentation).toBe('Everyone in the role.')
    expect(relation(description, 'User', 'role')?.orderBy).toBeUndefined()
    const models = files.find((file) => file.name === 'models.ts')!.content
    expect(models.replace(/\s+/g, ' ')).toContain("orderBy: [ { field: 'roleId', direction: 'desc', }, { field: 'id', direction: 'asc', }, ]")
    expect(models.match(/orderBy: \[/g)).toHaveLength(1) // only Role.users carries one
    expect(models).toContain('Order: `roleId desc, id asc`. Every load returns the list in this order.')
  })

  it('accepts @orderBy on a many-to-many and a dynamic relation, and spaces inside the parentheses', async () => {
    const content = `${DATASOURCE}\nmodel Post {\n  id   Int   @id\n  /// @lazy(dynamic)\n  /// @orderBy(  name :desc ,id  )\n  tags Tag[]\n}\n\nmodel Tag {\n  id    Int    @id\n  name  String\n  posts Post[]\n}\n`
    const { description, files } = await generateFromFiles([{ path: FILE, content }], 'schema')
    expect(relation(description, 'Post', 'tags')?.orderBy).toEqual([
      { field: 'name', direction: 'desc' },
      { field: 'id', direction: 'asc' },
    ])
    expect(files.find((file) => file.name === 'models.ts')!.content).toContain('`orderBy(...)` adds keys after it, `orderBy(null)` clears it.')
  })

  it('rejects @orderBy on a to-one relation, at the @ of its /// line', async () => {
    const error = await schemaErrorOf([{ path: FILE, content: roleUser('', '/// @orderBy(name)') }])
    expect(error.code).toBe('annotation_invalid')
    expect(located(error)).toEqual([{ file: FILE, line: 15, column: 7, severity: 'error' }])
    expect(error.diagnostics[0].message).toBe('"@orderBy" is only allowed on list (to-many) relations; this relation is to-one, so there is nothing to order.')
  })

  it('rejects @orderBy on a scalar field', async () => {
    const content = roleUser('', '').replace('  name  String', '  /// @orderBy(name)\n  name  String')
    const error = await schemaErrorOf([{ path: FILE, content }])
    expect(error.code).toBe('annotation_invalid')
    expect(located(error)).toEqual([{ file: FILE, line: 7, column: 7, severity: 'error' }])
    expect(error.diagnostics[0].message).toBe('"@orderBy" is only allowed on to-many (list) relation fields: it orders the related objects of a collection.')
  })

  it('rejects an unknown field and a relation field, pointing at the entry at fault', async () => {
    expect(await problems('/// @orderBy(id, nmae: desc)')).toEqual([
      '8:20: Unknown field "nmae" in "@orderBy(id, nmae: desc)": User has no such field. Its scalar fields: id, roleId.',
    ])
    expect(await problems('/// @orderBy(role)')).toEqual([
      '8:16: "role" in "@orderBy(role)" is a relation, not a scalar field of User: order by its scalar fields (id, roleId).',
    ])
  })

  it('rejects a bad direction, an empty list or entry, a repeated field, a second @orderBy line and a malformed line', async () => {
    expect(await problems('/// @orderBy(id: down)')).toEqual(['8:16: Unknown direction "down" for "id" in "@orderBy(id: down)": write asc or desc (lowercase), or leave it out for asc.'])
    expect(await problems('/// @orderBy(id: DESC)')).toEqual(['8:16: Unknown direction "DESC" for "id" in "@orderBy(id: DESC)": write asc or desc (lowercase), or leave it out for asc.'])
    expect(await problems('/// @orderBy()')).toEqual(['8:7: "@orderBy()" needs at least one field, e.g. @orderBy(createdAt: desc) or @orderBy(priority: desc, id: asc).'])
    expect(await problems('/// @orderBy')).toEqual(['8:7: "@orderBy" needs at least one field, e.g. @orderBy(createdAt: desc) or @orderBy(priority: desc, id: asc).'])
    expect(await problems('/// @orderBy(id,, roleId)')).toEqual(['8:19: Empty entry in "@orderBy(id,, roleId)": separate "field" or "field: asc|desc" entries with single commas.'])
    expect(await problems('/// @orderBy(id desc)')).toEqual([
      '8:16: Malformed entry "id desc" in "@orderBy(id desc)": write "field" or "field: asc|desc", e.g. @orderBy(createdAt: desc) or @orderBy(priority: desc, id: asc).',
    ])
    expect(await problems('/// @orderBy(id, id: desc)')).toEqual(['8:20: Field "id" is listed twice in "@orderBy(id, id: desc)".'])
    expect(await problems('/// @orderBy(id)\n  /// @orderBy(roleId)')).toEqual(['9:7: A field may carry at most one @orderBy annotation.'])
    expect(await problems('/// @orderBy(id) // newest first')).toEqual([
      '8:7: Malformed annotation "@orderBy(id) // newest first": write it alone on its line as @orderBy(createdAt: desc) or @orderBy(priority: desc, id: asc).',
    ])
  })

  it('reports @orderBy problems together with @lazy ones, each at its own line', async () => {
    const error = await schemaErrorOf([{ path: FILE, content: roleUser('/// @orderBy(id: up)', '/// @lazy(eager)') }])
    expect(located(error).map(({ line, column }) => `${line}:${column}`)).toEqual(['8:16', '15:7'])
  })
})
