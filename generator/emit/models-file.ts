/** Emits generated/models.ts: enums, one typed class per model (relationship types per strategy) and the mapping registry. */
import { StructureKind, VariableDeclarationKind, type ClassDeclarationStructure, type InterfaceDeclarationStructure, type StatementStructures } from 'ts-morph'
import type { ColumnDefinition, ModelDefinition, RelationshipDefinition } from '../../runtime/internal.js'
import type { EnumDescription, FieldDescription, ModelDescription, RelationDescription, SchemaDescription } from '../model/description.js'
import { tsType } from '../model/type-map.js'
import { literal } from './literal.js'
import { createProject, docComment, docs, preamble, printFile, type GeneratedFile } from './project.js'

/** What the strategy means for the accessor, appended to the relation's TSDoc. */
const STRATEGY_DOCS = {
  select: (relation: RelationDescription) =>
    relation.uselist
      ? 'Loading: `select`. `await` it to load the list with one SELECT on first access; later reads answer from memory.'
      : 'Loading: `select`. `await` it to load the object with one SELECT on first access (none when it is already in the identity map); later reads answer from memory.',
  joined: () =>
    'Loading: `joined`. Loaded together with its owners, in the same statement (LEFT OUTER JOIN), so `await` answers from memory.',
  selectin: () =>
    'Loading: `selectin`. Loaded together with its owners: every query that returns them runs one more SELECT ... IN (...) for all of them, so `await` answers from memory.',
  dynamic: () =>
    'Loading: `dynamic`. A query, not a list: refine it with `where`/`filterBy`/`orderBy`/`limit`, run it with `all`/`first`/`count`/`exists`, and change it with `append`/`remove` (written at the next flush).',
  raise: () => 'Loading: `raise`. Never loaded lazily: reading it before it was loaded or assigned throws `RaiseLoadError`, with no SQL.',
  noload: (relation: RelationDescription) =>
    `Loading: \`noload\`. Never loaded: reads as ${relation.uselist ? 'an empty list' : 'null'} unless a value was assigned in memory.`,
} as const

function fieldType(field: FieldDescription): string {
  return field.nullable ? `${tsType(field)} | null` : tsType(field)
}

/** What `@cascade(...)` means for the relation, appended to its TSDoc. */
function cascadeDocs(relation: RelationDescription): string | undefined {
  if (relation.cascade === undefined) return undefined
  const orphan = relation.cascade.includes('delete-orphan')
    ? ' One removed from it (its side set to null) is deleted at the next flush instead of keeping a NULL foreign key.'
    : ''
  return `Cascade: \`${relation.cascade.join(', ')}\`. Deleting the owner deletes ${relation.uselist ? 'these objects' : 'this object'} in the same flush, before the owner.${orphan}`
}

/** What `@orderBy(...)` means for the collection, appended to its TSDoc. */
function orderDocs(relation: RelationDescription): string | undefined {
  if (relation.orderBy === undefined) return undefined
  const keys = relation.orderBy.map((item) => `${item.field} ${item.direction}`).join(', ')
  return relation.strategy === 'dynamic'
    ? `Order: \`${keys}\`. The query's ORDER BY starts with it; \`orderBy(...)\` adds keys after it, \`orderBy(null)\` clears it.`
    : `Order: \`${keys}\`. Every load returns the list in this order.`
}

function relationDocs(relation: RelationDescription): string {
  return [relation.documentation, STRATEGY_DOCS[relation.strategy](relation), orderDocs(relation), cascadeDocs(relation)].filter(Boolean).join('\n\n')
}

function targetType(relation: RelationDescription): string {
  return relation.nullable ? `${relation.target} | null` : relation.target
}

function keyType(model: ModelDescription): string {
  const fields = model.primaryKey.map((name) => model.fields.find((field) => field.name === name)!)
  if (fields.length === 1) return tsType(fields[0])
  return `{ ${fields.map((field) => `${field.name}: ${tsType(field)}`).join('; ')} }`
}

/** Where values are stored under other names (`@map`), which: the TypeScript value is always the name, as in PrismaClient. */
function storedNamesDoc(enumeration: EnumDescription): string | undefined {
  const stored = enumeration.storedValues
  if (stored === undefined) return undefined
  const renamed = enumeration.values.filter((value) => stored[value] !== value).map((value) => `\`${value}\` as \`${stored[value]}\``)
  return `Stored in the database as: ${renamed.join(', ')} (\`@map\`); the runtime converts both ways.`
}

