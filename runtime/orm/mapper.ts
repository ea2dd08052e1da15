/** Mapper: a model class joined to its table, columns, primary key and relationships, with row hydration helpers. */
import { Decimal } from 'decimal.js'
import type { Decoder, Dialect } from '../dialect/dialect.js'
import { InvalidRequestError, UnmappedError } from '../errors.js'
import type { CompiledQuery } from '../sql/compiled-query.js'
import type { DefaultCompiler } from '../sql/compiler.js'
import { sql, type ColumnNode, type ColumnType, type ConditionNode, type OrderByNode, type ScalarType, type SelectNode, type TableNode } from '../sql/nodes.js'
import { columnType, constantDefaultOf, readCast } from './column-type.js'
import { identityKey, keyPartEncoder, type KeyPart, type KeyPartEncoder } from './identity-key.js'
import type { ColumnDefinition, ModelDefinition, RelationshipDefinition } from './metadata.js'
import { compileRowReader, type RowReader } from './row-reader.js'

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Value equality of a column's values, used to skip UPDATEs of unchanged values. Lists compare element
 * by element: like SQLAlchemy's (non-mutable) ARRAY, a list is a value, so a change is seen when a new
 * list is assigned, not when the list in memory is changed in place (`push`).
 */
function equalsFor(type: ColumnType): (a: unknown, b: unknown) => boolean {
  if (typeof type === 'string') return scalarEquals(type)
  const element = scalarEquals(type.scalar)
  if (!type.list) return element
  return (a, b) =>
    a === b || (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => (item === null || b[i] === null ? item === b[i] : element(item, b[i]))))
}

/** Value equality per scalar kind. */
function scalarEquals(type: ScalarType): (a: unknown, b: unknown) => boolean {
  switch (type) {
    case 'DateTime':
      return (a, b) => a === b || (a instanceof Date && b instanceof Date && a.getTime() === b.getTime())
    case 'Decimal':
      return (a, b) => a === b || (a != null && b != null && new Decimal(a as Decimal.Value).equals(b as Decimal.Value))
    case 'Bytes':
      return (a, b) => a === b || (a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b))
    case 'Json':
      return (a, b) => a === b || JSON.stringify(a) === JSON.stringify(b)
    default:
      return (a, b) => a === b
  }
}

/**
 * Wraps an enum column's decoder so that equal values share one string: the objects of a load then
 * hold an enum's few strings instead of a copy per row (24 bytes or more each, kept while the session
 * keeps the objects). Remembers at most 256 distinct values.
 */
function sharingStrings(decode: Decoder): Decoder {
  const shared = new Map<string, string>()
  return (raw) => {
    const value = decode(raw)
    if (typeof value !== 'string') return value
    const known = shared.get(value)
    if (known !== undefined) return known
    if (shared.size < 256) shared.set(value, value)
    return value
  }
}

/** Decimal text that decimal.js always accepts: optional sign, digits with at most one point, optional exponent. */
const NUMERIC_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i

/** A mapped column. */
export class ColumnInfo {
  /** Position in the mapper's column list (and in rows selected by `selectColumns`). */
  readonly index: number
  readonly name: string
  readonly column: string
  /** How values are bound and read: the scalar kind, or a `ValueType` for lists, some native types and mapped enums. */
  readonly type: ColumnType
  /** The scalar kind (of each element, for a list). */
  readonly scalar: ScalarType
  /** True for a scalar list (a PostgreSQL array). */
  readonly list: boolean
  readonly nullable: boolean
  /** The column's definition, as generated code gave it. */
  readonly definition: ColumnDefinition
  /** The value of the column's constant default (a list's empty one when it has none), fresh on each call; undefined without one. */
  readonly constantDefault: (() => unknown) | undefined
  /** The column node used in statements. */
  readonly node: ColumnNode
  /** True when the database assigns the value (autoincrement, dbgenerated) and INSERTs read it back. */
  readonly serverGenerated: boolean
  /** Compares two values of this column. */
  readonly equals: (a: unknown, b: unknown) => boolean
  /** This column's value as part of an identity key (see `identity-key.ts`). */
  readonly encodeKeyPart: KeyPartEncoder
  /**
   * This column's bit in an object's mask of values still held as read from the database (see
   * `InstanceState.value`): DateTime and Decimal columns (among the first 31, not lists) are decoded
   * at their first read, which spares a load the `Date` or `Decimal` of every value nobody reads; 0
   * for columns decoded as their row is read. Only cells whose decoding cannot fail are left raw
   * ({@link leavesRaw}): a bad cell still fails the query, never a later read, rollback or close.
   */
  readonly decodeLaterBit: number

