/** Maps better-sqlite3's errors onto the runtime's named error classes. */
import {
  DatabaseError,
  DatabaseLockedError,
  ForeignKeyViolationError,
  NotNullViolationError,
  OrmError,
  UniqueViolationError,
} from '../errors.js'

/** Splits SQLite's `Table.column, Table.other` into the table and the column list. */
function parseColumns(list: string): { table: string | undefined; columns: string[] } {
  const qualified = list.split(',').map((part) => part.trim()).filter(Boolean)
  const table = qualified[0]?.includes('.') ? qualified[0].split('.')[0] : undefined
  return { table, columns: qualified.map((part) => part.slice(part.indexOf('.') + 1)) }
}

/** Turns whatever better-sqlite3 threw into an {@link OrmError}. */
export function mapSqliteError(error: unknown, sql?: string): OrmError {
  if (error instanceof OrmError) return error
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : ''
  const message = error instanceof Error ? error.message : String(error)
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const { table, columns } = parseColumns(message.replace(/^UNIQUE constraint failed:\s*/, ''))
    return UniqueViolationError.of(columns.join(', '), table, error, sql)
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return ForeignKeyViolationError.of(undefined, error, sql)
  if (code === 'SQLITE_CONSTRAINT_NOTNULL') {
    return NotNullViolationError.of(message.replace(/^NOT NULL constraint failed:\s*/, ''), error, sql)
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return DatabaseLockedError.of(error, sql)
  return DatabaseError.fromDriver(error, sql)
}
