/** The benchmark of issue 15: prismalchemy beside Drizzle, MikroORM, PrismaClient and the raw driver on one database (SQLite file or PostgreSQL), each peer in its own process per workload; µs per operation, ratios, peak memory. */
// Usage: npm run bench [-- --quick] [-- --only=a,c] [-- --peers=prismalchemy,raw] [-- --db=postgresql]
//   --quick     a short run (fewer rounds and operations), for a smoke test
//   --db        sqlite (default: one file; raw = better-sqlite3, Drizzle on better-sqlite3, MikroORM's better-sqlite
//               driver, PrismaClient + adapter-better-sqlite3) or postgresql (a throwaway embedded server; raw = a
//               pg.Pool, Drizzle on node-postgres, MikroORM's postgresql driver, PrismaClient + adapter-pg); npm run bench:pg
//   --only      workloads to run, by letter (see WORKLOADS in workloads.ts):
//               a get by key, b same key x1000 in one session, c filter + order + limit 50, d lazy N+1 over 200 roles,
//               e eager select-in, f eager joined, g 10,000-row insert, h load 1,000 by id and rename, i requests, 50 in flight
//   --peers     peers to run (prismalchemy, drizzle, mikro-orm, prisma, raw)
//   --prepared  PostgreSQL: prismalchemy's engine with preparedStatements: true (server-side prepared statements)
//   --single-statement-commits  prismalchemy's engine with singleStatementCommits: true (a commit of one statement sends it
//               alone, in autocommit: the request workload's INSERT without BEGIN and COMMIT)
//   --rounds    timed rounds per workload (overrides the plan), e.g. to profile prismalchemy alone (the peer processes
//               inherit node's flags, so each writes its own profile; the verification process's is the first):
//               node --cpu-prof --cpu-prof-dir=.tmp/profiles dist-examples/bench/run.js --only=a --peers=prismalchemy --rounds=30
//               then summarise with dist-examples/bench/cpu-profile-top.js
// Before timing, every peer runs every workload once on fixed inputs in a process of its own; their rows
// (and rows written, read back) must match the raw driver's, so a peer doing less work cannot win.
import { parseArgs } from 'node:util'
import { parseBenchDb } from './db-option.js'
import { createFixture, type Fixture } from './fixture.js'
import { median, progress as progressLine, type Timing } from './measure.js'
import type { PeerTarget } from './open-peer.js'
import { PEER_NAMES, type PeerName } from './peer.js'
import type { Job, VerifyResult } from './peer-process.js'
import { PeerRunner } from './peer-runner.js'
import { generatePrismaClient } from './prisma-peer.js'
import { RAW_SQL } from './raw-peer.js'
import { RAW_PG_SQL } from './raw-pg-peer.js'
import { describeMachine, formatMicros, formatRatio, formatStatementCount, formatTable, queriesOf } from './table.js'
import { DATA, IN_FLIGHT, INSERT_ROWS, RENAMED_USERS, REPEATED_GETS, REQUESTS, ROLES_PER_LOAD, SEED, WORKLOAD_KEYS, WORKLOADS, type WorkloadContext, type WorkloadKey } from './workloads.js'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: WORKLOAD_KEYS.join(',') },
    peers: { type: 'string', default: PEER_NAMES.join(',') },
    rounds: { type: 'string' },
    db: { type: 'string', default: 'sqlite' },
    prepared: { type: 'boolean', default: false },
    'single-statement-commits': { type: 'boolean', default: false },
  },
})
const benchDb = parseBenchDb(args.db)
const mode = args.quick ? 'quick' : 'full'
const listed = <T extends string>(value: string, allowed: readonly T[], option: string): T[] => {
  const items = value.split(',').map((s) => s.trim())
  for (const item of items) if (!(allowed as readonly string[]).includes(item)) throw new Error(`--${option}=${item}: expected some of ${allowed.join(', ')}`)
  return allowed.filter((item) => items.includes(item))
}
const workloads = listed(args.only!, WORKLOAD_KEYS, 'only')
const peers = listed(args.peers!, PEER_NAMES, 'peers')
/** The TypeScript ORMs prismalchemy is compared with (the "best peer" is the fastest of them). */
const OTHER_ORMS: readonly PeerName[] = ['drizzle', 'mikro-orm', 'prisma']
const LOADING: readonly WorkloadKey[] = ['d', 'e', 'f']
const WRITING: readonly WorkloadKey[] = ['g', 'h', 'i']
const runStarted = Date.now()

