/** Names the model's fields behind a unique violation of a statement on its table, on every database (error path only). */
import { UniqueViolationError } from '../errors.js'
import type { ColumnInfo, Mapper } from './mapper.js'

/**
 * Every way to write `text` as column names joined by `_`, as Prisma's default constraint names join
 * them; columns may themselves hold underscores (`author_id`), so several splits may exist.
 */
function splits(text: string, columns: readonly ColumnInfo[]): ColumnInfo[][] {
  const found: ColumnInfo[][] = []
  for (const column of columns) {
    if (text === column.column) found.push([column])
    else if (text.startsWith(`${column.column}_`)) {
      for (const rest of splits(text.slice(column.column.length + 1), columns)) found.push([column, ...rest])
    }
  }
  return found
}

/**
 * The columns of PostgreSQL or MySQL constraint `constraint` on `mapper`'s table, read from Prisma's
 * default names: `<table>_pkey` for the primary key (MySQL's is always `PRIMARY`),
 * `<table>_<column>_<column>_key` for `@unique` and `@@unique`. Undefined for a name given with `map:`,
 * one cut to PostgreSQL's 63 characters (MySQL's 64), or one that splits into columns in more than one way.
 */
function constraintColumns(constraint: string, mapper: Mapper): readonly ColumnInfo[] | undefined {
  if (constraint === `${mapper.table}_pkey` || constraint === 'PRIMARY') return mapper.primaryKey
  const prefix = `${mapper.table}_`
  if (!constraint.startsWith(prefix) || !constraint.endsWith('_key')) return undefined
  const candidates = splits(constraint.slice(prefix.length, -'_key'.length), mapper.columns)
  return candidates.length === 1 ? candidates[0] : undefined
}

/**
 * The error a write on `mapper`'s table should raise: a {@link UniqueViolationError} of that table
 * gets the model and its field names (SQLite names the columns; PostgreSQL and MySQL the constraint,
 * whose columns Prisma's naming gives); any other error unchanged. Called only when a statement failed.
 * @internal
 */
export function explainUniqueViolation(error: unknown, mapper: Mapper): unknown {
  if (!(error instanceof UniqueViolationError) || error.model !== undefined) return error
  if (error.table !== undefined && error.table !== mapper.table) return error
  const columns = error.columns?.map((name) => mapper.columns.find((column) => column.column === name)) ?? constraintColumns(error.constraint, mapper)
  if (columns === undefined || columns.some((column) => column === undefined)) return error
  return UniqueViolationError.onFields(
    error,
    mapper.name,
    (columns as readonly ColumnInfo[]).map((column) => column.name),
  )
}
