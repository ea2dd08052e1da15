/** The benchmark: prismalchemy vs the raw driver vs PrismaClient on one database (SQLite file or PostgreSQL), µs per operation, side by side. */
// Usage: npm run bench [-- --quick] [-- --only=a,c] [-- --peers=prismalchemy,raw] [-- --db=postgresql]
//   --quick   a short run (fewer rounds and operations), for a smoke test
//   --db      sqlite (default: one file, raw = better-sqlite3, PrismaClient + adapter-better-sqlite3) or
//             postgresql (a throwaway embedded server, raw = a pg.Pool, PrismaClient + adapter-pg); npm run bench:pg
//   --only    workloads to run (a: get by pk, b: identity-map hit, c: 50-row filter, d: 10k-row insert)
//   --peers   peers to open (prismalchemy, raw, prisma)
//   --prepared  PostgreSQL: prismalchemy's engine with preparedStatements: true (server-side prepared statements)
//   --rounds  timed rounds per workload (overrides the plan), e.g. to profile prismalchemy alone:
//             node --cpu-prof --cpu-prof-dir=.tmp/profiles dist-examples/bench/run.js --only=a --peers=prismalchemy --rounds=30
//             then summarise with dist-examples/bench/cpu-profile-top.js
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import { parseBenchDb } from './db-option.js'
import { createFixture, seedUsername, type Fixture } from './fixture.js'
import { compare, type Contender, type Plan, type Timing } from './measure.js'
import type { NewUserRow, Peer, PeerName } from './peer.js'
import { PrismaPeer } from './prisma-peer.js'
import { PrismalchemyPeer } from './prismalchemy-peer.js'
import { RAW_SQL, RawPeer } from './raw-peer.js'
import { RAW_PG_SQL, RawPgPeer } from './raw-pg-peer.js'
import { drawInts, mulberry32 } from './rng.js'
import { formatMicros, formatRatio, formatTable } from './table.js'

const SEED = 20240611
const USERS = 10_000
const USERS_PER_ROLE = 50
const INSERT_ROWS = 10_000

type WorkloadKey = 'a' | 'b' | 'c' | 'd'

/** Run sizes: full by default, `--quick` for a smoke test. */
const PLANS: Record<'full' | 'quick', Record<WorkloadKey, Plan>> = {
  full: {
    a: { warmup: 2_000, rounds: 7, opsPerRound: 5_000 },
    b: { warmup: 20_000, rounds: 7, opsPerRound: 200_000 },
    c: { warmup: 300, rounds: 7, opsPerRound: 1_000 },
    d: { warmup: 2, rounds: 5, opsPerRound: 1 },
  },
  quick: {
    a: { warmup: 2_000, rounds: 3, opsPerRound: 1_000 },
    b: { warmup: 20_000, rounds: 3, opsPerRound: 50_000 },
    c: { warmup: 100, rounds: 3, opsPerRound: 200 },
    d: { warmup: 1, rounds: 3, opsPerRound: 1 },
  },
}

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'a,b,c,d' },
    peers: { type: 'string', default: 'prismalchemy,raw,prisma' },
    rounds: { type: 'string' },
    db: { type: 'string', default: 'sqlite' },
    prepared: { type: 'boolean', default: false },
  },
})
const benchDb = parseBenchDb(args.db)
const rawSql = benchDb === 'sqlite' ? RAW_SQL : RAW_PG_SQL
const plans = Object.fromEntries(
  Object.entries(PLANS[args.quick ? 'quick' : 'full']).map(([key, plan]) => [key, args.rounds ? { ...plan, rounds: Number(args.rounds) } : plan]),
) as Record<WorkloadKey, Plan>
const only = new Set(args.only!.split(',').map((s) => s.trim())) as Set<WorkloadKey>
const wanted = new Set(args.peers!.split(',').map((s) => s.trim())) as Set<PeerName>

function progress(message: string): void {
  process.stderr.write(`${message}\n`)
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`Sanity check failed: ${message}`)
}

/** Results of one workload: timings by contender name. */
type Results = Map<string, Timing>

/** Ids to look up in one batch: a generator seeded by the batch number, so every contender draws the same ids. */
function idInputs(max: number) {
  return (_contender: string, batch: number, count: number) => drawInts(mulberry32(SEED + batch), count, 1, max)
}