  constructor(definition: ColumnDefinition, index: number) {
    this.index = index
    this.type = columnType(definition)
    this.definition = definition
    this.constantDefault = constantDefaultOf(definition, this.type)
    this.name = definition.name
    this.column = definition.column
    this.scalar = definition.type
    this.list = definition.list === true
    this.nullable = definition.nullable
    const cast = readCast(definition)
    this.node = cast === undefined ? sql.column(definition.column) : sql.castColumn(definition.column, cast)
    const kind = definition.default?.kind
    this.serverGenerated = kind === 'autoincrement' || kind === 'dbgenerated'
    this.equals = equalsFor(this.type)
    this.encodeKeyPart = keyPartEncoder(definition.type)
    this.decodeLaterBit = index < 31 && !this.list && (this.scalar === 'DateTime' || this.scalar === 'Decimal') ? 1 << index : 0
  }

  /**
   * True when a load keeps `raw`, a cell of this column, as read (see {@link decodeLaterBit}): not
   * null, and certain to decode: any DateTime cell (an unreadable one decodes to an invalid Date, as
   * it would at once), a Decimal cell that is a number or plain numeric text.
   */
  leavesRaw(raw: unknown): boolean {
    if (this.decodeLaterBit === 0 || raw === null) return false
    if (this.scalar === 'DateTime') return true
    return typeof raw === 'number' || typeof raw === 'bigint' || (typeof raw === 'string' && NUMERIC_TEXT.test(raw))
  }
}

/** A relationship resolved against its target mapper. */
export interface Relationship extends RelationshipDefinition {
  /** The mapper declaring the relationship. */
  readonly parent: Mapper
  /** The related mapper. */
  readonly mapper: Mapper
  /** Local columns, resolved. */
  readonly local: readonly ColumnInfo[]
  /** Remote columns, resolved. */
  readonly remote: readonly ColumnInfo[]
  /** True when the remote columns are exactly the target's primary key, in any order (identity-map lookups work). */
  readonly remoteIsPrimaryKey: boolean
  /** The local columns in the order of the target's primary key, for identity-map lookups (the same as `local` otherwise). */
  readonly localInKeyOrder: readonly ColumnInfo[]
  /**
   * The declared order of a collection (`orderBy`) as ORDER BY items on the target's unqualified
   * columns; empty when none. Loaders qualify them with their own table alias.
   */
  readonly order: readonly OrderByNode[]
  /** For an implicit many-to-many: the join table's name and its two columns as nodes. */
  readonly secondaryNodes?: { readonly table: TableNode; readonly local: ColumnNode; readonly remote: ColumnNode }
}

/** The relationship on the other side of `relationship` (its `backPopulates`), if declared. */
export function backReferenceOf(relationship: Relationship): Relationship | undefined {
  return relationship.backPopulates === undefined ? undefined : relationship.mapper.relationships.get(relationship.backPopulates)
}

/** A class a mapper maps: a generated model class (`ModelClass` in model.ts), seen from below it. */
export type MappedClass = abstract new (...args: never[]) => object

/** What `Mapper.insertQuery` builds besides the VALUES, and whether it caches the SQL. */
export interface InsertQueryOptions {
  /** Columns read back with RETURNING (none by default). */
  readonly returning?: readonly ColumnInfo[]
  /** Read the generated key back as the driver's last insert id (databases without RETURNING). */
  readonly readInsertId?: boolean
  /** Compile once per shape and reuse the SQL. */
  readonly cache: boolean
}

/**
 * The mapping of one model class. Built by {@link defineModels} from generated metadata.
 */
export class Mapper {
  readonly name: string
  readonly table: string
  readonly modelClass: MappedClass
  readonly columns: readonly ColumnInfo[]
  readonly primaryKey: readonly ColumnInfo[]
  /** The bind key of the database holding the table (`/// @bind(key)`); null for the default database. */
  readonly bindKey: string | null
  /** The table node used in statements. */
  readonly tableNode: TableNode
  /** Every column, in order: the selection of entity queries. */
  readonly selectColumns: readonly ColumnNode[]
  /** True when a column holds BigInt, so reads must keep 64-bit integers exact. */
  readonly hasBigInt: boolean
  /** Relationships by property name; filled in once every mapper exists. */
  readonly relationships = new Map<string, Relationship>()
  /** Names of to-one relationships fed by each foreign-key column. */
  readonly relationshipsByForeignKey = new Map<string, string[]>()
  /** Position in the registry's INSERT order (referenced tables first). @internal */
  insertRank = 0
  /**
   * Nullable foreign keys to a table later in the INSERT order, where a cycle between tables was broken
   * (see `unit-of-work/commit-order.ts`): written by an UPDATE after the INSERTs, set to NULL before deleting the row they point at. @internal
   */
  postUpdates: readonly Relationship[] = []
  private readonly columnsByName: Map<string, ColumnInfo>
  /**
   * Constructs an object of the model class without running its constructor (a loaded or merged
   * object, whose state the caller sets); installed by `instrument()`. @internal
   */
  BlankObject!: new () => object
  private readonly decoderCache = new Map<Dialect, readonly Decoder[]>()
  /** The {@link RowReader} of each decoders array {@link decoders} handed out. */
  private readonly rowReaders = new WeakMap<readonly Decoder[], RowReader>()
  private readonly queryCache = new Map<Dialect, Map<string, CompiledQuery>>()

