// The databases every integration test runs against (like Kysely's DIALECTS), filterable with PRISMALCHEMY_TEST_DIALECTS.
import type { Engine } from 'prismalchemy'
import { describe } from 'vitest'

/** A database family under test. */
export type TestDialect = 'sqlite' | 'postgresql' | 'mysql'

const ALL: readonly TestDialect[] = ['sqlite', 'postgresql', 'mysql']

/** The template database holding the example schema's tables on the test server; each test copies it. */
export const POSTGRES_TEMPLATE = 'prismalchemy_template'

/** The database holding the example schema's tables on the MySQL test server; each test copies its tables (MySQL has no `CREATE DATABASE ... TEMPLATE`). */
export const MYSQL_TEMPLATE = 'prismalchemy_template'

/**
 * The dialects of this run: all of them, or those named in `PRISMALCHEMY_TEST_DIALECTS`
 * (comma-separated, e.g. `sqlite` for a quick run without the PostgreSQL and MySQL servers).
 */
export function dialectsUnderTest(): readonly TestDialect[] {
  const wanted = process.env.PRISMALCHEMY_TEST_DIALECTS
  if (wanted === undefined || wanted.trim() === '') return ALL
  const names = wanted.split(',').map((name) => name.trim())
  for (const name of names) if (!ALL.includes(name as TestDialect)) throw new Error(`PRISMALCHEMY_TEST_DIALECTS: unknown dialect "${name}" (known: ${ALL.join(', ')})`)
  return ALL.filter((dialect) => names.includes(dialect))
}

/** The dialects as `describe.each` rows. */
export const DIALECTS = dialectsUnderTest()

/**
 * The one idiom for a suite of one database only (e.g. a PostgreSQL behaviour): it runs when `dialect`
 * is under test and is reported as skipped otherwise, so its file always holds a suite
 * (`describe.each([])` leaves none, and vitest fails such a file with "No test suite found").
 * Its body runs at collection either way: keep database work in hooks and tests.
 */
export function describeOn(dialect: TestDialect, name: string, body: (dialect: TestDialect) => void): void {
  describe.skipIf(!DIALECTS.includes(dialect))(name, () => body(dialect))
}

/**
 * The exact SQL of one statement on every dialect (Kysely's `testSql`): one text written with `"`-quoted
 * identifiers and `?` placeholders, which PostgreSQL numbers `$1`, `$2`, ... in order and MySQL quotes
 * with backticks, or one text per dialect where the statements differ otherwise (a placeholder used twice,
 * a dialect's own syntax). MySQL's text, when not given, is the SQLite one with its identifiers backticked.
 */
export type ExpectedSql = string | { readonly sqlite: string; readonly postgresql: string; readonly mysql?: string }

/** The exact text `expected` stands for on `dialect` (see {@link ExpectedSql}). */
export function sqlOn(dialect: TestDialect, expected: ExpectedSql): string {
  if (typeof expected !== 'string') return dialect === 'mysql' ? (expected.mysql ?? requoted(expected.sqlite, '"', '`')) : expected[dialect]
  if (dialect === 'sqlite') return expected
  if (dialect === 'mysql') return requoted(expected, '"', '`')
  let placeholder = 0
  return expected.replace(/\?/g, () => `$${++placeholder}`)
}

/** The exact texts of `statements` on `dialect`, in order (see {@link ExpectedSql}). */
export function statementsOn(dialect: TestDialect, ...statements: readonly ExpectedSql[]): string[] {
  return statements.map((statement) => sqlOn(dialect, statement))
}

/** `count` placeholders for an IN list, as an {@link ExpectedSql} writes them: `?, ?, ?`. */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ')
}

/**
 * Normalises placeholders (`$1` on PostgreSQL, `?` on SQLite and MySQL) and MySQL's backticked identifiers
 * to `"ident"`, so one expected SQL text serves every dialect, leaving PostgreSQL's numbering unpinned
 * (see {@link sqlOn} to pin it).
 */
export function normalizeSql(sql: string): string {
  return requoted(sql, '`', '"').replace(/\$\d+/g, '?')
}

/** The statements `work` sends on `engine`, each {@link normalizeSql normalised}, failed ones marked ` -- failed`. */
export async function statementsSent(engine: Engine, work: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = []
  const stop = engine.onStatement((statement) => sent.push(normalizeSql(statement.sql) + (statement.error === undefined ? '' : ' -- failed')))
  try {
    await work()
  } finally {
    stop()
  }
  return sent
}

/**
 * `sqlText` with its identifiers quoted by `to` instead of `from` (`"users"."id"` to `` `users`.`id` ``):
 * single-quoted literals are left as they are; inside an identifier a doubled `from` (an escaped one)
 * becomes a plain character and a `to` character is doubled.
 */
function requoted(sqlText: string, from: '"' | '`', to: '"' | '`'): string {
  let inLiteral = false
  let inIdentifier = false
  let out = ''
  for (let i = 0; i < sqlText.length; i++) {
    const char = sqlText[i]
    if (inLiteral) {
      inLiteral = char !== "'"
      out += char
    } else if (inIdentifier && char === from && sqlText[i + 1] === from) {
      out += from
      i++
    } else if (inIdentifier) {
      inIdentifier = char !== from
      out += char === from ? to : char === to ? to + to : char
    } else {
      inLiteral = char === "'"
      inIdentifier = char === from
      out += char === from ? to : char
    }
  }
  return out
}

/** The statement that opens a session's transaction at its first write: SQLite's `BEGIN IMMEDIATE` (which takes the write lock), PostgreSQL's and MySQL's `BEGIN`. */
export function beginOf(dialect: TestDialect): string {
  return dialect === 'sqlite' ? 'BEGIN IMMEDIATE' : 'BEGIN'
}