function contender<I>(name: string, run: (input: I) => unknown, after?: () => unknown): Contender<I> {
  return { name, run, after }
}

/** The username a peer's row holds: raw pg rows are arrays (`username` is the second column), the others objects. */
function usernameOf(row: unknown): unknown {
  return Array.isArray(row) ? row[1] : (row as { username?: unknown } | null | undefined)?.username
}

const TRANSACTION_CONTROL = /^(BEGIN|COMMIT|ROLLBACK)\b/

/** The statements in a few words: transaction control as is, the rest shortened. */
function summarise(statements: readonly string[]): string {
  return statements.map((s) => (s.length > 60 ? `${s.slice(0, 40)}...[${s.length} chars]` : s)).join(' | ')
}

/** Checks every peer returns the same data and sends the SQL the report claims, before any timing. */
async function sanityCheck(peers: readonly Peer[], fixture: Fixture, pa: PrismalchemyPeer | undefined): Promise<string[]> {
  const notes: string[] = []
  for (const peer of peers) {
    const user = await peer.getByPk(1234)
    check(usernameOf(user) === seedUsername(1234), `${peer.name} getByPk(1234) returned ${JSON.stringify(usernameOf(user))}`)
    const users = (await peer.usersOfRole(7)) as unknown[]
    check(users.length === USERS_PER_ROLE, `${peer.name} usersOfRole(7) returned ${users.length} rows`)
    const rows = newUsers(`check-${peer.name}`, 600, fixture.roles)
    await peer.insertUsers(rows)
    check((await fixture.resetUsers()) === rows.length, `${peer.name} insertUsers did not insert ${rows.length} rows`)
  }
  if (pa !== undefined) {
    const get = await pa.capture(() => pa.getByPk(1))
    const filter = await pa.capture(() => pa.usersOfRole(1))
    const insert = await pa.capture(() => pa.insertUsers(newUsers('capture', 600, fixture.roles)))
    await fixture.resetUsers()
    const [getSql] = get.filter((s) => !TRANSACTION_CONTROL.test(s))
    const [filterSql] = filter.filter((s) => !TRANSACTION_CONTROL.test(s))
    const inserts = insert.filter((s) => !TRANSACTION_CONTROL.test(s))
    const same = getSql === rawSql.getByPk && filterSql === rawSql.usersOfRole && inserts[0] === rawSql.insertRows(500) && inserts[1] === rawSql.insertRows(100)
    notes.push(`prismalchemy statements (a), ${get.length}: ${summarise(get)}`)
    notes.push(`prismalchemy statements (c), ${filter.length}: ${summarise(filter)}`)
    notes.push(`prismalchemy statements (d), 600 rows: ${summarise(insert)}`)
    notes.push(`raw peer sends the identical SQL text: ${same ? 'yes' : `NO (see ${benchDb === 'sqlite' ? 'raw-peer.ts' : 'raw-pg-peer.ts'})`}`)
  }
  return notes
}

function newUsers(prefix: string, count: number, roles: number): NewUserRow[] {
  return Array.from({ length: count }, (_, i) => ({ username: `${prefix}-${i}`, email: `${prefix}-${i}@example.com`, roleId: (i % roles) + 1 }))
}