  constructor(
    readonly definition: ModelDefinition,
    modelClass: MappedClass,
  ) {
    this.name = definition.name
    this.table = definition.table
    this.modelClass = modelClass
    this.columns = definition.columns.map((column, index) => new ColumnInfo(column, index))
    this.columnsByName = new Map(this.columns.map((column) => [column.name, column]))
    this.primaryKey = definition.primaryKey.map((name) => this.column(name))
    this.bindKey = definition.bind ?? null
    this.tableNode = sql.table(definition.table)
    this.selectColumns = this.columns.map((column) => column.node)
    this.hasBigInt = this.columns.some((column) => column.type === 'BigInt')
  }

  /** The column called `name` (a property name). */
  column(name: string): ColumnInfo {
    const column = this.columnsByName.get(name)
    if (column === undefined) throw UnmappedError.column(this.name, name)
    return column
  }

  /** The column called `name`, or undefined. */
  findColumn(name: string): ColumnInfo | undefined {
    return this.columnsByName.get(name)
  }

  /** A statement compiled once per dialect and kept, e.g. the select by primary key. @internal */
  cachedQuery(dialect: Dialect, name: string, compile: () => CompiledQuery): CompiledQuery {
    let byName = this.queryCache.get(dialect)
    if (byName === undefined) {
      byName = new Map()
      this.queryCache.set(dialect, byName)
    }
    let query = byName.get(name)
    if (query === undefined) {
      query = compile()
      byName.set(name, query)
    }
    return query
  }

  /** Decoders for a row of `selectColumns`, per dialect. */
  decoders(dialect: Dialect): readonly Decoder[] {
    let decoders = this.decoderCache.get(dialect)
    if (decoders === undefined) {
      decoders = this.columns.map((column) => {
        const decoder = dialect.decoder(column.type)
        return column.scalar === 'Enum' && !column.list ? sharingStrings(decoder) : decoder
      })
      this.decoderCache.set(dialect, decoders)
    }
    return decoders
  }

  /** The reader that builds a loaded object's column values from its row with `decoders` (one of {@link decoders}' arrays), compiled once. */
  rowReader(decoders: readonly Decoder[]): RowReader {
    let reader = this.rowReaders.get(decoders)
    if (reader === undefined) {
      reader = compileRowReader(this.columns, decoders)
      this.rowReaders.set(decoders, reader)
    }
    return reader
  }

  /** The identity key of primary-key values, encoded by column type (see `identity-key.ts`). */
  identityKey(values: readonly unknown[]): KeyPart {
    return identityKey(this.primaryKey, values)
  }

  /** The identity key from a dict of column values; undefined when a primary-key column is unset. */
  identityKeyOf(dict: Record<string, unknown>): KeyPart | undefined {
    const pk = this.primaryKey
    if (pk.length === 1) {
      const value = dict[pk[0].name]
      return value === undefined || value === null ? undefined : pk[0].encodeKeyPart(value)
    }
    const values: unknown[] = []
    for (const column of pk) {
      const value = dict[column.name]
      if (value === undefined || value === null) return undefined
      values.push(value)
    }
    return this.identityKey(values)
  }

  /**
   * The primary-key values of `key` as `session.get()` takes it: the value itself for a one-column
   * key, an object of key fields for a composite one.
   */
  primaryKeyValues(key: unknown): unknown[] {
    const pk = this.primaryKey
    if (pk.length === 1 && (key === null || typeof key !== 'object' || key instanceof Date)) return [key]
    if (key === null || typeof key !== 'object') {
      throw InvalidRequestError.compositeKeyExpected(this.name, pk.map((c) => c.name))
    }
    return pk.map((column) => {
      const value = (key as Record<string, unknown>)[column.name]
      if (value === undefined) throw InvalidRequestError.keyColumnMissing(this.name, column.name)
      return value
    })
  }

