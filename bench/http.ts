/** The HTTP benchmark: one small Express app (get a role by name, add a user, commit) with prismalchemy and with plain PrismaClient, requests/second side by side. */
// Usage: npm run bench:http [-- --quick] [-- --apps=prismalchemy,prisma] [-- --connections=50] [-- --seconds=10] [-- --rounds=3] [-- --db=postgresql]
//   --quick        a short run (1 s warm-up, one 3 s round per app), for a smoke test
//   --db           sqlite (default) or postgresql (a throwaway embedded server; PrismaClient gets adapter-pg); npm run bench:http:pg
//   --apps         implementations to run: prismalchemy (middleware + db.session), pa-no-scope (db.Session.begin), prisma, raw (the driver alone: the ceiling)
//   --connections  keep-alive connections of the load generator, one request in flight each
//   --seconds      length of one timed round; --rounds: timed rounds per app (alternating order)
// Each app runs in its own child process (the server) while autocannon runs in this one, on the same
// database; users added by a round are deleted (and the WAL checkpointed, or the table vacuumed) before the next round.
import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { parseBenchDb } from './db-option.js'
import { createFixture, type Fixture } from './fixture.js'
import { HTTP_APP_NAMES, type CreatedUser, type HttpAppName } from './http-apps.js'
import { runLoad, type LoadResult } from './http-load.js'
import { generatePrismaClient } from './prisma-peer.js'
import { formatRatio, formatTable } from './table.js'

const USERS = 1_000
const USERS_PER_ROLE = 50

const PLANS = {
  full: { warmup: 3, seconds: 10, rounds: 3 },
  quick: { warmup: 1, seconds: 3, rounds: 1 },
}

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    apps: { type: 'string', default: HTTP_APP_NAMES.join(',') },
    connections: { type: 'string', default: '50' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    db: { type: 'string', default: 'sqlite' },
  },
})
const benchDb = parseBenchDb(args.db)
const plan = { ...PLANS[args.quick ? 'quick' : 'full'] }
if (args.seconds) plan.seconds = Number(args.seconds)
if (args.rounds) plan.rounds = Number(args.rounds)
const connections = Number(args.connections)
const apps = args.apps!.split(',').map((s) => s.trim()) as HttpAppName[]
for (const app of apps) if (!HTTP_APP_NAMES.includes(app)) throw new Error(`Unknown app ${app}; expected ${HTTP_APP_NAMES.join(', ')}`)

const HERE = dirname(fileURLToPath(import.meta.url))

/** A running child server. */
interface Server {
  readonly name: HttpAppName
  readonly base: string
  readonly child: ChildProcess
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`)
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`Sanity check failed: ${message}`)
}

/** Starts `http-server.js` for one app and waits for the port it prints. */
async function startServer(name: HttpAppName, url: string): Promise<Server> {
  const child = spawn(process.execPath, [join(HERE, 'http-server.js'), name, url], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout! })
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port))
    child.once('exit', (code) => reject(new Error(`${name} server exited with ${code} before listening`)))
  })
  return { name, base: `http://127.0.0.1:${port}`, child }
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return
  const exited = new Promise((resolve) => server.child.once('exit', resolve))
  server.child.kill('SIGTERM')
  await exited
}

/** One request through each app before timing: 201, the right role, and exactly one row written. */
async function sanityCheck(server: Server, fixture: Fixture): Promise<void> {
  const response = await fetch(`${server.base}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: `check-${server.name}`, role: 'role3' }),
  })
  const body = (await response.json()) as CreatedUser
  check(response.status === 201 && body.roleId === 3 && body.username === `check-${server.name}` && body.id > fixture.maxUserId, `${server.name} answered ${response.status} ${JSON.stringify(body)}`)
  const missing = await fetch(`${server.base}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'x', role: 'nope' }) })
  check(missing.status === 404, `${server.name} answered ${missing.status} for an unknown role`)
  check((await fixture.resetUsers()) === 1, `${server.name} did not write exactly one row`)
}

/**
 * One load run; afterwards the rows written must match the 2xx responses (then they are deleted).
 * Requests still in flight when autocannon stops (at most one per connection) commit on the server
 * but their responses are not counted, so up to `connections` more rows than 2xx are expected.
 */
async function measure(server: Server, fixture: Fixture, seconds: number, prefix: string): Promise<LoadResult> {
  const result = await runLoad({ url: server.base, connections, seconds, prefix, roles: fixture.roles })
  await new Promise((resolve) => setTimeout(resolve, 100)) // let the cut-off requests finish
  const written = await fixture.resetUsers()
  check(written >= result.ok && written <= result.ok + connections, `${server.name}: ${result.ok} responses were 2xx but ${written} rows were written`)
  return result
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1))