async function main(): Promise<void> {
  const started = Date.now()
  progress(`${benchDb === 'postgresql' ? 'starting PostgreSQL, ' : ''}seeding ${USERS} users, ${USERS / USERS_PER_ROLE} roles...`)
  const fixture = await createFixture({ users: USERS, usersPerRole: USERS_PER_ROLE }, benchDb)
  const peers: Peer[] = []
  // PostgreSQL only: the raw peer again with named statements (parsed once per connection), for reference.
  let rawNamed: RawPgPeer | undefined
  const results = new Map<string, Results>()
  try {
    const pa = wanted.has('prismalchemy') ? new PrismalchemyPeer(fixture.url, { preparedStatements: args.prepared }) : undefined
    const raw = wanted.has('raw') ? (fixture.db === 'sqlite' ? new RawPeer(fixture.file) : new RawPgPeer(fixture.url)) : undefined
    if (pa) peers.push(pa)
    if (raw) peers.push(raw)
    if (raw && fixture.db === 'postgresql') rawNamed = new RawPgPeer(fixture.url, { named: true })
    let prisma: PrismaPeer | undefined
    if (wanted.has('prisma')) {
      progress('generating / loading PrismaClient...')
      prisma = await PrismaPeer.open(fixture.url, benchDb)
      peers.push(prisma)
    }
    const setup = await Promise.all(peers.map(async (peer) => `  ${peer.name.padEnd(12)} ${await peer.describe()}`))
    if (rawNamed) setup.push(`  ${'raw named'.padEnd(12)} ${await rawNamed.describe()}`)
    const sqlNotes = await sanityCheck(peers, fixture, pa)
    const withRawNamed = (contenders: Contender<number>[], run: (peer: RawPgPeer, input: number) => unknown) =>
      rawNamed ? [...contenders, contender<number>('raw named', (input) => run(rawNamed!, input))] : contenders

    if (only.has('a')) {
      progress('(a) get by primary key...')
      const contenders = withRawNamed(peers.map((peer) => contender<number>(peer.name, (id) => peer.getByPk(id))), (peer, id) => peer.getByPk(id))
      results.set('a', await compare(contenders, plans.a, idInputs(USERS)))
    }
    if (only.has('b') && pa) {
      progress('(b) identity-map hit...')
      const warm = await pa.warmSession()
      try {
        results.set('b', await compare([contender<number>('prismalchemy', (id) => warm.get(id))], plans.b, idInputs(USERS)))
      } finally {
        await warm.close()
      }
    }
    if (only.has('c')) {
      progress('(c) 50 rows by roleId...')
      const contenders = withRawNamed(peers.map((peer) => contender<number>(peer.name, (roleId) => peer.usersOfRole(roleId))), (peer, roleId) => peer.usersOfRole(roleId))
      results.set('c', await compare(contenders, plans.c, idInputs(fixture.roles)))
    }
    if (only.has('d')) {
      progress(`(d) insert ${INSERT_ROWS} rows...`)
      const reset = async () => check((await fixture.resetUsers()) === INSERT_ROWS, `an insert batch did not write ${INSERT_ROWS} rows`)
      const insertContenders: Contender<readonly NewUserRow[]>[] = peers.map((peer) => contender(peer.name, (rows) => peer.insertUsers(rows), reset))
      if (raw) insertContenders.push(contender('raw per-row', (rows) => raw.insertUsersPerRow(rows), reset))
      if (prisma) insertContenders.push(contender('prisma andReturn', (rows) => prisma.insertUsersAndReturn(rows), reset))
      const batches = (name: string, batch: number, count: number) =>
        Array.from({ length: count }, (_, i) => newUsers(`${name.replace(/\W/g, '')}-${batch}-${i}`, INSERT_ROWS, fixture.roles))
      const timings = await compare(insertContenders, plans.d, batches)
      // Report per row: one operation is one batch of INSERT_ROWS rows.
      results.set('d', new Map([...timings].map(([name, t]) => [name, { rounds: t.rounds.map((us) => us / INSERT_ROWS), median: t.median / INSERT_ROWS }])))
    }

    printReport(results, setup, sqlNotes, fixture.description, started)
  } finally {
    for (const peer of [...peers, ...(rawNamed ? [rawNamed] : [])]) await peer.close().catch(() => undefined)
    await fixture.remove()
  }
}

