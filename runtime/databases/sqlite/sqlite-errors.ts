/** Maps better-sqlite3's errors onto the runtime's named error classes. */
import { existsSync } from 'node:fs'
import path from 'node:path'
import {
  DatabaseError,
  DatabaseLockedError,
  DatabaseUnavailableError,
  ForeignKeyViolationError,
  NotNullViolationError,
  OrmError,
  SchemaMismatchError,
  UniqueViolationError,
} from '../../errors.js'

/** Splits SQLite's `Table.column, Table.other` into the table and the column list. */
function parseColumns(list: string): { table: string | undefined; columns: string[] } {
  const qualified = list.split(',').map((part) => part.trim()).filter(Boolean)
  const table = qualified[0]?.includes('.') ? qualified[0].split('.')[0] : undefined
  return { table, columns: qualified.map((part) => part.slice(part.indexOf('.') + 1)) }
}

/** An identifier as SQLite's messages print it: bare, or quoted when the statement quoted it. */
function unquote(name: string): string {
  return /^(["`[]).*["`\]]$/.test(name) ? name.slice(1, -1) : name
}

/**
 * SQLite's messages for a table or column the statement names and the database lacks: `no such table: [schema.]T`,
 * `no such column: [T.]c`, and INSERT's `table T has no column named c`.
 */
function schemaMismatch(message: string, cause: unknown, sql: string | undefined): SchemaMismatchError | undefined {
  const table = /^no such table: (.+)$/.exec(message)
  if (table !== null) return SchemaMismatchError.missingTable(unquote(table[1].replace(/^(main|temp)\./, '')), cause, sql)
  const insertColumn = /^table (.+) has no column named (.+)$/.exec(message)
  if (insertColumn !== null) return SchemaMismatchError.missingColumn(unquote(insertColumn[2]), unquote(insertColumn[1]), cause, sql)
  // SQLite adds a hint to a double-quoted name it cannot resolve: `no such column: "c" - should this be a string literal in single-quotes?`
  const column = /^no such column: (.+?)(?: - should this be a string literal in single-quotes\?)?$/.exec(message)
  if (column === null) return undefined
  const dot = column[1].lastIndexOf('.')
  return dot < 0
    ? SchemaMismatchError.missingColumn(unquote(column[1]), undefined, cause, sql)
    : SchemaMismatchError.missingColumn(unquote(column[1].slice(dot + 1)), unquote(column[1].slice(0, dot)), cause, sql)
}

/** Turns whatever better-sqlite3 threw into an {@link OrmError}. */
export function mapSqliteError(error: unknown, sql?: string): OrmError {
  if (error instanceof OrmError) return error
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : ''
  const message = error instanceof Error ? error.message : String(error)
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const { table, columns } = parseColumns(message.replace(/^UNIQUE constraint failed:\s*/, ''))
    return UniqueViolationError.of(columns.join(', '), table, error, sql, columns)
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return ForeignKeyViolationError.of(undefined, error, sql)
  if (code === 'SQLITE_CONSTRAINT_NOTNULL') {
    return NotNullViolationError.of(message.replace(/^NOT NULL constraint failed:\s*/, ''), error, sql)
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return DatabaseLockedError.of(error, sql)
  if (code === 'SQLITE_ERROR') return schemaMismatch(message, error, sql) ?? DatabaseError.fromDriver(error, sql)
  return DatabaseError.fromDriver(error, sql)
}

/**
 * Turns what opening `filename` threw into an {@link OrmError}: a missing folder (better-sqlite3 says
 * only that "the directory does not exist") or a file SQLite cannot open become
 * {@link DatabaseUnavailableError}s that name the path.
 */
export function mapSqliteOpenError(error: unknown, filename: string): OrmError {
  const folder = path.dirname(filename)
  if (!existsSync(folder)) return DatabaseUnavailableError.folderMissing(filename, folder, error)
  if ((error as { code?: unknown } | null)?.code === 'SQLITE_CANTOPEN') return DatabaseUnavailableError.cannotOpen(filename, folder, error)
  return mapSqliteError(error)
}
