/** Prisma's MySQL DDL for the tables of mysql-tables.ts, statement by statement, in the text prisma-engines' mysql renderer writes. */
import type { MysqlColumn, MysqlForeignKey, MysqlIndex, MysqlIndexColumn, MysqlTable } from './mysql-tables.js'

/** The renderer's indentation. */
const INDENT = '    '

/** A backtick-quoted identifier (a backtick inside is doubled). */
export function mysqlIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``
}

/** @internal `` `col`(length) DESC ``. */
function indexColumn(column: MysqlIndexColumn): string {
  return `${mysqlIdentifier(column.name)}${column.length !== undefined ? `(${column.length})` : ''}${column.sort !== undefined ? ` ${column.sort}` : ''}`
}

/** @internal `` `name` TYPE NOT NULL AUTO_INCREMENT DEFAULT x ``. */
function columnClause(column: MysqlColumn): string {
  const nullability = column.nullable ? ' NULL' : ' NOT NULL'
  return `${mysqlIdentifier(column.name)} ${column.type}${nullability}${column.autoIncrement ? ' AUTO_INCREMENT' : ''}${column.default !== undefined ? ` DEFAULT ${column.default}` : ''}`
}

/** @internal `` UNIQUE INDEX `name`(`a`, `b`) ``. */
function indexClause(index: MysqlIndex): string {
  const kind = index.kind === 'unique' ? 'UNIQUE ' : index.kind === 'fulltext' ? 'FULLTEXT ' : ''
  return `${kind}INDEX ${mysqlIdentifier(index.name)}(${index.columns.map(indexColumn).join(', ')})`
}

/** @internal `CREATE TABLE` with the columns, indexes and primary key inside, in utf8mb4 with `utf8mb4_unicode_ci`. */
function createTable(table: MysqlTable): string {
  const columns = table.columns.map((column) => INDENT + columnClause(column))
  const constraints = [...table.indexes.map((index) => INDENT + indexClause(index))]
  if (table.primaryKey.length > 0) constraints.push(`${INDENT}PRIMARY KEY (${table.primaryKey.map(indexColumn).join(', ')})`)
  const body = constraints.length > 0 ? `${columns.join(',\n')},\n\n${constraints.join(',\n')}` : columns.join(',\n')
  return `CREATE TABLE ${mysqlIdentifier(table.name)} (\n${body}\n) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`
}

/** @internal `ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY ... REFERENCES ... ON DELETE ... ON UPDATE ...`. */
function addForeignKey(table: string, key: MysqlForeignKey): string {
  const columns = key.columns.map(mysqlIdentifier).join(', ')
  const referenced = key.referencedColumns.map(mysqlIdentifier).join(', ')
  return (
    `ALTER TABLE ${mysqlIdentifier(table)} ADD CONSTRAINT ${mysqlIdentifier(key.name)} FOREIGN KEY (${columns}) ` +
    `REFERENCES ${mysqlIdentifier(key.referencedTable)}(${referenced}) ON DELETE ${key.onDelete} ON UPDATE ${key.onUpdate}`
  )
}

/** `ALTER TABLE ... DROP FOREIGN KEY ...`. */
export function dropForeignKey(table: string, name: string): string {
  return `ALTER TABLE ${mysqlIdentifier(table)} DROP FOREIGN KEY ${mysqlIdentifier(name)}`
}

/** `DROP TABLE ...`. */
export function dropTable(table: string): string {
  return `DROP TABLE ${mysqlIdentifier(table)}`
}

/** The statements that create `tables` on a database that has none of them: every CREATE TABLE, then every foreign key (Prisma's order). */
export function createScript(tables: readonly MysqlTable[]): string[] {
  return [...tables.map(createTable), ...tables.flatMap((table) => table.foreignKeys.map((key) => addForeignKey(table.name, key)))]
}