function printReport(results: Map<string, Results>, setup: string[], sqlNotes: string[], database: string, started: number): void {
  const mode = args.quick ? 'quick' : 'full'
  const rowTitles: Record<WorkloadKey, string> = {
    a: '(a) get by pk, fresh session   µs/op',
    b: '(b) identity-map hit           µs/op',
    c: '(c) 50 rows by roleId          µs/query',
    d: `(d) insert ${INSERT_ROWS} rows           µs/row`,
  }
  const rows: string[][] = []
  for (const key of ['a', 'b', 'c', 'd'] as const) {
    const r = results.get(key)
    if (r === undefined) continue
    const pa = r.get('prismalchemy')?.median
    const raw = r.get('raw')?.median
    const prisma = r.get('prisma')?.median
    rows.push([rowTitles[key], formatMicros(pa), formatMicros(raw), formatMicros(prisma), formatRatio(pa, raw), formatRatio(prisma, pa)])
  }
  console.log(`\nprismalchemy benchmark (${mode} run): ${USERS} users, ${USERS / USERS_PER_ROLE} roles, ${database}`)
  console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; median of rounds, random ids from seed ${SEED}`)
  console.log('peers:')
  for (const line of setup) console.log(line)
  console.log('')
  const [rawTitle, prismaTitle] = benchDb === 'sqlite' ? ['raw', 'PrismaClient'] : ['raw pg', 'PrismaClient+adapter-pg']
  console.log(formatTable(['workload', 'prismalchemy', rawTitle, prismaTitle, 'pa/raw', 'Prisma/pa'], rows))
  const spread = [...results].map(([key, r]) => {
    const ranges = [...r].map(([name, t]) => `${name} ${formatMicros(Math.min(...t.rounds))}-${formatMicros(Math.max(...t.rounds))}`)
    return `(${key}) ${ranges.join(', ')}`
  })
  console.log(`range over rounds (min-max, same units): ${spread.join('; ')}`)
  const b = results.get('b')?.get('prismalchemy')?.median
  const a = results.get('a')
  const c = results.get('c')
  const d = results.get('d')
  console.log('')
  for (const [key, r] of [['a', a], ['c', c]] as const) {
    const named = r?.get('raw named')?.median
    if (named !== undefined) {
      console.log(`(${key}) raw pg with named statements (parsed once per connection): ${formatMicros(named)} µs, ${formatRatio(named, r?.get('raw')?.median)} unnamed raw`)
    }
  }
  if (b !== undefined) {
    const vs = a ? `; a real query costs raw ${formatMicros(a.get('raw')?.median)} µs, PrismaClient ${formatMicros(a.get('prisma')?.median)} µs (row a)` : ''
    console.log(`(b) raw and PrismaClient have no identity map, so n/a${vs}.`)
  }
  if (d !== undefined) {
    const ms = (name: string) => (d.get(name) ? `${((d.get(name)!.median * INSERT_ROWS) / 1000).toFixed(1)} ms/batch` : 'n/a')
    console.log(`(d) one ${INSERT_ROWS}-row batch: prismalchemy ${ms('prismalchemy')}, raw ${ms('raw')}, PrismaClient ${ms('prisma')}.`)
    console.log('    prismalchemy: new User() x10k, session.add, commit (multi-row INSERT ... RETURNING "id", 500 rows each, one transaction);')
    console.log(
      benchDb === 'sqlite'
        ? '    raw: the same 500-row INSERT ... RETURNING "id" statements, cached, in one BEGIN IMMEDIATE transaction;'
        : '    raw: the same 500-row INSERT ... RETURNING "id" statements in one BEGIN ... COMMIT on one pooled client;',
    )
    console.log('    PrismaClient: createMany (returns a count only, no ids or objects).')
    if (d.has('raw per-row')) console.log(`    raw, one ${benchDb === 'sqlite' ? 'cached ' : ''}single-row INSERT per row in one transaction: ${formatMicros(d.get('raw per-row')!.median)} µs/row`)
    if (d.has('prisma andReturn')) {
      console.log(
        `    PrismaClient createManyAndReturn (returns every row, closer to a unit of work): ${formatMicros(d.get('prisma andReturn')!.median)} µs/row` +
          ` (${formatRatio(d.get('prisma andReturn')!.median, d.get('prismalchemy')?.median)} prismalchemy)`,
      )
    }
  }
  console.log('pa/raw = prismalchemy / raw; Prisma/pa = PrismaClient / prismalchemy (above 1: prismalchemy is faster).')
  if (benchDb === 'postgresql') {
    console.log("A session's reads before its first write run in autocommit (no BEGIN/ROLLBACK): (a) and (c) are one round trip, as for raw pg and PrismaClient.")
    console.log("raw pg reads with node-postgres' default value parsers (timestamps to Date); the adapter's parsers keep them as text.")
  }
  for (const line of sqlNotes) console.log(line)
  console.log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

await main()
