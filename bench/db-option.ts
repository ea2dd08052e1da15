/** The `--db` option of the benchmarks: the database they run on (a SQLite file, or a throwaway PostgreSQL server). */

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