/** A progress line on stderr, prefixed with the time since the run started. */
function progress(message: string): void {
  const seconds = Math.round((Date.now() - runStarted) / 1000)
  progressLine(`[${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}] ${message}`)
}

function peerTarget(fixture: Fixture, options: { lazyModels: boolean; relationJoins: boolean }): PeerTarget {
  return { db: fixture.db, url: fixture.url, file: fixture.db === 'sqlite' ? fixture.file : undefined, prepared: args.prepared!, singleStatementCommits: args['single-statement-commits']!, ...options }
}

/** Untimed: every peer runs every workload once in a process of its own; each summary must equal the raw driver's (or the first peer's). */
async function verifyAll(fixture: Fixture, context: WorkloadContext): Promise<Map<PeerName, VerifyResult>> {
  const results = new Map<PeerName, VerifyResult>()
  for (const peer of peers) {
    progress(`verifying ${peer} (every workload once, its own process)...`)
    const job: Job = { peer, target: peerTarget(fixture, { lazyModels: true, relationJoins: true }), context, mode: 'verify', workloads }
    results.set(peer, (await new PeerRunner(job, fixture).expect('done')).verified!)
  }
  const reference = results.get('raw') ?? results.get(peers[0])!
  const mismatches: string[] = []
  for (const key of workloads) {
    const expected = reference.digests[key]
    for (const [peer, result] of results) {
      const got = result.digests[key]
      if (got !== 'n/a' && got !== expected) mismatches.push(`(${key}) ${peer}: ${got}\n     expected: ${expected}`)
    }
  }
  if (mismatches.length > 0) throw new Error(`Peers returned different rows:\n${mismatches.join('\n')}`)
  return results
}

/** One peer's figures for one workload. */
interface PeerTiming {
  readonly describe: string
  /** µs per unit, per round and their median; absent when the peer lacks the workload. */
  readonly timing?: Timing
  /** RSS right after opening the peer, and the process's high-water mark at the end, MiB. */
  readonly setupRssMb: number
  readonly peakRssMb: number
}

/** Results of the timing pass, by workload then peer. */
type Timings = Map<WorkloadKey, Map<PeerName, PeerTiming>>

/**
 * Times one workload: a process per peer, each warmed up in turn; then round 1 of every peer, round 2
 * of every peer, ... (the order rotating), so that changes in the machine's load hit every peer alike.
 */
async function timeWorkload(key: WorkloadKey, fixture: Fixture, context: WorkloadContext, offset: number): Promise<Map<PeerName, PeerTiming>> {
  const plan = { ...WORKLOADS[key].plans[mode], ...(args.rounds ? { rounds: Number(args.rounds) } : {}) }
  const lineUp = peers.map((_, i) => peers[(i + offset) % peers.length])
  const running: { peer: PeerName; runner: PeerRunner; ready: { describe: string; setupRssMb: number; supported: boolean }; rounds: number[] }[] = []
  try {
    for (const peer of lineUp) {
      progress(`${WORKLOADS[key].title}: warming up ${peer}...`)
      const target = peerTarget(fixture, { lazyModels: LOADING.includes(key), relationJoins: key === 'f' })
      const runner = new PeerRunner({ peer, target, context, mode: 'time', workloads: [key], plan }, fixture)
      running.push({ peer, runner, ready: await runner.expect('ready'), rounds: [] })
    }
    const timed = running.filter((entry) => entry.ready.supported)
    for (let round = 0; round < plan.rounds; round++) {
      for (let i = 0; i < timed.length; i++) {
        const entry = timed[(i + round) % timed.length]
        entry.runner.send({ type: 'round' })
        entry.rounds.push((await entry.runner.expect('round-done')).us)
      }
    }
    const results = new Map<PeerName, PeerTiming>()
    for (const { peer, runner, ready, rounds } of running) {
      runner.send({ type: 'finish' })
      const { peakRssMb } = await runner.expect('done')
      results.set(peer, { describe: ready.describe, setupRssMb: ready.setupRssMb, peakRssMb, ...(ready.supported ? { timing: { rounds, median: median(rounds) } } : {}) })
    }
    const figures = peers.map((peer) => `${peer} ${formatMicros(results.get(peer)!.timing?.median)}`)
    progress(`${WORKLOADS[key].title}, µs/${WORKLOADS[key].unit}: ${figures.join(', ')}`)
    return results
  } catch (error) {
    for (const { runner } of running) runner.kill()
    throw error
  }
}

