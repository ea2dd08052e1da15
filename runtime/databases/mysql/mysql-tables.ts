/** The tables `prisma db push` creates on MySQL for a schema, computed from its syntax tree as prisma-engines' SQL schema calculator and MySQL connector do. */
import { argument, attribute, stringValue, type SchemaArgument, type SchemaBlock, type SchemaExpression, type SchemaField } from '../../engine/schema-syntax.js'

/** What a foreign key does to referencing rows, as MySQL spells it. */
export type MysqlReferentialAction = 'CASCADE' | 'RESTRICT' | 'NO ACTION' | 'SET NULL' | 'SET DEFAULT'

/** A column of an index or primary key, with its prefix length and order when the schema gives them. */
export interface MysqlIndexColumn {
  readonly name: string
  readonly length?: number
  readonly sort?: 'ASC' | 'DESC'
}

/** A secondary index: `@unique`/`@@unique`, `@@index` or `@@fulltext`. */
export interface MysqlIndex {
  readonly name: string
  readonly kind: 'unique' | 'normal' | 'fulltext'
  readonly columns: readonly MysqlIndexColumn[]
}

/** A column, with its type and default rendered as Prisma renders them (`VARCHAR(191)`, `CURRENT_TIMESTAMP(3)`). */
export interface MysqlColumn {
  readonly name: string
  readonly type: string
  readonly nullable: boolean
  /** The DEFAULT expression, absent when Prisma renders none. */
  readonly default?: string
  readonly autoIncrement: boolean
  /** The column's type is `Unsupported("...")` in the schema: Prisma knows only its text. */
  readonly unsupported: boolean
}

/** A foreign key (created after every table, with ALTER TABLE, as Prisma does). */
export interface MysqlForeignKey {
  readonly name: string
  readonly columns: readonly string[]
  readonly referencedTable: string
  readonly referencedColumns: readonly string[]
  readonly onDelete: MysqlReferentialAction
  readonly onUpdate: MysqlReferentialAction
}

/** A table: a model's, or the join table of an implicit many-to-many relation. */
export interface MysqlTable {
  readonly name: string
  readonly columns: readonly MysqlColumn[]
  /** Empty for a model without a primary key (one identified by a unique only). */
  readonly primaryKey: readonly MysqlIndexColumn[]
  readonly indexes: readonly MysqlIndex[]
  readonly foreignKeys: readonly MysqlForeignKey[]
}

/** @internal MySQL's identifier limit, in bytes (`max_identifier_length` of Prisma's MySQL connector). */
const MYSQL_MAX_IDENTIFIER_LENGTH = 64

/** @internal Each scalar's native type when the field has no `@db.*` attribute (the connector's SCALAR_TYPE_DEFAULTS). */
const DEFAULT_NATIVE_TYPES: Readonly<Record<string, { readonly name: string; readonly args: readonly string[] }>> = {
  Int: { name: 'Int', args: [] },
  BigInt: { name: 'BigInt', args: [] },
  Float: { name: 'Double', args: [] },
  Decimal: { name: 'Decimal', args: ['65', '30'] },
  Boolean: { name: 'TinyInt', args: [] },
  String: { name: 'VarChar', args: ['191'] },
  DateTime: { name: 'DateTime', args: ['3'] },
  Bytes: { name: 'LongBlob', args: [] },
  Json: { name: 'Json', args: [] },
}

/** @internal Prisma's referential action names in MySQL's words. */
const ACTIONS: Readonly<Record<string, MysqlReferentialAction>> = { Cascade: 'CASCADE', Restrict: 'RESTRICT', NoAction: 'NO ACTION', SetNull: 'SET NULL', SetDefault: 'SET DEFAULT' }

/**
 * The tables of a valid schema's models (views excluded, `@@ignore`d models and `@ignore`d or
 * `Unsupported` fields included, as the schema engine creates them) and of its implicit many-to-many
 * relations, in Prisma's order: models as declared, then join tables. Foreign keys are left out under
 * `relationMode = "prisma"`.
 */
export function mysqlTables(blocks: readonly SchemaBlock[]): MysqlTable[] {
  return new TableCalculator(blocks).tables()
}

