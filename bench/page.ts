/** The page benchmark: "a page of 10 posts with their comment counts" (issue 13), by prismalchemy's withCount, PrismaClient's `_count` and hand-written SQL, with statement counts. */
// Usage: npm run bench:page [-- --quick] [-- --db=postgresql]
//   --quick   a short run (fewer rounds), for a smoke test
//   --db      sqlite (default: one file) or postgresql (a throwaway embedded server); npm run bench:page:pg
// One database (1,000 posts, 0-20 comments each), one random page of 10 posts per workload (newest
// first, pages drawn from a fixed seed), read by: prismalchemy withCount('comments') (one statement),
// withCount through paginate() (the page and its total), and a count() per post (the 12 statements of
// the issue); PrismaClient findMany with `include: { _count: { select: { comments: true } } }`; the raw
// driver sending prismalchemy's statement (the floor) and a LEFT JOIN of grouped counts (the other way
// to write it, slower: it counts every comment of the table for each page).
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { createEngine, Session, type Engine, type Model } from 'prismalchemy'
import type { ModelRegistry } from 'prismalchemy/internal'
import { parseRunOptions } from './db-option.js'
import { createInlineTables, inSession, loadInlineModels } from './inline-models.js'
import { captureEngine, check, compare, progress, type Contender, type Plan, type Statements } from './measure.js'
import { TMP_DIR } from './paths.js'
import { PG_POOL_MAX, withScratchDatabase } from './postgres-server.js'
import { capturePrismaStatements, loadPrismaClientClass, type PrismaClientBase, type PrismaClientClass } from './prisma-inline-client.js'
import { prismaAdapterFor } from './prisma-peer.js'
import { numbered } from './raw-pg-peer.js'
import { drawInts, mulberry32 } from './rng.js'
import { formatSentSql, formatTimingRow, printTimingReport, queriesOf, shortenSql } from './table.js'

const AUTHORS = 50
const POSTS = 1000
const PER_PAGE = 10
const PAGES = POSTS / PER_PAGE
/** Comments of the i-th post (1-based): 0 to 20, 10 on average, so about 10,000 in all. */
const commentsOf = (i: number): number => (i * 7) % 21

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model User {
  id    Int    @id @default(autoincrement())
  name  String
  posts Post[]
}

model Post {
  id       Int       @id @default(autoincrement())
  title    String
  views    Int       @default(0)
  authorId Int
  author   User      @relation(fields: [authorId], references: [id])
  comments Comment[]

  @@index([authorId])
}

