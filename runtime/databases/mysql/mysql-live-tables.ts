/** The tables a MySQL database already has (from information_schema), and how those the schema declares differ from what createAll() would create. */
import type { MysqlTable } from './mysql-tables.js'

/** Runs one statement with `?` parameters and returns its rows as objects. */
export type MysqlQuery = (sqlText: string, params?: readonly unknown[]) => Promise<Record<string, unknown>[]>

/** A column as the database reports it. */
interface LiveColumn {
  readonly name: string
  /** `COLUMN_TYPE`: `int(11)`, `varchar(191)`, `enum('a','b')`. */
  readonly type: string
  readonly nullable: boolean
  readonly autoIncrement: boolean
}

/** An index (the primary key is the one named `PRIMARY`). */
interface LiveIndex {
  readonly name: string
  readonly unique: boolean
  readonly fulltext: boolean
  /** `col`, `col(10)`, `col DESC`, as {@link indexColumnText} writes them. */
  readonly columns: string[]
}

/** A foreign key. */
interface LiveForeignKey {
  readonly name: string
  readonly columns: string[]
  readonly referencedTable: string
  readonly referencedColumns: string[]
  readonly onDelete: string
  readonly onUpdate: string
}

/** One existing table. */
export interface LiveTable {
  readonly name: string
  readonly columns: LiveColumn[]
  readonly indexes: LiveIndex[]
  readonly foreignKeys: LiveForeignKey[]
}

/** @internal A comparable index column: name, prefix length, `DESC` (ascending is the default on both sides). */
function indexColumnText(name: string, length: number | undefined, descending: boolean): string {
  return `${name}${length !== undefined ? `(${length})` : ''}${descending ? ' DESC' : ''}`
}

/** @internal The value of a row's column whatever case the server gives its name in (MySQL 8 upper-cases information_schema columns). */
function field(row: Record<string, unknown>, name: string): unknown {
  return row[name] ?? row[name.toUpperCase()] ?? row[name.toLowerCase()]
}

/** @internal A row's text field. */
function text(row: Record<string, unknown>, name: string): string {
  const value = field(row, name)
  return value === null || value === undefined ? '' : String(value)
}

/** @internal `table` in `tables`, created on first use. */
function tableOf(tables: Map<string, LiveTable>, name: string): LiveTable {
  let table = tables.get(name)
  if (table === undefined) {
    table = { name, columns: [], indexes: [], foreignKeys: [] }
    tables.set(name, table)
  }
  return table
}

/** The base tables of the connection's current database (views excluded), with their columns, indexes and foreign keys. */
export async function liveTables(query: MysqlQuery): Promise<Map<string, LiveTable>> {
  const tables = new Map<string, LiveTable>()
  for (const row of await query("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'")) {
    tableOf(tables, text(row, 'name'))
  }
  const columns = await query(
    'SELECT TABLE_NAME AS tableName, COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, EXTRA AS extra FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION',
  )
  for (const row of columns) {
    tables.get(text(row, 'tableName'))?.columns.push({
      name: text(row, 'name'),
      type: text(row, 'type'),
      nullable: text(row, 'nullable') === 'YES',
      autoIncrement: /auto_increment/i.test(text(row, 'extra')),
    })
  }
  const indexColumns = await query(
    'SELECT TABLE_NAME AS tableName, INDEX_NAME AS name, NON_UNIQUE AS nonUnique, INDEX_TYPE AS indexType, COLUMN_NAME AS columnName, SUB_PART AS subPart, COLLATION AS collation ' +
      'FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX',
  )
  for (const row of indexColumns) {
    const table = tables.get(text(row, 'tableName'))
    if (table === undefined) continue
    const name = text(row, 'name')
    let index = table.indexes.find((candidate) => candidate.name === name)
    if (index === undefined) {
      index = { name, unique: Number(field(row, 'nonUnique')) === 0, fulltext: text(row, 'indexType') === 'FULLTEXT', columns: [] }
      table.indexes.push(index)
    }
    const subPart = field(row, 'subPart')
    index.columns.push(indexColumnText(text(row, 'columnName'), subPart === null || subPart === undefined ? undefined : Number(subPart), text(row, 'collation') === 'D'))
  }
  const keyColumns = await query(
    'SELECT k.TABLE_NAME AS tableName, k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS columnName, k.REFERENCED_TABLE_NAME AS referencedTable, k.REFERENCED_COLUMN_NAME AS referencedColumn, ' +
      'r.DELETE_RULE AS onDelete, r.UPDATE_RULE AS onUpdate FROM information_schema.KEY_COLUMN_USAGE AS k ' +
      'JOIN information_schema.REFERENTIAL_CONSTRAINTS AS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME ' +
      'WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION',
  )
  for (const row of keyColumns) {
    const table = tables.get(text(row, 'tableName'))
    if (table === undefined) continue
    const name = text(row, 'name')
    let key = table.foreignKeys.find((candidate) => candidate.name === name)
    if (key === undefined) {
      key = { name, columns: [], referencedTable: text(row, 'referencedTable'), referencedColumns: [], onDelete: text(row, 'onDelete'), onUpdate: text(row, 'onUpdate') }
      table.foreignKeys.push(key)
    }
    key.columns.push(text(row, 'columnName'))
    key.referencedColumns.push(text(row, 'referencedColumn'))
  }
  return tables
}

/** @internal Integer types whose display width MySQL 8 drops and MariaDB prints (`int(11)`); `tinyint(1)` is how both print BOOLEAN. */
const DISPLAY_WIDTH = /^(tinyint|smallint|mediumint|int|bigint)\((\d+)\)/

