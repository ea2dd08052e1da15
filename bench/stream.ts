/** The streaming memory benchmark: RSS and heap for reading every row of a large users table, streamed or all at once, each reader in its own process. */
// Usage: npm run bench:stream [-- --rows=1000000] [-- --batch=1000] [-- --db=postgresql]; npm run bench:stream:pg
// The parent creates and seeds the database once, then runs every reader in a child process of its own
// (a fresh heap, so RSS figures compare): prismalchemy's all() and stream() (with and without release),
// the raw driver (better-sqlite3 all()/iterate(), pg query/DECLARE+FETCH), and PrismaClient, which has no
// streaming: findMany() of everything, and the cursor pagination Prisma users write instead
// (findMany({ take, skip: 1, cursor: { id } }) until a page comes back short).
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'
import { getHeapStatistics } from 'node:v8'
import Database from 'better-sqlite3'
import pg from 'pg'
import { benchDbOf, parseBenchDb, type BenchDb } from './db-option.js'
import { TMP_DIR } from './paths.js'
import { openScratchDatabase, type ScratchDatabase } from './postgres-server.js'
import { generatePrismaClient, prismaAdapterFor } from './prisma-peer.js'
import { formatTable } from './table.js'

/** The readers, in report order; each runs in a child process. */
const READERS = {
  'prismalchemy all()': 'all',
  'prismalchemy stream()': 'stream',
  'prismalchemy stream({ release: true })': 'stream-release',
  'raw driver, all rows': 'raw-all',
  'raw driver, streamed': 'raw-stream',
  'PrismaClient findMany(), all rows': 'prisma-all',
  'PrismaClient findMany() cursor pages': 'prisma-pages',
} as const
type Reader = (typeof READERS)[keyof typeof READERS]

/** What a child reports. */
interface Measurement {
  readonly rows: number
  readonly idSum: number
  readonly seconds: number
  /** RSS and heap once connected and warmed up, before reading. */
  readonly baseRss: number
  readonly baseHeap: number
  /** The process's peak RSS (getrusage), and the largest heap seen while reading. */
  readonly peakRss: number
  readonly peakHeap: number
}

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    rows: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '1000' },
    child: { type: 'string' },
    url: { type: 'string' },
  },
})
const rows = Number(args.rows)
const batchSize = Number(args.batch)
if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(batchSize) || batchSize < 1) throw new Error('--rows and --batch take integers >= 1')

const SELECT_SQL = 'SELECT "id", "username", "email", "roleId", "plan", "active", "quota", "score", "balance", "settings", "avatar", "created_at", "updated_at" FROM "users" ORDER BY "id" ASC'

/** Tracks the largest heap seen: sampled on a timer and at every batch. */
class HeapPeak {
  peak = 0
  private readonly timer = setInterval(() => this.sample(), 10)

  sample(): void {
    const used = getHeapStatistics().used_heap_size
    if (used > this.peak) this.peak = used
  }

  stop(): number {
    clearInterval(this.timer)
    this.sample()
    return this.peak
  }
}

/** Runs one reader in this process and prints its {@link Measurement} as JSON. */
async function child(reader: Reader, url: string): Promise<void> {
  const db = benchDbOf(url)
  const read = await openReader(reader, url, db)
  // Warm up on a few rows (imports, connections, prepared statements), then settle the heap.
  await read.warm()
  globalThis.gc?.()
  const baseRss = process.memoryUsage.rss()
  const baseHeap = getHeapStatistics().used_heap_size
  const heap = new HeapPeak()
  const started = performance.now()
  const { count, idSum } = await read.run(heap)
  const seconds = (performance.now() - started) / 1000
  const peakHeap = heap.stop()
  const peakRss = process.resourceUsage().maxRSS * 1024
  await read.close()
  const measurement: Measurement = { rows: count, idSum, seconds, baseRss, baseHeap, peakRss, peakHeap }
  process.stdout.write(`${JSON.stringify(measurement)}\n`)
}

/** One reader: warm it up, read every row (sampling the heap), close. */
interface OpenReader {
  warm(): Promise<void>
  run(heap: HeapPeak): Promise<{ count: number; idSum: number }>
  close(): Promise<void>
}