function enumStatements(enumeration: EnumDescription): StatementStructures[] {
  const values = enumeration.values.map((value) => `${value}: '${value}'`).join(', ')
  const stored = storedNamesDoc(enumeration)
  return [
    {
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: docs(enumeration.documentation, `Values of the \`${enumeration.name}\` enum.`, stored),
      declarations: [{ name: enumeration.name, initializer: `{ ${values} } as const` }],
    },
    {
      kind: StructureKind.TypeAlias,
      isExported: true,
      docs: docs(enumeration.documentation),
      name: enumeration.name,
      type: `(typeof ${enumeration.name})[keyof typeof ${enumeration.name}]`,
    },
  ]
}

/** A field's TSDoc: its schema documentation, and for a list how changes are seen. */
function fieldDocs(field: FieldDescription) {
  const listNote = field.list
    ? 'A list is a value: assign a new array to change it (`post.tags = [...post.tags, tag]`). The list read here is frozen, so a change in place (`push`) throws a TypeError instead of being left out of the flush.'
    : undefined
  return docs(field.documentation, listNote)
}

function columnsInterface(model: ModelDescription): InterfaceDeclarationStructure {
  return {
    kind: StructureKind.Interface,
    isExported: true,
    name: `${model.name}Columns`,
    docs: docs(`Column values of a {@link ${model.name}} row.`),
    properties: model.fields.map((field) => ({ name: field.name, type: fieldType(field), docs: fieldDocs(field) })),
  }
}

function initInterface(model: ModelDescription): InterfaceDeclarationStructure {
  const settable = model.relations.filter((relation) => relation.ownsForeignKey)
  return {
    kind: StructureKind.Interface,
    isExported: true,
    name: `${model.name}Init`,
    docs: docs(`What \`new ${model.name}({...})\` accepts: any column, and the to-one relationships.`),
    properties: [
      ...model.fields.map((field) => ({ name: field.name, hasQuestionToken: true, type: fieldType(field) })),
      ...settable.map((relation) => ({ name: relation.name, hasQuestionToken: true, type: targetType(relation) })),
    ],
  }
}

/** Each relationship's related model, for typed queries across relationships (`where`, `join`, `withCount`, `toJSON`). */
function relationsInterface(model: ModelDescription): InterfaceDeclarationStructure {
  return {
    kind: StructureKind.Interface,
    isExported: true,
    name: `${model.name}Relations`,
    docs: docs(`The relationships of {@link ${model.name}}: each one's related model, an array for a to-many.`),
    properties: model.relations.map((relation) => ({
      name: relation.name,
      type: relation.uselist ? `${relation.target}[]` : targetType(relation),
    })),
  }
}

function modelClass(model: ModelDescription): ClassDeclarationStructure {
  const readOnlyRelations = model.relations.filter((relation) => !relation.ownsForeignKey)
  return {
    kind: StructureKind.Class,
    isExported: true,
    name: model.name,
    extends: `$Model<${model.name}Columns, ${model.name}Init, ${keyType(model)}, ${model.name}Relations>`,
    docs: docs(
      model.documentation,
      `${model.view ? 'View' : 'Table'} \`${model.table}\`${model.bind === undefined ? '' : `, in bind \`${model.bind}\``}.`,
      model.view ? 'Read-only: a flush that would insert, update or delete its rows throws FlushError (`flush_read_only_view`).' : undefined,
      model.identity === 'unique'
        ? `Identity: no @id, so the unique \`${model.primaryKey.join(', ')}\` identifies its rows: session.get() takes it, and the identity map, UPDATE and DELETE key on it.`
        : undefined,
    ),
    properties: [
      {
        name: 'query',
        isStatic: true,
        isReadonly: true,
        hasDeclareKeyword: true,
        type: `$Query<${model.name}>`,
        docs: docs(`A query over ${model.name} on the current scope's \`db.session\` (Flask-SQLAlchemy's \`Model.query\`).`),
      },
      ...model.fields.map((field) => ({ name: field.name, type: fieldType(field), hasDeclareKeyword: true, docs: fieldDocs(field) })),
      ...readOnlyRelations.map((relation) => ({
        name: relation.name,
        isReadonly: true,
        hasDeclareKeyword: true,
        docs: docs(relationDocs(relation)),
        type:
          relation.strategy === 'dynamic'
            ? `$DynamicRelationship<${relation.target}>`
            : relation.uselist
              ? `globalThis.Promise<${relation.target}[]>`
              : `globalThis.Promise<${relation.target} | null>`,
      })),
    ],
  }
}

