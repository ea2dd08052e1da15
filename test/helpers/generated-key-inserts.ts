// The INSERT statements a flush sends for new rows whose key the database generates, as each dialect sends them.
import type { TestDialect } from './dialects.js'

/**
 * The statements that insert `rows` rows shaped `row` (e.g. `(?, ?)`) with `head` (e.g.
 * `INSERT INTO "t" ("a", "b")`) when the server generates the key: one multi-row
 * `INSERT ... VALUES ..., ... RETURNING <returning>` on SQLite and PostgreSQL; on MySQL, which has no
 * RETURNING, one INSERT per row, each key read from the driver's lastInsertId (SQLAlchemy's way there:
 * it never assumes the ids of a multi-row INSERT are consecutive). Written with `"`-quoted identifiers
 * and `?` placeholders, as `normalizeSql` gives captured statements.
 */
export function generatedKeyInserts(dialect: TestDialect, head: string, row: string, rows: number, returning = '"id"'): string[] {
  if (dialect === 'mysql') return Array.from({ length: rows }, () => `${head} VALUES ${row}`)
  return [`${head} VALUES ${Array.from({ length: rows }, () => row).join(', ')} RETURNING ${returning}`]
}
