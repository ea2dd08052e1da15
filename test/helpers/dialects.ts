// The databases every integration test runs against (like Kysely's DIALECTS), filterable with PRISMALCHEMY_TEST_DIALECTS.

/** A database family under test. */
export type TestDialect = 'sqlite' | 'postgresql'

const ALL: readonly TestDialect[] = ['sqlite', 'postgresql']

/** The template database holding the example schema's tables on the test server; each test copies it. */
export const POSTGRES_TEMPLATE = 'prismalchemy_template'

/**
 * The dialects of this run: all of them, or those named in `PRISMALCHEMY_TEST_DIALECTS`
 * (comma-separated, e.g. `sqlite` for a quick run without the PostgreSQL server).
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

/** Normalises placeholders (`$1` on PostgreSQL, `?` on SQLite) so one expected SQL text serves both. */
export function normalizeSql(sql: string): string {
  return sql.replace(/\$\d+/g, '?')
}

/** The statement that opens a session's transaction at its first write: SQLite's `BEGIN IMMEDIATE` (which takes the write lock), PostgreSQL's `BEGIN`. */
export function beginOf(dialect: TestDialect): string {
  return dialect === 'sqlite' ? 'BEGIN IMMEDIATE' : 'BEGIN'
}