/** Times every workload; the peers' warm-up order rotates from one workload to the next. */
async function timeAll(fixture: Fixture, context: WorkloadContext): Promise<Timings> {
  const timings: Timings = new Map()
  for (const [index, key] of workloads.entries()) {
    timings.set(key, await timeWorkload(key, fixture, context, index))
    if (WRITING.includes(key)) await (key === 'h' ? fixture.restoreRenamedUsers() : fixture.resetUsers())
  }
  return timings
}

/** Distinct SQL texts, without transaction control. */
function distinctQueries(statements: readonly string[] | undefined): Set<string> {
  return new Set(queriesOf(statements) ?? [])
}

/** The statements the raw peer sends in each workload's verification run, to compare with prismalchemy's. */
function rawStatements(key: WorkloadKey): string[] {
  const sql = benchDb === 'sqlite' ? RAW_SQL : RAW_PG_SQL
  const expected: Record<WorkloadKey, string[]> = {
    a: [sql.getByPk],
    b: [sql.getByPk],
    c: [sql.usersPage],
    d: [sql.rolesBetween, sql.usersOfRole],
    e: [sql.rolesBetween, sql.usersOfRoles(ROLES_PER_LOAD)],
    f: [sql.rolesJoined],
    g: [sql.insertRows(500), sql.insertRows(100)],
    h: [sql.usersByIds(RENAMED_USERS), sql.rename, sql.getByPk],
    i: [sql.roleByName, sql.insertRows(1), sql.getByPk],
  }
  return expected[key]
}

function sameSet(a: ReadonlySet<string>, b: readonly string[]): boolean {
  return a.size === new Set(b).size && b.every((item) => a.has(item))
}