/** @internal A string literal as Prisma's MySQL renderer writes it: single quotes, quotes doubled. */
function mysqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

/** @internal `text` cut to at most `bytes` UTF-8 bytes, never inside a character (Rust's floor_char_boundary). */
function truncateBytes(text: string, bytes: number): string {
  const encoded = Buffer.from(text, 'utf8')
  if (encoded.length <= bytes) return text
  let end = bytes
  while (end > 0 && (encoded[end] & 0xc0) === 0x80) end--
  return encoded.subarray(0, end).toString('utf8')
}

/** @internal Prisma's default constraint name `{table}_{columns}{suffix}` (psl's ConstraintNames), truncated to the identifier limit. */
function constraintName(table: string, columns: readonly string[], suffix: string): string {
  const joined = `${table}_${columns.join('_')}`
  const limit = MYSQL_MAX_IDENTIFIER_LENGTH - suffix.length
  return `${Buffer.byteLength(joined, 'utf8') >= limit ? truncateBytes(joined, limit) : joined}${suffix}`
}

/** @internal The argument of `@map("...")` / `@@map("...")`, if any. */
function mappedName(attributes: SchemaField['attributes']): string | undefined {
  const map = attribute(attributes, 'map')
  return map === undefined ? undefined : stringValue(argument(map.args, 'name', 0))
}

/** @internal The `@db.*` attribute's type name and arguments, if any. */
function nativeTypeOf(field: SchemaField): { name: string; args: string[] } | undefined {
  const native = field.attributes.find((candidate) => candidate.name.startsWith('db.'))
  if (native === undefined) return undefined
  return { name: native.name.slice(3), args: native.args.map((arg) => (arg.value.kind === 'number' ? arg.value.text : arg.value.kind === 'constant' ? arg.value.name : '')) }
}

/** @internal A native type as mysql_renderer.rs writes it: `INTEGER`, `VARCHAR(191)`, `DECIMAL(65, 30)`, `INTEGER UNSIGNED`, `BOOLEAN` for a Boolean TINYINT. */
function renderNativeType(name: string, args: readonly string[], scalar: string): string {
  if (name === 'TinyInt' && scalar === 'Boolean') return 'BOOLEAN'
  const unsigned = name.startsWith('Unsigned')
  const base = unsigned ? name.slice('Unsigned'.length) : name
  const keyword = base === 'Int' ? 'INTEGER' : base.toUpperCase()
  return `${keyword}${args.length > 0 ? `(${args.join(', ')})` : ''}${unsigned ? ' UNSIGNED' : ''}`
}

/**
 * @internal A DateTime literal default as the UTC wall clock, `'2024-01-02 03:04:05.678'` (milliseconds only when
 * not zero): how Prisma stores DateTime values on MySQL. Prisma's renderer writes the RFC 3339 text with its
 * offset (`'2024-01-02T03:04:05.678+00:00'`), which MySQL 8.0.19+ converts but MariaDB refuses (error 1067,
 * "Invalid default value"); the UTC wall clock is the same instant on both. Text that is no date is kept as is.
 */