model Comment {
  id     Int    @id @default(autoincrement())
  body   String
  postId Int
  post   Post   @relation(fields: [postId], references: [id])

  @@index([postId])
}
`

/** Run sizes; one operation is one page. */
const PLANS: Record<'full' | 'quick', Plan> = {
  full: { warmup: 200, rounds: 25, opsPerRound: 100 },
  quick: { warmup: 20, rounds: 3, opsPerRound: 20 },
}

const { mode, db: benchDb } = parseRunOptions()
const plan = PLANS[mode]

/** The generated classes, typed loosely: the schema is generated at run time. */
type CommentObject = Model<{ id: number; body: string; postId: number }, object, number, { post: PostObject }>
type PostObject = Model<{ id: number; title: string; views: number; authorId: number }, object, number, { comments: CommentObject[] }> & { id: number }
interface Classes {
  User: new (init?: object) => Model & { id: number }
  Post: new (init?: object) => PostObject
  Comment: new (init?: object) => CommentObject
}
const classesOf = (registry: ModelRegistry) => registry.classes as unknown as Classes

/** The parts of the generated PrismaClient the benchmark calls. */
interface PrismaClientLike extends PrismaClientBase {
  post: {
    findMany(args: {
      orderBy: { id: 'desc' }
      take: number
      skip: number
      include: { _count: { select: { comments: true } } }
    }): Promise<{ id: number; _count: { comments: number } }[]>
  }
}

/** What one page computes, identical for every contender: the sum of post id × (comments + 1). A count given to the wrong post changes it. */
function checksumOf(posts: readonly (readonly [number, number])[]): number {
  let sum = 0
  for (const [id, comments] of posts) sum += id * (comments + 1)
  return sum
}

/** One row of the report. */
interface Contestant {
  readonly key: string
  readonly title: string
  /** Loads page `page` (1-based); returns its checksum. */
  readonly run: (page: number) => Promise<number> | number
  /** Untimed: loads one page and returns the statements it sent (undefined when they cannot be observed). */
  readonly capture: () => Promise<Statements | undefined>
}

/** Seeds AUTHORS users, POSTS posts (round-robin) and their comments through one prismalchemy unit of work. */
async function seed(engine: Engine, { User, Post, Comment }: Classes): Promise<void> {
  const session = new Session({ bind: engine })
  const authors = Array.from({ length: AUTHORS }, (_, i) => new User({ name: `author${i + 1}` }))
  session.addAll(authors)
  for (let i = 1; i <= POSTS; i++) {
    const post = new Post({ title: `post ${i}`, views: i % 97, author: authors[i % AUTHORS] })
    session.add(post)
    for (let c = 0; c < commentsOf(i); c++) session.add(new Comment({ body: `comment ${c}`, post }))
  }
  await session.commit()
  await session.close()
}

/** prismalchemy: a fresh Session per page, as a request handler has. */
function prismalchemyContestants(engine: Engine, { Post, Comment }: Classes): Contestant[] {
  const page = (session: Session) => session.query(Post).withCount('comments').orderBy({ id: 'desc' })
  const withCount = (n: number) =>
    inSession(engine, async (session) => {
      const posts = await page(session).limit(PER_PAGE).offset((n - 1) * PER_PAGE).all()
      return checksumOf(posts.map((post) => [post.id, post._count.comments]))
    })
  const paginated = (n: number) =>
    inSession(engine, async (session) => {
      const { items } = await page(session).paginate({ page: n, perPage: PER_PAGE })
      return checksumOf(items.map((post) => [post.id, post._count.comments]))
    })
  const countPerPost = (n: number) =>
    inSession(engine, async (session) => {
      const posts = await session.query(Post).orderBy({ id: 'desc' }).limit(PER_PAGE).offset((n - 1) * PER_PAGE).all()
      const counts: [number, number][] = []
      for (const post of posts) counts.push([post.id, await session.query(Comment).filterBy({ postId: post.id }).count()])
      return checksumOf(counts)
    })
  const contestant = (key: string, title: string, run: (n: number) => Promise<number>): Contestant => ({
    key,
    title,
    run,
    capture: () => captureEngine(engine, () => run(PAGES)),
  })
  return [
    contestant('pa-withcount', "prismalchemy withCount('comments')", withCount),
    contestant('pa-paginate', "prismalchemy withCount('comments').paginate() (+ total)", paginated),
    contestant('pa-count-each', 'prismalchemy count() per post (before withCount)', countPerPost),
  ]
}

/** PrismaClient 7 with the better-sqlite3 or pg adapter: `post.findMany({ ..., include: { _count: { select: { comments: true } } } })`. */
async function prismaContestant(url: string): Promise<{ contestant: Contestant; close: () => Promise<void> }> {
  const PrismaClient = loadPrismaClientClass<PrismaClientClass<PrismaClientLike>>(SCHEMA, benchDb)
  // The timed client logs nothing; a second client, used once and untimed, emits query events to count statements.
  const client = new PrismaClient({ adapter: prismaAdapterFor(url) })
  await client.$connect()
  const findPage = (prisma: PrismaClientLike, n: number) =>
    prisma.post.findMany({ orderBy: { id: 'desc' }, take: PER_PAGE, skip: (n - 1) * PER_PAGE, include: { _count: { select: { comments: true } } } })
  const run = async (n: number) => checksumOf((await findPage(client, n)).map((post) => [post.id, post._count.comments]))
  const capture = () => capturePrismaStatements(PrismaClient, prismaAdapterFor(url), (logging) => findPage(logging, PAGES))
  return {
    contestant: { key: 'prisma', title: 'PrismaClient findMany({ include: { _count } })', run, capture },
    close: () => client.$disconnect(),
  }
}

/** Hand-written SQL (SQLite placeholders): the statement prismalchemy sends, and the LEFT JOIN of grouped counts. */
const RAW_SQL = {
  page:
    'SELECT "id", "title", "views", "authorId", (SELECT count(*) FROM "Comment" AS "t1" WHERE "page"."id" = "t1"."postId") AS "_count_comments" ' +
    'FROM (SELECT "id", "title", "views", "authorId" FROM "Post" ORDER BY "id" DESC LIMIT ? OFFSET ?) AS "page" ORDER BY "id" DESC',
  joined:
    'SELECT "Post"."id", "Post"."title", "Post"."views", "Post"."authorId", coalesce("counts"."n", 0) FROM "Post" ' +
    'LEFT JOIN (SELECT "postId", count(*) AS "n" FROM "Comment" GROUP BY "postId") AS "counts" ON "counts"."postId" = "Post"."id" ' +
    'ORDER BY "Post"."id" DESC LIMIT ? OFFSET ?',
}

/** {@link RAW_SQL} with the placeholders of the database under test. */
const rawSql = benchDb === 'sqlite' ? RAW_SQL : { page: numbered(RAW_SQL.page), joined: numbered(RAW_SQL.joined) }

type PageRow = [number, string, number, number, number | bigint | string]

/** The contestants of one hand-written statement on the raw driver, given how it runs a statement with the page's LIMIT and OFFSET. */
function rawContestant(key: string, title: string, sql: string, query: (sql: string, params: number[]) => Promise<PageRow[]> | PageRow[]): Contestant {
  const page = (n: number) => [PER_PAGE, (n - 1) * PER_PAGE]
  const checksum = (rows: PageRow[]) => checksumOf(rows.map((row) => [row[0], Number(row[4])]))
  const run = (n: number): Promise<number> | number => {
    const rows = query(sql, page(n))
    return Array.isArray(rows) ? checksum(rows) : rows.then(checksum)
  }
  return { key, title, run, capture: async () => (await query(sql, page(PAGES)), [sql]) }
}

/** better-sqlite3 directly, one connection, cached statements. */
function rawSqliteContestants(file: string): { contestants: Contestant[]; close: () => void } {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  const statements = new Map<string, Database.Statement>()
  const query = (sql: string, params: number[]) => {
    let statement = statements.get(sql)
    if (statement === undefined) statements.set(sql, (statement = db.prepare(sql).raw()))
    return statement.all(...params) as PageRow[]
  }
  return {
    contestants: [
      rawContestant('raw', "raw better-sqlite3, prismalchemy's statement (floor)", rawSql.page, query),
      rawContestant('raw-join', 'raw better-sqlite3, LEFT JOIN of grouped counts', rawSql.joined, query),
    ],
    close: () => db.close(),
  }
}

/** node-postgres directly, a pool as large as prismalchemy's, rows as arrays. */
function rawPgContestants(url: string): { contestants: Contestant[]; close: () => Promise<void> } {
  const pool = new pg.Pool({ connectionString: url, max: PG_POOL_MAX, options: '-c TimeZone=UTC' })
  const query = async (sql: string, params: number[]) => (await pool.query<PageRow>({ text: sql, values: params, rowMode: 'array' })).rows
  return {
    contestants: [
      rawContestant('raw', "raw pg (pg.Pool), prismalchemy's statement (floor)", rawSql.page, query),
      rawContestant('raw-join', 'raw pg (pg.Pool), LEFT JOIN of grouped counts', rawSql.joined, query),
    ],
    close: () => pool.end(),
  }
}

async function main(): Promise<void> {
  const started = Date.now()
  const root = join(TMP_DIR, 'bench-page')
  progress('generating models for the inline schema...')
  const registry = await loadInlineModels(SCHEMA, join(root, 'models'))
  const classes = classesOf(registry)

  progress(benchDb === 'postgresql' ? 'starting PostgreSQL...' : 'creating the SQLite file...')
  // The benchmark's database: a SQLite file under `.tmp/`, or database `bench_page` on a throwaway PostgreSQL server.
  await withScratchDatabase(benchDb, { name: 'bench_page', file: join(root, `page-${process.pid}.db`) }, async (database, onClose) => {
    const { url } = database
    progress(`creating tables and seeding ${POSTS} posts with their comments...`)
    await createInlineTables(registry, url)
    const engine = createEngine(url)
    onClose(() => engine.dispose())
    await seed(engine, classes)

    progress('generating / loading PrismaClient for the inline schema...')
    const prisma = await prismaContestant(url)
    onClose(prisma.close)
    const raw = database.file === undefined ? rawPgContestants(url) : rawSqliteContestants(database.file)
    onClose(raw.close)
    const contestants = [...prismalchemyContestants(engine, classes), prisma.contestant, ...raw.contestants]

    // Untimed: every contestant computes the same checksum for every page; count the statements each sends.
    for (let n = 1; n <= PAGES; n += 33) {
      const expected = await raw.contestants[0].run(n)
      for (const contestant of contestants) check((await contestant.run(n)) === expected, `${contestant.title} returned a different checksum for page ${n}`)
    }
    const statements = new Map<string, Statements | undefined>()
    for (const contestant of contestants) statements.set(contestant.key, await contestant.capture())
    const paSql = queriesOf(statements.get('pa-withcount')) ?? []
    const sameSql = paSql.length === 1 && paSql[0] === rawSql.page

    progress(`timing ${contestants.length} contestants (${plan.warmup} warm-up, ${plan.rounds} rounds x ${plan.opsPerRound} pages)...`)
    const timed: Contender<number>[] = contestants.map((c) => ({ name: c.key, run: c.run }))
    const timings = await compare(timed, plan, (_name, batch, count) => drawInts(mulberry32(batch + 1), count, 1, PAGES))

    const rawMedian = timings.get('raw')?.median
    printTimingReport({
      heading: `Page benchmark (${mode} run): a page of ${PER_PAGE} posts with their comment counts, newest first; ${POSTS} posts, about ${(POSTS * 10).toLocaleString('en')} comments`,
      database: database.description,
      plan,
      unit: 'page',
      firstColumn: 'contestant',
      rows: contestants.map((c) => formatTimingRow(c.title, timings.get(c.key), statements.get(c.key), rawMedian)),
      notes: [
        `prismalchemy: a fresh Session per page; createEngine(url) defaults. PrismaClient: one client, @prisma/adapter-${benchDb === 'sqlite' ? 'better-sqlite3' : 'pg'}. Pages drawn at random from ${PAGES}.`,
        `raw sends the statement prismalchemy's withCount sends: ${sameSql ? 'yes' : 'NO'}`,
        ...formatSentSql(statements, ['pa-withcount', 'prisma'], (sql) => shortenSql(sql, 150, 120)),
      ],
      started,
    })
  })
}

await main()