/** To-one relationships read as a Promise and are assigned an object: variant accessors in a merged interface. */
function accessorInterface(model: ModelDescription): string | undefined {
  const owning = model.relations.filter((relation) => relation.ownsForeignKey)
  if (owning.length === 0) return undefined
  const members = owning.map((relation) =>
    [
      docComment(relationDocs(relation), '  '),
      `  get ${relation.name}(): globalThis.Promise<${targetType(relation)}>`,
      `  set ${relation.name}(value: ${targetType(relation)})`,
    ].join('\n'),
  )
  return `${docComment(`Relationships of {@link ${model.name}} that are assigned an object and read with \`await\`.`)}\nexport interface ${model.name} {\n${members.join('\n')}\n}`
}

function columnDefinition(field: FieldDescription): ColumnDefinition {
  return {
    name: field.name,
    column: field.column,
    type: field.type,
    nullable: field.nullable,
    ...(field.default ? { default: field.default } : {}),
    ...(field.updatedAt ? { updatedAt: true } : {}),
    ...(field.list ? { list: true } : {}),
    ...(field.nativeType !== undefined ? { nativeType: field.nativeType } : {}),
    ...(field.precision !== undefined ? { precision: field.precision } : {}),
    ...(field.enumValues !== undefined ? { enumValues: field.enumValues } : {}),
  }
}

function relationshipDefinition(relation: RelationDescription): RelationshipDefinition {
  return {
    name: relation.name,
    target: relation.target,
    direction: relation.direction,
    uselist: relation.uselist,
    strategy: relation.strategy,
    ownsForeignKey: relation.ownsForeignKey,
    localColumns: relation.localColumns,
    remoteColumns: relation.remoteColumns,
    backPopulates: relation.backPopulates,
    ...(relation.secondary ? { secondary: relation.secondary } : {}),
    ...(relation.orderBy ? { orderBy: relation.orderBy } : {}),
    ...(relation.cascade ? { cascade: relation.cascade } : {}),
    ...(relation.onDelete ? { onDelete: relation.onDelete } : {}),
  }
}

function modelDefinition(model: ModelDescription): ModelDefinition {
  return {
    name: model.name,
    table: model.table,
    primaryKey: model.primaryKey,
    columns: model.fields.map(columnDefinition),
    relationships: model.relations.map(relationshipDefinition),
    ...(model.bind !== undefined ? { bind: model.bind } : {}),
    ...(model.view ? { view: true as const } : {}),
  }
}

function registryStatement(schema: SchemaDescription): string {
  const definition = {
    schema: { provider: schema.provider, sources: schema.sources },
    classes: '__CLASSES__',
    models: schema.models.map(modelDefinition),
  }
  const classes = `{ ${schema.models.map((model) => model.name).join(', ')} }`
  return [
    docComment('Every model of this schema mapped to its table, for the runtime (`createDb(registry)`).'),
    `export const registry = $defineModels(${literal(definition).replace("'__CLASSES__'", classes)})`,
  ].join('\n')
}

/** Emits `models.ts` for a described schema: its code imports `runtimeModule` and, for `defineModels`, `${runtimeModule}/internal`. */
export function emitModelsFile(schema: SchemaDescription, runtimeModule: string): GeneratedFile {
  const usesDecimal = schema.models.some((model) => model.fields.some((field) => field.type === 'Decimal'))
  const usesJson = schema.models.some((model) => model.fields.some((field) => field.type === 'Json'))
  const usesDynamic = schema.models.some((model) => model.relations.some((relation) => relation.strategy === 'dynamic'))
  const typeImports = [usesDecimal && 'type Decimal as $Decimal', usesDynamic && 'type DynamicRelationship as $DynamicRelationship', usesJson && 'type JsonValue as $JsonValue'].filter(
    (name): name is string => typeof name === 'string',
  )
  // Runtime names are imported as `$Name` (no Prisma model or enum name starts with `$`), and globals are reached through
  // `globalThis`, so a model called `Model`, `Query`, `Decimal`, `Promise` or `Date` shadows nothing the code uses.
  const statements: (string | StatementStructures)[] = [
    preamble(schema.sources),
    {
      kind: StructureKind.ImportDeclaration,
      moduleSpecifier: runtimeModule,
      namedImports: ['Model as $Model', ...typeImports, 'type Query as $Query'],
    },
    // What only generated code calls lives in the runtime's internal entry, next to the application's.
    { kind: StructureKind.ImportDeclaration, moduleSpecifier: `${runtimeModule}/internal`, namedImports: ['defineModels as $defineModels'] },
  ]
  for (const enumeration of schema.enums) statements.push(...enumStatements(enumeration))
  for (const model of schema.models) {
    statements.push(columnsInterface(model), initInterface(model), relationsInterface(model), modelClass(model))
    const accessors = accessorInterface(model)
    if (accessors) statements.push(accessors)
  }
  statements.push(registryStatement(schema))
  return printFile(createProject(), 'models.ts', statements)
}