function utcWallClock(text: string): string {
  const time = new Date(text)
  if (Number.isNaN(time.getTime())) return text
  const iso = time.toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${time.getUTCMilliseconds() === 0 ? '' : iso.slice(19, 23)}`
}

/** @internal A field an index, key or relation names, with its `sort:` and `length:` when given. */
type FieldRef = { field: string; sort?: 'ASC' | 'DESC'; length?: number }

/** @internal The fields of an argument: `[a, b(sort: Desc, length: 10)]`, or one field. */
function fieldRefs(expression: SchemaExpression | undefined): FieldRef[] {
  const items = expression?.kind === 'array' ? expression.items : expression === undefined ? [] : [expression]
  return items.map((item) => {
    if (item.kind === 'constant') return { field: item.name }
    if (item.kind !== 'call') throw new Error(`cannot read the index field ${JSON.stringify(item)}`)
    return { field: item.name, ...indexOptions(item.args) }
  })
}

/** @internal `sort:` and `length:` of an `@id`, `@unique` or index field. */
function indexOptions(args: readonly SchemaArgument[]): { sort?: 'ASC' | 'DESC'; length?: number } {
  const sort = argument(args, 'sort')
  const length = argument(args, 'length')
  return {
    ...(sort?.kind === 'constant' ? { sort: sort.name === 'Desc' ? 'DESC' : 'ASC' } : {}),
    ...(length?.kind === 'number' ? { length: Number(length.text) } : {}),
  }
}

/** @internal The calculation over one schema's blocks. */
class TableCalculator {
  private readonly models: ReadonlyMap<string, SchemaBlock>
  private readonly views: ReadonlySet<string>
  private readonly enums: ReadonlyMap<string, SchemaBlock>
  private readonly foreignKeys: boolean

  constructor(blocks: readonly SchemaBlock[]) {
    this.models = new Map(blocks.filter((block) => block.keyword === 'model').map((block) => [block.name, block]))
    this.views = new Set(blocks.filter((block) => block.keyword === 'view').map((block) => block.name))
    this.enums = new Map(blocks.filter((block) => block.keyword === 'enum').map((block) => [block.name, block]))
    const relationMode = blocks.find((block) => block.keyword === 'datasource')?.properties.get('relationMode')
    this.foreignKeys = stringValue(relationMode) !== 'prisma'
  }

  tables(): MysqlTable[] {
    const models = [...this.models.values()]
    return [...models.map((model) => this.modelTable(model)), ...this.joinTables(models)]
  }

  private tableName(model: SchemaBlock): string {
    return mappedName(model.attributes) ?? model.name
  }

  private isRelation(field: SchemaField): boolean {
    return this.models.has(field.type) || this.views.has(field.type)
  }

  private scalarFields(model: SchemaBlock): SchemaField[] {
    return model.fields.filter((field) => !this.isRelation(field))
  }

  private columnName(model: SchemaBlock, fieldName: string): string {
    const field = model.fields.find((candidate) => candidate.name === fieldName)
    if (field === undefined) throw new Error(`${model.name} has no field ${fieldName}`)
    return mappedName(field.attributes) ?? field.name
  }

  private modelTable(model: SchemaBlock): MysqlTable {
    const table = this.tableName(model)
    const fields = this.scalarFields(model)
    const indexColumn = (ref: FieldRef): MysqlIndexColumn => ({ name: this.columnName(model, ref.field), ...(ref.length !== undefined ? { length: ref.length } : {}), ...(ref.sort !== undefined ? { sort: ref.sort } : {}) })
    const index = (kind: MysqlIndex['kind'], refs: FieldRef[], mapped: string | undefined): MysqlIndex => {
      const columns = refs.map(indexColumn)
      const name = mapped ?? constraintName(table, columns.map((column) => column.name), kind === 'unique' ? '_key' : '_idx')
      return { name, kind, columns }
    }
    const indexes: MysqlIndex[] = []
    let primaryKey: MysqlIndexColumn[] = []
    for (const field of fields) {
      const id = attribute(field.attributes, 'id')
      if (id !== undefined) primaryKey = [indexColumn({ field: field.name, ...indexOptions(id.args) })]
      const unique = attribute(field.attributes, 'unique')
      if (unique !== undefined) indexes.push(index('unique', [{ field: field.name, ...indexOptions(unique.args) }], stringValue(argument(unique.args, 'map'))))
    }
    const blockAttributes = (name: string) => model.attributes.filter((candidate) => candidate.name === name)
    for (const id of blockAttributes('id')) primaryKey = fieldRefs(argument(id.args, 'fields', 0)).map(indexColumn)
    for (const normal of blockAttributes('index')) {
      // `name:` on @@index is a legacy spelling of `map:` (psl keeps accepting it).
      indexes.push(index('normal', fieldRefs(argument(normal.args, 'fields', 0)), stringValue(argument(normal.args, 'map')) ?? stringValue(argument(normal.args, 'name'))))
    }
    for (const unique of blockAttributes('unique')) indexes.push(index('unique', fieldRefs(argument(unique.args, 'fields', 0)), stringValue(argument(unique.args, 'map'))))
    for (const fulltext of blockAttributes('fulltext')) indexes.push(index('fulltext', fieldRefs(argument(fulltext.args, 'fields', 0)), stringValue(argument(fulltext.args, 'map'))))
    return { name: table, columns: fields.map((field) => this.column(field)), primaryKey, indexes, foreignKeys: this.foreignKeys ? this.modelForeignKeys(model, table) : [] }
  }

  private column(field: SchemaField): MysqlColumn {
    const defaultAttribute = attribute(field.attributes, 'default')
    const value = defaultAttribute === undefined ? undefined : argument(defaultAttribute.args, 'value', 0)
    const autoIncrement = value?.kind === 'call' && value.name === 'autoincrement'
    const base = { name: mappedName(field.attributes) ?? field.name, nullable: field.arity === 'optional', autoIncrement, unsupported: field.unsupported !== undefined }
    const dbgenerated = value?.kind === 'call' && value.name === 'dbgenerated' ? stringValue(argument(value.args, 'value', 0)) : undefined
    if (field.unsupported !== undefined) return { ...base, type: field.unsupported, ...(dbgenerated !== undefined ? { default: dbgenerated } : {}) }
    const enumeration = this.enums.get(field.type)
    if (enumeration !== undefined) {
      const dbName = (name: string) => mappedName(enumeration.values.find((candidate) => candidate.name === name)?.attributes ?? []) ?? name
      const type = `ENUM(${enumeration.values.map((candidate) => mysqlString(dbName(candidate.name))).join(', ')})`
      const rendered = value?.kind === 'constant' ? mysqlString(dbName(value.name)) : dbgenerated
      return { ...base, type, ...(rendered !== undefined ? { default: rendered } : {}) }
    }
    const native = nativeTypeOf(field) ?? DEFAULT_NATIVE_TYPES[field.type]
    if (native === undefined) throw new Error(`${field.name} has the type ${field.type}, which MySQL has no column type for`)
    const rendered = this.renderDefault(field, native, value, dbgenerated)
    return { ...base, type: renderNativeType(native.name, native.args, field.type), ...(rendered !== undefined ? { default: rendered } : {}) }
  }

  /** The DEFAULT of a built-in scalar column, as mysql_renderer.rs renders it; none for Json, none for Bytes unless dbgenerated. */
  private renderDefault(field: SchemaField, native: { name: string; args: readonly string[] }, value: SchemaExpression | undefined, dbgenerated: string | undefined): string | undefined {
    if (value === undefined || field.type === 'Json') return undefined
    if (dbgenerated !== undefined) return dbgenerated
    if (field.type === 'Bytes') return undefined
    if (value.kind === 'call') {
      if (value.name !== 'now') return undefined // autoincrement(), dbgenerated(), uuid(), cuid(), ...: nothing in the table
      const precision = ['Time', 'DateTime', 'Timestamp'].includes(native.name) ? native.args[0] : undefined
      return `CURRENT_TIMESTAMP(${precision ?? '3'})`
    }
    if (value.kind === 'number') return value.text
    if (value.kind === 'constant') return value.name // true / false
    if (value.kind !== 'string') return undefined
    if (field.type === 'String') return mysqlString(value.value)
    if (field.type === 'DateTime') return mysqlString(utcWallClock(value.value))
    return value.value // a Decimal written as a string: a number in the table
  }

  private modelForeignKeys(model: SchemaBlock, table: string): MysqlForeignKey[] {
    const keys: MysqlForeignKey[] = []
    for (const field of model.fields) {
      const target = this.models.get(field.type)
      const relation = attribute(field.attributes, 'relation')
      const fields = relation === undefined ? undefined : argument(relation.args, 'fields')
      if (target === undefined || relation === undefined || fields === undefined) continue
      const columns = fieldRefs(fields).map((ref) => this.columnName(model, ref.field))
      const referencedColumns = fieldRefs(argument(relation.args, 'references')).map((ref) => this.columnName(target, ref.field))
      // psl's referential arity: required when any referencing field is, else the relation field's own arity.
      const required = fieldRefs(fields).some((ref) => model.fields.find((candidate) => candidate.name === ref.field)?.arity === 'required') || field.arity === 'required'
      const action = (name: string) => {
        const given = argument(relation.args, name)
        return given?.kind === 'constant' ? ACTIONS[given.name] : undefined
      }
      keys.push({
        name: stringValue(argument(relation.args, 'map')) ?? constraintName(table, columns, '_fkey'),
        columns,
        referencedTable: this.tableName(target),
        referencedColumns,
        onDelete: action('onDelete') ?? (required ? 'RESTRICT' : 'SET NULL'),
        onUpdate: action('onUpdate') ?? 'CASCADE',
      })
    }
    return keys
  }

  /** The relation's name: `@relation("name")`/`@relation(name: ...)`, else Prisma's generated `AToB` (model names in order). */
  private relationName(model: SchemaBlock, field: SchemaField): string {
    const relation = attribute(field.attributes, 'relation')
    const explicit = relation === undefined ? undefined : stringValue(argument(relation.args, 'name', 0))
    if (explicit !== undefined) return explicit
    return model.name < field.type ? `${model.name}To${field.type}` : `${field.type}To${model.name}`
  }

  /** The join tables of the implicit many-to-many relations: both sides are lists and neither has `fields:`. */
  private joinTables(models: readonly SchemaBlock[]): MysqlTable[] {
    const tables = new Map<string, MysqlTable>()
    const isImplicitSide = (field: SchemaField) => field.arity === 'list' && argument(attribute(field.attributes, 'relation')?.args ?? [], 'fields') === undefined
    for (const model of models) {
      for (const field of model.fields) {
        const target = this.models.get(field.type)
        if (target === undefined || !isImplicitSide(field)) continue
        const name = this.relationName(model, field)
        const opposite = target.fields.find((candidate) => candidate !== field && candidate.type === model.name && isImplicitSide(candidate) && this.relationName(target, candidate) === name)
        if (opposite === undefined || tables.has(name)) continue
        const [modelA, modelB] = model.name < target.name ? [model, target] : [target, model]
        tables.set(name, this.joinTable(name, modelA, modelB))
      }
    }
    return [...tables.values()]
  }

  /** Prisma's `_name` table: columns A and B typed as each model's first key column, a unique (A, B), an index on B, cascading foreign keys. */
  private joinTable(relationName: string, modelA: SchemaBlock, modelB: SchemaBlock): MysqlTable {
    const table = [...`_${relationName}`].slice(0, MYSQL_MAX_IDENTIFIER_LENGTH).join('')
    const keyColumn = (model: SchemaBlock) => {
      const own = this.modelTable(model)
      const column = own.columns.find((candidate) => candidate.name === own.primaryKey[0]?.name)
      if (column === undefined) throw new Error(`${model.name} has no primary key for its many-to-many relation ${relationName}`)
      return { table: own.name, column }
    }
    const a = keyColumn(modelA)
    const b = keyColumn(modelB)
    const column = (name: string, type: string): MysqlColumn => ({ name, type, nullable: false, autoIncrement: false, unsupported: false })
    const maxTableLength = MYSQL_MAX_IDENTIFIER_LENGTH - '_fkey'.length - 2
    const fkPrefix = table.length > maxTableLength ? table.slice(0, maxTableLength) : table
    const foreignKey = (name: string, columnName: string, target: { table: string; column: MysqlColumn }): MysqlForeignKey => ({
      name,
      columns: [columnName],
      referencedTable: target.table,
      referencedColumns: [target.column.name],
      onDelete: 'CASCADE',
      onUpdate: 'CASCADE',
    })
    return {
      name: table,
      columns: [column('A', a.column.type), column('B', b.column.type)],
      primaryKey: [],
      indexes: [
        { name: `${[...table].slice(0, MYSQL_MAX_IDENTIFIER_LENGTH - '_AB_unique'.length).join('')}_AB_unique`, kind: 'unique', columns: [{ name: 'A' }, { name: 'B' }] },
        { name: `${[...table].slice(0, MYSQL_MAX_IDENTIFIER_LENGTH - 8).join('')}_B_index`, kind: 'normal', columns: [{ name: 'B' }] },
      ],
      foreignKeys: this.foreignKeys ? [foreignKey(`${fkPrefix}_A_fkey`, 'A', a), foreignKey(`${fkPrefix}_B_fkey`, 'B', b)] : [],
    }
  }
}