async function openReader(reader: Reader, url: string, db: BenchDb): Promise<OpenReader> {
  if (reader === 'all' || reader === 'stream' || reader === 'stream-release') {
    const { createEngine, Session } = await import('prismalchemy')
    const { User } = await import('../generated/models.js')
    const engine = createEngine(url)
    const query = (session: InstanceType<typeof Session>) => session.query(User).orderBy({ id: 'asc' })
    return {
      async warm() {
        const session = new Session({ bind: engine })
        await query(session).limit(10).all()
        for await (const user of query(session).limit(10).stream({ batchSize: 5 })) void user
        await session.close()
      },
      async run(heap) {
        const session = new Session({ bind: engine })
        let count = 0
        let idSum = 0
        if (reader === 'all') {
          const users = await query(session).all()
          heap.sample()
          for (const user of users) {
            count++
            idSum += user.id
          }
        } else {
          for await (const user of query(session).stream({ batchSize, release: reader === 'stream-release' })) {
            if (count++ % batchSize === 0) heap.sample()
            idSum += user.id
          }
        }
        heap.sample()
        await session.close()
        return { count, idSum }
      },
      close: () => engine.dispose(),
    }
  }
  if (reader === 'raw-all' || reader === 'raw-stream') return db === 'sqlite' ? rawSqlite(reader, url) : rawPostgres(reader, url)
  return prismaReader(reader, url, db)
}

/** better-sqlite3 on its own: `all()`, or `iterate()` (raw rows, safe integers as prismalchemy reads them). */
function rawSqlite(reader: 'raw-all' | 'raw-stream', url: string): OpenReader {
  const database = new Database(url.slice('file:'.length))
  const statement = database.prepare(SELECT_SQL).raw(true).safeIntegers(true)
  const read = (heap: HeapPeak | undefined, limit = Infinity) => {
    let count = 0
    let idSum = 0
    if (reader === 'raw-all') {
      const all = statement.all() as unknown[][]
      heap?.sample()
      for (const row of all) {
        if (count >= limit) break
        count++
        idSum += Number(row[0])
      }
    } else {
      for (const row of statement.iterate() as IterableIterator<unknown[]>) {
        if (count >= limit) break
        if (count++ % batchSize === 0) heap?.sample()
        idSum += Number(row[0])
      }
    }
    return { count, idSum }
  }
  return {
    async warm() {
      if (reader === 'raw-stream') read(undefined, 10)
    },
    async run(heap) {
      return read(heap)
    },
    async close() {
      database.close()
    },
  }
}

/** pg on its own: one query for every row, or DECLARE ... CURSOR / FETCH FORWARD in a transaction (what pg-cursor does). */
function rawPostgres(reader: 'raw-all' | 'raw-stream', url: string): OpenReader {
  const client = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' })
  const read = async (heap: HeapPeak | undefined) => {
    let count = 0
    let idSum = 0
    if (reader === 'raw-all') {
      const result = await client.query({ text: SELECT_SQL, rowMode: 'array' })
      heap?.sample()
      for (const row of result.rows as unknown[][]) {
        count++
        idSum += Number(row[0])
      }
      return { count, idSum }
    }
    await client.query('BEGIN')
    await client.query(`DECLARE c NO SCROLL CURSOR FOR ${SELECT_SQL}`)
    for (;;) {
      const result = await client.query({ text: `FETCH FORWARD ${batchSize} FROM c`, rowMode: 'array' })
      heap?.sample()
      for (const row of result.rows as unknown[][]) {
        count++
        idSum += Number(row[0])
      }
      if (result.rows.length < batchSize) break
    }
    await client.query('CLOSE c')
    await client.query('COMMIT')
    return { count, idSum }
  }
  return {
    async warm() {
      await client.connect()
      await client.query('SELECT 1')
    },
    run: (heap) => read(heap),
    close: () => client.end(),
  }
}

/** The parts of the generated PrismaClient this benchmark calls. */
interface PrismaUsers {
  $connect(): Promise<void>
  $disconnect(): Promise<void>
  user: { findMany(args: { take?: number; skip?: number; cursor?: { id: number }; orderBy: { id: 'asc' } }): Promise<{ id: number }[]> }
}