function printReport(timings: Timings, verified: Map<PeerName, VerifyResult>, fixture: Fixture, started: number): void {
  const medianOf = (key: WorkloadKey, peer: PeerName) => timings.get(key)?.get(peer)?.timing?.median
  console.log(`\nprismalchemy benchmark, issue 15 (${mode} run): ${DATA.roles} roles x ${DATA.usersPerRole} users (${fixture.maxUserId} users), ${fixture.description}`)
  console.log(`${describeMachine()}; a process per peer and workload, rounds interleaved across peers (each after one untimed operation); median of rounds; inputs from seed ${SEED}`)
  console.log('peers:')
  for (const peer of peers) console.log(`  ${peer.padEnd(12)} ${verified.get(peer)!.describe}`)
  console.log('')

  const rows = workloads.map((key) => {
    const pa = medianOf(key, 'prismalchemy')
    const others = OTHER_ORMS.filter((peer) => medianOf(key, peer) !== undefined)
    const best = others.sort((a, b) => medianOf(key, a)! - medianOf(key, b)!)[0]
    return [
      WORKLOADS[key].title,
      `µs/${WORKLOADS[key].unit}`,
      ...peers.map((peer) => formatMicros(medianOf(key, peer))),
      formatRatio(pa, medianOf(key, 'raw')),
      best ?? 'n/a',
      formatRatio(pa, best && medianOf(key, best)),
    ]
  })
  console.log(formatTable(['workload', 'unit', ...peers, 'pa/raw', 'best peer', 'pa/best'], rows))
  console.log('pa/raw: prismalchemy / raw driver; pa/best: prismalchemy / the fastest of Drizzle, MikroORM, PrismaClient (below 1: prismalchemy is ahead).')
  console.log('')
  console.log('each peer / raw driver:')
  console.log(formatTable(['workload', ...peers], workloads.map((key) => [WORKLOADS[key].title, ...peers.map((peer) => formatRatio(medianOf(key, peer), medianOf(key, 'raw')))])))
  console.log('')
  console.log("peak RSS of the peer's process, MiB (high-water mark over opening the peer, warm-up and rounds; RSS right after opening in brackets):")
  const memory = (key: WorkloadKey, peer: PeerName) => {
    const result = timings.get(key)?.get(peer)
    return result === undefined ? 'n/a' : result.timing === undefined ? 'n/a' : `${result.peakRssMb.toFixed(0)} (${result.setupRssMb.toFixed(0)})`
  }
  console.log(formatTable(['workload', ...peers], workloads.map((key) => [WORKLOADS[key].title, ...peers.map((peer) => memory(key, peer))])))
  console.log('')
  console.log('range over rounds (min-max, same units):')
  for (const key of workloads) {
    const ranges = peers.map((peer) => {
      const timing: Timing | undefined = timings.get(key)?.get(peer)?.timing
      return timing ? `${peer} ${formatMicros(Math.min(...timing.rounds))}-${formatMicros(Math.max(...timing.rounds))}` : `${peer} n/a`
    })
    console.log(`  (${key}) ${ranges.join(', ')}`)
  }
  console.log('')
  console.log('workloads (one operation; the time is per unit):')
  console.log(`  (b) one session, ${REPEATED_GETS} gets of one key (Drizzle, PrismaClient and raw query each time; prismalchemy and MikroORM hit their identity map after the first);`)
  console.log(`  (c) a role's users, ordered by username, first 50; (d)-(f) ${ROLES_PER_LOAD} consecutive roles by id with their ${DATA.usersPerRole} users each;`)
  console.log('  (d) each role\'s users loaded lazily one role after the other (prismalchemy @lazy(select), MikroORM Collection.loadItems(); Drizzle,')
  console.log('      PrismaClient and raw: a query per role); (e) select-in (Drizzle: its relational query `with`, one statement); (f) one statement with a')
  console.log(`      join (Drizzle: the same relational query; PrismaClient: relationLoadStrategy 'join', PostgreSQL only, relationJoins preview);`)
  console.log(`  (g) ${INSERT_ROWS} new users in one commit (PrismaClient: createManyAndReturn; Drizzle: insert ... returning per 500 rows);`)
  console.log(`  (h) ${RENAMED_USERS} random users by id (one IN query), each renamed, one commit; (i) ${REQUESTS} requests, ${IN_FLIGHT} in flight: (scope,) role by name, new user in it, commit.`)
  const statements = verified.get('prismalchemy')?.statements
  if (statements !== undefined) {
    const counts = workloads.map((key) => `${key} ${statements[key] ? formatStatementCount(statements[key]!) : 'n/a'}`)
    console.log(`prismalchemy statements in the verification run (g: 600 rows, h: ${RENAMED_USERS} renames + 5 reads, i: 100 requests + 100 reads): ${counts.join('; ')}`)
    const same = workloads.map((key) => `${key} ${sameSet(distinctQueries(statements[key]), rawStatements(key)) ? 'yes' : 'NO'}`)
    console.log(`the raw peer sends prismalchemy's SQL texts: ${same.join(', ')}`)
  }
  if (benchDb === 'postgresql') {
    console.log("A prismalchemy session's reads before its first write run in autocommit (no BEGIN/ROLLBACK); raw pg reads with node-postgres' default parsers.")
  }
  console.log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

async function main(): Promise<void> {
  progress(`${benchDb === 'postgresql' ? 'starting PostgreSQL, ' : ''}seeding ${DATA.roles} roles x ${DATA.usersPerRole} users...`)
  const fixture = await createFixture({ users: DATA.roles * DATA.usersPerRole, usersPerRole: DATA.usersPerRole }, benchDb)
  try {
    const context: WorkloadContext = { roles: fixture.roles, maxUserId: fixture.maxUserId }
    if (peers.includes('prismalchemy')) {
      progress('generating the @lazy(select) variant of the models...')
      await (await import('./lazy-models.js')).writeLazyModels()
    }
    if (peers.includes('prisma')) {
      progress('generating PrismaClient...')
      generatePrismaClient(benchDb)
      if (benchDb !== 'sqlite') generatePrismaClient(benchDb, true)
    }
    const verified = await verifyAll(fixture, context)
    const timings = await timeAll(fixture, context)
    printReport(timings, verified, fixture, runStarted)
  } finally {
    await fixture.remove()
  }
}

await main()