async function main(): Promise<void> {
  const started = Date.now()
  progress(`${benchDb === 'postgresql' ? 'starting PostgreSQL, ' : ''}seeding ${USERS} users, ${USERS / USERS_PER_ROLE} roles...`)
  const fixture = await createFixture({ users: USERS, usersPerRole: USERS_PER_ROLE }, benchDb)
  const servers: Server[] = []
  const results = new Map<HttpAppName, LoadResult[]>(apps.map((app) => [app, []]))
  const stats = new Map<HttpAppName, unknown>()
  try {
    if (apps.includes('prisma')) {
      progress('generating / loading PrismaClient...')
      generatePrismaClient(benchDb) // once here, so the child finds it cached
    }
    for (const app of apps) servers.push(await startServer(app, fixture.url))
    for (const server of servers) await sanityCheck(server, fixture)
    for (const server of servers) {
      progress(`warming up ${server.name} (${plan.warmup} s)...`)
      await measure(server, fixture, plan.warmup, `warm-${server.name}`)
    }
    for (let round = 0; round < plan.rounds; round++) {
      const order = servers.map((_, i) => servers[(i + round) % servers.length])
      for (const server of order) {
        progress(`round ${round + 1}/${plan.rounds}: ${server.name} (${plan.seconds} s, ${connections} connections)...`)
        results.get(server.name)!.push(await measure(server, fixture, plan.seconds, `r${round}-${server.name}`))
      }
    }
    for (const server of servers) stats.set(server.name, await (await fetch(`${server.base}/_stats`)).json())
  } finally {
    for (const server of servers) await stopServer(server).catch(() => undefined)
    await fixture.remove()
  }
  printReport(results, stats, fixture.description, started)
}

function printReport(results: Map<HttpAppName, LoadResult[]>, stats: Map<HttpAppName, unknown>, database: string, started: number): void {
  const titles: Record<HttpAppName, string> = {
    prismalchemy: 'prismalchemy (middleware + db.session)',
    'pa-no-scope': 'prismalchemy (db.Session.begin, no scope)',
    prisma: `PrismaClient 7.10 + adapter-${benchDb === 'sqlite' ? 'better-sqlite3' : 'pg'}`,
    raw: `raw driver (${benchDb === 'sqlite' ? 'better-sqlite3, one connection' : 'pg.Pool'}, prismalchemy's SQL): the ceiling`,
  }
  const prismaRps = results.get('prisma') ? median(results.get('prisma')!.map((r) => r.rps)) : undefined
  const rows = [...results].map(([name, runs]) => {
    const rps = runs.map((r) => r.rps)
    const sum = (pick: (r: LoadResult) => number) => String(runs.reduce((total, r) => total + pick(r), 0))
    return [
      titles[name],
      median(rps).toFixed(0),
      `${Math.min(...rps).toFixed(0)}-${Math.max(...rps).toFixed(0)}`,
      ms(median(runs.map((r) => r.p50))),
      ms(median(runs.map((r) => r.p99))),
      ms(Math.max(...runs.map((r) => r.max))),
      sum((r) => r.ok),
      sum((r) => r.non2xx),
      sum((r) => r.errors),
      formatRatio(median(rps), prismaRps),
    ]
  })
  const mode = args.quick ? 'quick' : 'full'
  console.log(`\nHTTP benchmark (${mode} run): Express ${expressVersion()}, POST /users = get role by name, add user, commit; ${database}`)
  console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; server in a child process, autocannon (${connections} connections) in this one`)
  console.log(`${plan.rounds} round(s) of ${plan.seconds} s per app after a ${plan.warmup} s warm-up, alternating order; median over rounds, latency in ms\n`)
  console.log(formatTable(['app', 'req/s', 'range', 'p50', 'p99', 'max', '2xx', 'non-2xx', 'errors', 'vs Prisma'], rows))
  console.log('max includes the first request on each fresh connection (the first ~0.5 s of a round, while 50 sockets connect);')
  console.log('p99 does not depend on it.')
  console.log('')
  for (const [name, value] of stats) console.log(`after the runs, ${name}: ${JSON.stringify(value)}`)
  console.log('checked after each round: rows written = 2xx responses (+ at most one cut-off request per connection); usernames unique per request.')
  console.log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

function expressVersion(): string {
  return (createRequire(import.meta.url)('express/package.json') as { version: string }).version
}

await main()