/** PrismaClient on its adapter: `findMany()` of everything, or cursor pagination (Prisma has no streaming). */
async function prismaReader(reader: 'prisma-all' | 'prisma-pages', url: string, db: BenchDb): Promise<OpenReader> {
  const require = createRequire(import.meta.url)
  const { PrismaClient } = require(join(generatePrismaClient(db), 'index.js')) as { PrismaClient: new (options: { adapter: unknown }) => PrismaUsers }
  const client = new PrismaClient({ adapter: prismaAdapterFor(url) })
  return {
    async warm() {
      await client.$connect()
      await client.user.findMany({ take: 10, orderBy: { id: 'asc' } })
    },
    async run(heap) {
      let count = 0
      let idSum = 0
      if (reader === 'prisma-all') {
        const users = await client.user.findMany({ orderBy: { id: 'asc' } })
        heap.sample()
        for (const user of users) {
          count++
          idSum += user.id
        }
        return { count, idSum }
      }
      let cursor: number | undefined
      for (;;) {
        const page = await client.user.findMany({ take: batchSize, orderBy: { id: 'asc' }, ...(cursor === undefined ? {} : { skip: 1, cursor: { id: cursor } }) })
        heap.sample()
        for (const user of page) {
          count++
          idSum += user.id
        }
        if (page.length < batchSize) break
        cursor = page[page.length - 1].id
      }
      return { count, idSum }
    },
    close: () => client.$disconnect(),
  }
}

/** Creates the tables (prismalchemy's `db.createAll()`) and inserts `rows` users with the raw driver, in one transaction. */
async function createDatabase(db: BenchDb): Promise<ScratchDatabase> {
  const scratch = await openScratchDatabase(db, { name: 'bench_stream', file: join(TMP_DIR, 'bench-stream.db') })
  const { url, file } = scratch
  const { db: database } = await import('../generated/db.js')
  database.configure({ url })
  await database.createAll()
  await database.dispose()
  if (file !== undefined) {
    const raw = new Database(file)
    raw.pragma('journal_mode = WAL')
    const insert = raw.prepare('INSERT INTO "users" ("username", "email", "updated_at") VALUES (?, ?, ?)')
    const now = Date.now()
    raw.transaction(() => {
      for (let i = 1; i <= rows; i++) insert.run(`user${i}`, `user${i}@example.com`, now)
    })()
    raw.close()
  } else {
    const raw = new pg.Client({ connectionString: url })
    await raw.connect()
    await raw.query(`INSERT INTO "users" ("username", "email", "updated_at") SELECT 'user' || g, 'user' || g || '@example.com', now() FROM generate_series(1, $1::int) AS g`, [rows])
    await raw.query('VACUUM ANALYZE "users"')
    await raw.end()
  }
  return scratch
}

const MB = 1024 * 1024
const mb = (bytes: number) => (bytes / MB).toFixed(0)

async function parent(): Promise<void> {
  const db = parseBenchDb(args.db)
  process.stderr.write(`Seeding ${rows.toLocaleString('en-US')} users on ${db}...\n`)
  // Generated before any child runs, so no child pays for `prisma generate`.
  generatePrismaClient(db)
  const database = await createDatabase(db)
  const expectedSum = (rows * (rows + 1)) / 2
  const table: string[][] = []
  try {
    for (const [title, reader] of Object.entries(READERS)) {
      process.stderr.write(`  ${title}...\n`)
      const script = fileURLToPath(import.meta.url)
      const output = execFileSync(process.execPath, ['--expose-gc', script, `--child=${reader}`, `--url=${database.url}`, `--rows=${rows}`, `--batch=${batchSize}`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1024 * 1024,
      })
      const result = JSON.parse(output.trim().split('\n').pop()!) as Measurement
      if (result.rows !== rows || result.idSum !== expectedSum) throw new Error(`${title} read ${result.rows} rows (id sum ${result.idSum}), expected ${rows} (${expectedSum})`)
      table.push([title, mb(result.peakRss - result.baseRss), mb(result.peakHeap - result.baseHeap), mb(result.peakRss), result.seconds.toFixed(1)])
    }
  } finally {
    await database.remove()
  }
  console.log(`Reading ${rows.toLocaleString('en-US')} users (13 columns) in id order, batches of ${batchSize}, on ${database.description}; Node ${process.version}.`)
  console.log('Each reader runs in its own process; "+RSS" is its peak RSS over its RSS once connected and warmed up, "+heap" the largest V8 heap seen while reading over the heap before.\n')
  console.log(formatTable(['reader', '+RSS MB', '+heap MB', 'peak RSS MB', 'seconds'], table))
}

if (args.child !== undefined) await child(args.child as Reader, args.url!)
else await parent()