  /** `SELECT <every column> WHERE <pk> = ?` for `values`: compiled once per dialect, only the parameters change. */
  primaryKeyQuery(compiler: DefaultCompiler, dialect: Dialect, values: readonly unknown[]): CompiledQuery {
    const template = this.cachedQuery(dialect, 'select-by-pk', () => ({ ...compiler.compile(this.selectWhere(this.primaryKeyCondition(values)), this.hasBigInt), atMostOneRow: true }))
    const parameters = this.primaryKey.map((column, i) => (values[i] === null ? null : dialect.encode(values[i], column.type)))
    return { ...template, parameters }
  }

  /**
   * `INSERT INTO <table> (<columns>) VALUES (...), ... [RETURNING <returning>]` for `rows` (each the
   * values of `columns`, in order), reading back the generated key when `readInsertId`. With `cache`,
   * the SQL is compiled once per dialect, column set, row count, RETURNING list and result, and only
   * the parameters are encoded (the flush caches one row and full batches, whose counts repeat);
   * otherwise it is compiled for these rows alone.
   */
  insertQuery(compiler: DefaultCompiler, dialect: Dialect, columns: readonly ColumnInfo[], rows: readonly (readonly unknown[])[], options: InsertQueryOptions): CompiledQuery {
    const { returning = [], readInsertId = false, cache } = options
    const compile = () =>
      compiler.compile(
        {
          kind: 'insert',
          into: this.tableNode,
          columns: columns.map((column) => column.node),
          rows: rows.map((row) => columns.map((column, i) => sql.value(row[i], column.type))),
          returning: returning.length > 0 ? returning.map((column) => column.node) : undefined,
          ...(readInsertId ? { readInsertId: true } : {}),
        },
        returning.some((column) => column.type === 'BigInt'),
      )
    if (!cache) return compile()
    const key = `insert:${columns.map((column) => column.index).join(',')}:${rows.length}:${returning.map((column) => column.index).join(',')}:${readInsertId ? 'id' : ''}`
    const template = this.cachedQuery(dialect, key, compile)
    const parameters: unknown[] = new Array(rows.length * columns.length)
    let p = 0
    for (const row of rows) {
      for (let i = 0; i < columns.length; i++) {
        const value = row[i]
        parameters[p++] = value === null ? null : dialect.encode(value, columns[i].type)
      }
    }
    return { ...template, parameters }
  }

  /** `SELECT <every column> FROM <table> WHERE <condition>`: the statement that loads objects of this model. */
  selectWhere(where: ConditionNode): SelectNode {
    return { kind: 'select', from: this.tableNode, selection: { kind: 'columns', columns: this.selectColumns }, where }
  }

  /** `pk1 = ? AND pk2 = ?` for the given primary-key values. */
  primaryKeyCondition(values: readonly unknown[]): ConditionNode {
    return sql.and(this.primaryKey.map((column, i) => sql.binary(column.node, '=', sql.value(values[i], column.type))))
  }

  /** Resolves relationship definitions once every mapper of the registry exists. @internal */
  resolveRelationships(byName: ReadonlyMap<string, Mapper>): void {
    for (const definition of this.definition.relationships) {
      const target = byName.get(definition.target)
      if (target === undefined) throw UnmappedError.column(this.name, `${definition.name} -> ${definition.target}`)
      const remote = definition.remoteColumns.map((name) => target.column(name))
      const local = definition.localColumns.map((name) => this.column(name))
      const keyPositions = target.primaryKey.map((column) => remote.indexOf(column))
      const coversKey = remote.length === target.primaryKey.length && keyPositions.every((position) => position >= 0)
      const relationship: Relationship = {
        ...definition,
        parent: this,
        mapper: target,
        local,
        remote,
        localInKeyOrder: coversKey ? keyPositions.map((position) => local[position]) : local,
        order: (definition.orderBy ?? []).map((item) => sql.orderBy(target.column(item.field).node, item.direction)),
        ...(definition.secondary
          ? {
              secondaryNodes: {
                table: sql.table(definition.secondary.table, 's'),
                local: sql.column(definition.secondary.localColumn, 's'),
                remote: sql.column(definition.secondary.remoteColumn, 's'),
              },
            }
          : {}),
        remoteIsPrimaryKey: coversKey,
      }
      this.relationships.set(definition.name, relationship)
      if (definition.ownsForeignKey) {
        for (const column of definition.localColumns) {
          const list = this.relationshipsByForeignKey.get(column) ?? []
          list.push(definition.name)
          this.relationshipsByForeignKey.set(column, list)
        }
      }
    }
  }
}
