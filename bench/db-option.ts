/** The `--db` option of the benchmarks: the database they run on (a SQLite file, or a throwaway PostgreSQL server); with `--quick`, a timed benchmark's command line. */
import { parseArgs } from 'node:util'

/** Databases a benchmark can run on. */
export const BENCH_DBS = ['sqlite', 'postgresql'] as const

/** One of {@link BENCH_DBS}. */
export type BenchDb = (typeof BENCH_DBS)[number]

/** Reads a `--db` value; throws on anything but `sqlite` or `postgresql`. */
export function parseBenchDb(value: string | undefined): BenchDb {
  const db = (value ?? 'sqlite').trim()
  if (!(BENCH_DBS as readonly string[]).includes(db)) throw new Error(`--db=${db}: expected one of ${BENCH_DBS.join(', ')}`)
  return db as BenchDb
}

/** The database a URL names: `file:` is SQLite, anything else (`postgresql://`) PostgreSQL. */
export function benchDbOf(url: string): BenchDb {
  return url.startsWith('file:') ? 'sqlite' : 'postgresql'
}

/** The command line of a timed benchmark: `--quick` (a short run, for a smoke test) and `--db` ({@link parseBenchDb}). */
export interface RunOptions {
  /** `quick` with `--quick`, else `full`: which plan the benchmark runs, and what its report calls the run. */
  readonly mode: 'quick' | 'full'
  readonly db: BenchDb
}

/** Reads {@link RunOptions} from `process.argv`; throws on an unknown option or `--db` value. */
export function parseRunOptions(): RunOptions {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, db: { type: 'string', default: 'sqlite' } } })
  return { mode: values.quick ? 'quick' : 'full', db: parseBenchDb(values.db) }
}
