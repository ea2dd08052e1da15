/** Plain-text report formatting: tables with a left-aligned first column and right-aligned figures, timings, statement counts and SQL. */
import { cpus } from 'node:os'
import type { Plan, Timing } from './measure.js'

/**
 * Formats rows under a header with aligned columns and a rule under the header.
 *
 * @param header Column titles; the first column is left-aligned, the others right-aligned.
 * @param rows Cells as strings, one array per row, as long as `header`.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)))
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** A duration in µs with precision that suits its size: `0.214`, `12.3`, `1234`. */
export function formatMicros(us: number | undefined): string {
  if (us === undefined) return 'n/a'
  if (us < 1) return us.toFixed(3)
  if (us < 100) return us.toFixed(2)
  if (us < 1000) return us.toFixed(1)
  return us.toFixed(0)
}

/** A ratio `a / b` as `3.4x`, or `n/a` when either side is missing. */
export function formatRatio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || b === 0) return 'n/a'
  const r = a / b
  return `${r < 10 ? r.toFixed(2) : r.toFixed(1)}x`
}

/** The machine a report ran on: `node v24.1.0, 8 x <cpu model>`. */
export function describeMachine(): string {
  return `node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`
}

/** Transaction control statements (`BEGIN`, `COMMIT`, `ROLLBACK`), as opposed to queries. */
export const TRANSACTION_CONTROL = /^(BEGIN|COMMIT|ROLLBACK)\b/

/** The queries among `sent`, without transaction control; undefined stays undefined. */
export function queriesOf(sent: readonly string[] | undefined): string[] | undefined {
  return sent?.filter((sql) => !TRANSACTION_CONTROL.test(sql))
}

/** Statements sent, as the reports show them: the number of queries, plus `+N tx` for the transaction control statements when there are any. */
export function formatStatementCount(sent: readonly string[]): string {
  const control = sent.filter((sql) => TRANSACTION_CONTROL.test(sql)).length
  return control === 0 ? String(sent.length) : `${sent.length - control} +${control} tx`
}

/** `sql` as is when at most `max` characters, else its first `keep` characters and its length. */
export function shortenSql(sql: string, max: number, keep: number): string {
  return sql.length > max ? `${sql.slice(0, keep)}...[${sql.length} chars]` : sql
}

/**
 * One contestant's row of a timing report: title, median µs, statements sent (`n/a` when not observed),
 * ratio to the floor's median, and the range of its rounds.
 */
export function formatTimingRow(title: string, timing: Timing | undefined, sent: readonly string[] | undefined, floorMedian: number | undefined): string[] {
  const range = timing ? `${formatMicros(Math.min(...timing.rounds))}-${formatMicros(Math.max(...timing.rounds))}` : 'n/a'
  return [title, formatMicros(timing?.median), sent === undefined ? 'n/a' : formatStatementCount(sent), formatRatio(timing?.median, floorMedian), range]
}

/**
 * The report's SQL lines: `<key> SQL: <statements, shortened>` for each of `keys` whose statements were
 * observed, then a note when PrismaClient's (key `prisma`) were not.
 *
 * @param shorten Shortens one statement, e.g. `(sql) => shortenSql(sql, 150, 120)`.
 */
export function formatSentSql(statements: ReadonlyMap<string, readonly string[] | undefined>, keys: readonly string[], shorten: (sql: string) => string): string[] {
  const lines: string[] = []
  for (const key of keys) {
    const sent = statements.get(key)
    if (sent !== undefined) lines.push(`${key} SQL: ${sent.map(shorten).join(' | ')}`)
  }
  if (statements.get('prisma') === undefined) lines.push('PrismaClient statements: n/a (no query events with this adapter)')
  return lines
}

/** What {@link printTimingReport} prints. */
export interface TimingReport {
  /** The first line: the benchmark, the run's mode and its data. */
  readonly heading: string
  /** The database in a few words, for the second line: `one SQLite file (WAL)`, `PostgreSQL 17.10 (...)`. */
  readonly database: string
  readonly plan: Plan
  /** One operation, singular: `page`, `workload`. */
  readonly unit: string
  /** Title of the first column: `contestant`, `strategy`. */
  readonly firstColumn: string
  /** One row per contestant ({@link formatTimingRow}). */
  readonly rows: readonly (readonly string[])[]
  /** Lines under the table. */
  readonly notes: readonly string[]
  /** `Date.now()` at the start of the run, for the total time. */
  readonly started: number
}

/**
 * Prints a timing report to stdout: heading, machine and database with the plan, the table
 * (µs per operation, statements, ratio to the floor, range), the notes and the total time.
 */
export function printTimingReport(report: TimingReport): void {
  const { plan, unit } = report
  console.log(`\n${report.heading}`)
  console.log(`${describeMachine()}; ${report.database}; median of ${plan.rounds} rounds of ${plan.opsPerRound} ${unit}s after ${plan.warmup} warm-up`)
  console.log('')
  console.log(formatTable([report.firstColumn, `µs/${unit}`, 'statements', 'x raw', 'range (min-max µs)'], report.rows))
  console.log('')
  for (const line of report.notes) console.log(line)
  console.log(`total ${((Date.now() - report.started) / 1000).toFixed(1)} s`)
}