/**
 * A column type in one spelling for both sides: lower case, integer display widths dropped (except
 * `tinyint(1)`), no spaces after commas, Prisma's spellings (`INTEGER`, `BOOLEAN`, `DECIMAL` without
 * arguments) as the server reports them.
 */
function normalizedType(type: string): string {
  const lower = type.toLowerCase().trim().replace(/\s+/g, ' ').replace(/,\s*/g, ',')
  const spelled = lower.replace(/^integer\b/, 'int').replace(/^boolean$/, 'tinyint(1)').replace(/^decimal$/, 'decimal(10,0)').replace(/^year\(4\)$/, 'year')
  return spelled.replace(DISPLAY_WIDTH, (whole, base: string, width: string) => (base === 'tinyint' && width === '1' ? whole : base))
}

/** @internal Whether an expected type (Prisma's rendering) and a live one (COLUMN_TYPE) are the same; MariaDB stores JSON as LONGTEXT. */
function sameType(expected: string, live: string): boolean {
  const want = normalizedType(expected)
  const have = normalizedType(live)
  return want === have || (want === 'json' && have === 'longtext')
}

/** @internal A column as the messages print it. */
function describeColumn(type: string, nullable: boolean, autoIncrement: boolean): string {
  return `${type}${nullable ? ' NULL' : ' NOT NULL'}${autoIncrement ? ' AUTO_INCREMENT' : ''}`
}

/**
 * How an existing table differs from the table createAll() would create, one sentence per difference;
 * empty when it matches. Compared: the columns (names, types, nullability, auto-increment), the primary
 * key, the indexes (names, kinds, columns, prefix lengths, order) and the foreign keys (names, columns,
 * referenced table and columns, actions). Not compared: defaults, character sets and collations. An
 * index the server added for a foreign key (named after it, on its columns) is not a difference.
 */
export function tableDifferences(expected: MysqlTable, live: LiveTable): string[] {
  const differences: string[] = []
  const where = `table \`${expected.name}\``
  for (const column of expected.columns) {
    const found = live.columns.find((candidate) => candidate.name === column.name)
    if (found === undefined) {
      differences.push(`${where}: column \`${column.name}\` is missing`)
      continue
    }
    const typeDiffers = !column.unsupported && !sameType(column.type, found.type)
    if (typeDiffers || found.nullable !== column.nullable || found.autoIncrement !== column.autoIncrement) {
      differences.push(
        `${where}: column \`${column.name}\` is ${describeColumn(column.type, column.nullable, column.autoIncrement)} in the schema but ${describeColumn(found.type, found.nullable, found.autoIncrement)} in the database`,
      )
    }
  }
  for (const column of live.columns) {
    if (!expected.columns.some((candidate) => candidate.name === column.name)) differences.push(`${where}: column \`${column.name}\` is not in the schema`)
  }
  const wantedIndexes = [
    ...(expected.primaryKey.length > 0 ? [{ name: 'PRIMARY', unique: true, fulltext: false, columns: expected.primaryKey }] : []),
    ...expected.indexes.map((index) => ({ name: index.name, unique: index.kind === 'unique', fulltext: index.kind === 'fulltext', columns: index.columns })),
  ].map((index) => ({ ...index, columns: index.columns.map((column) => indexColumnText(column.name, column.length, column.sort === 'DESC')) }))
  const label = (name: string) => (name === 'PRIMARY' ? 'the primary key' : `index \`${name}\``)
  const shape = (index: { unique: boolean; fulltext: boolean; columns: readonly string[] }) => `${index.fulltext ? 'FULLTEXT' : index.unique ? 'UNIQUE' : 'INDEX'} (${index.columns.join(', ')})`
  for (const index of wantedIndexes) {
    const found = live.indexes.find((candidate) => candidate.name === index.name)
    if (found === undefined) differences.push(`${where}: ${label(index.name)} is missing`)
    else if (shape(found) !== shape(index)) differences.push(`${where}: ${label(index.name)} is ${shape(index)} in the schema but ${shape(found)} in the database`)
  }
  for (const index of live.indexes) {
    if (wantedIndexes.some((candidate) => candidate.name === index.name)) continue
    const backsForeignKey = live.foreignKeys.some((key) => key.name === index.name && key.columns.join() === index.columns.join())
    if (!backsForeignKey) differences.push(`${where}: ${label(index.name)} is not in the schema`)
  }
  const keyShape = (key: { columns: readonly string[]; referencedTable: string; referencedColumns: readonly string[]; onDelete: string; onUpdate: string }) =>
    `(${key.columns.join(', ')}) REFERENCES ${key.referencedTable}(${key.referencedColumns.join(', ')}) ON DELETE ${key.onDelete} ON UPDATE ${key.onUpdate}`
  for (const key of expected.foreignKeys) {
    const found = live.foreignKeys.find((candidate) => candidate.name === key.name)
    if (found === undefined) differences.push(`${where}: foreign key \`${key.name}\` is missing`)
    else if (keyShape(found) !== keyShape(key)) differences.push(`${where}: foreign key \`${key.name}\` is ${keyShape(key)} in the schema but ${keyShape(found)} in the database`)
  }
  for (const key of live.foreignKeys) {
    if (!expected.foreignKeys.some((candidate) => candidate.name === key.name)) differences.push(`${where}: foreign key \`${key.name}\` is not in the schema`)
  }
  return differences
}
