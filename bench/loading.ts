/** The N+1 benchmark: 200 roles with 10 users each, "load all roles, then each role's users", per loading strategy, with statement counts. */
// Usage: npm run bench:loading [-- --quick] [-- --db=postgresql]
//   --quick   a short run (fewer rounds), for a smoke test
//   --db      sqlite (default: one file) or postgresql (a throwaway embedded server); npm run bench:loading:pg
// One database, one data set, read by: prismalchemy (lazy select awaited one by one, lazy select
// started together, selectin, joinedload), PrismaClient (findMany with include, on the better-sqlite3
// or pg adapter) and the raw driver (better-sqlite3 or a pg.Pool: the floor).
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { createEngine, joinedload, Session, type Engine, type Model } from 'prismalchemy'
import type { ModelRegistry } from 'prismalchemy/internal'
import { parseRunOptions } from './db-option.js'
import { createInlineTables, inSession, loadInlineModels } from './inline-models.js'
import { captureEngine, check, compare, progress, type Contender, type Plan, type Statements } from './measure.js'
import { TMP_DIR } from './paths.js'
import { PG_POOL_MAX, withScratchDatabase } from './postgres-server.js'
import { capturePrismaStatements, loadPrismaClientClass, type PrismaClientBase, type PrismaClientClass } from './prisma-inline-client.js'
import { prismaAdapterFor } from './prisma-peer.js'
import { numbered } from './raw-pg-peer.js'
import { formatSentSql, formatTimingRow, printTimingReport, queriesOf, shortenSql, TRANSACTION_CONTROL } from './table.js'

const ROLES = 200
const USERS_PER_ROLE = 10

/** The inline schema; `{{usersLoading}}` is the loading strategy of `Role.users` (doc comments only: every variant has the same tables). */
const SCHEMA_TEMPLATE = `datasource db {
  provider = "sqlite"
}

model Role {
  id    Int    @id @default(autoincrement())
  name  String @unique
  /// @lazy({{usersLoading}})
  users User[]
}

model User {
  id     Int    @id @default(autoincrement())
  name   String
  email  String
  roleId Int
  /// @lazy(select)
  role   Role   @relation(fields: [roleId], references: [id])

  @@index([roleId])
}
`
const schemaWith = (usersLoading: 'select' | 'selectin') => SCHEMA_TEMPLATE.replace('{{usersLoading}}', usersLoading)

/** Run sizes; one operation is one whole workload (all roles, then all their users). */
const PLANS: Record<'full' | 'quick', Plan> = {
  full: { warmup: 100, rounds: 25, opsPerRound: 40 },
  quick: { warmup: 20, rounds: 3, opsPerRound: 10 },
}

const { mode, db: benchDb } = parseRunOptions()
const plan = PLANS[mode]

/** The generated classes, typed loosely: the schema is generated at run time. */
type RoleObject = Model & { id: number; users: Promise<UserObject[]> }
type UserObject = Model & { id: number; roleId: number }
interface Classes {
  Role: new (init?: object) => RoleObject
  User: new (init?: object) => UserObject
}
const classesOf = (registry: ModelRegistry) => registry.classes as unknown as Classes

/** The parts of the generated PrismaClient the benchmark calls. */
interface PrismaClientLike extends PrismaClientBase {
  role: { findMany(args: { include: { users: true } }): Promise<{ id: number; users: { id: number }[] }[]> }
}

/**
 * What one workload computes, identical for every contender: the sum over roles of
 * role id × (sum of its users' ids). A user grouped under the wrong role changes it.
 */
function checksumOf(roleId: number, userIds: number): number {
  return roleId * userIds
}

function sumIds(users: readonly { id: number }[]): number {
  let sum = 0
  for (const user of users) sum += user.id
  return sum
}

/** One row of the report. */
interface Strategy {
  readonly key: string
  readonly title: string
  /** Runs one whole workload; returns its checksum. Absent: not implemented ("not yet"). */
  readonly run?: () => Promise<number> | number
  /** Untimed: runs the workload once and returns the statements it sent (undefined when they cannot be observed). */
  readonly capture?: () => Promise<Statements | undefined>
}

/** Seeds ROLES roles with USERS_PER_ROLE users each through one prismalchemy unit of work. */
async function seed(engine: Engine, { Role, User }: Classes): Promise<void> {
  const session = new Session({ bind: engine })
  for (let r = 1; r <= ROLES; r++) {
    const role = new Role({ name: `role${r}` })
    session.add(role)
    for (let u = 1; u <= USERS_PER_ROLE; u++) {
      const name = `user${r}-${u}`
      session.add(new User({ name, email: `${name}@example.com`, role }))
    }
  }
  await session.commit()
  await session.close()
}

/** prismalchemy strategies over one engine; `select` and `selectin` are two model sets generated from the two schema variants. */
function prismalchemyStrategies(engine: Engine, select: Classes, selectin: Classes): Strategy[] {
  const awaitedOneByOne = () =>
    inSession(engine, async (session) => {
      const roles = await session.query(select.Role).all()
      let checksum = 0
      for (const role of roles) checksum += checksumOf(role.id, sumIds(await role.users))
      return checksum
    })
  const startedTogether = () =>
    inSession(engine, async (session) => {
      const roles = await session.query(select.Role).all()
      const users = await Promise.all(roles.map((role) => role.users))
      let checksum = 0
      for (let i = 0; i < roles.length; i++) checksum += checksumOf(roles[i].id, sumIds(users[i]))
      return checksum
    })
  const selectinLoaded = () =>
    inSession(engine, async (session) => {
      const roles = await session.query(selectin.Role).all()
      let checksum = 0
      for (const role of roles) checksum += checksumOf(role.id, sumIds(await role.users))
      return checksum
    })
  const joinedLoaded = () =>
    inSession(engine, async (session) => {
      const roles = await session.query(select.Role).options(joinedload('users')).all()
      let checksum = 0
      for (const role of roles) checksum += checksumOf(role.id, sumIds(await role.users))
      return checksum
    })
  const strategy = (key: string, title: string, run: () => Promise<number>): Strategy => ({
    key,
    title,
    run,
    capture: () => captureEngine(engine, run),
  })
  return [
    strategy('pa-select', 'prismalchemy @lazy(select), awaited one by one', awaitedOneByOne),
    strategy('pa-batched', 'prismalchemy @lazy(select), Promise.all (batched)', startedTogether),
    strategy('pa-selectin', 'prismalchemy @lazy(selectin)', selectinLoaded),
    strategy('pa-joined', "prismalchemy joinedload('users') (one LEFT OUTER JOIN)", joinedLoaded),
  ]
}

/** PrismaClient 7 with the better-sqlite3 or pg adapter: `role.findMany({ include: { users: true } })`. */
async function prismaStrategy(url: string): Promise<{ strategy: Strategy; close: () => Promise<void> }> {
  const PrismaClient = loadPrismaClientClass<PrismaClientClass<PrismaClientLike>>(schemaWith('select'), benchDb)
  // The timed client logs nothing; a second client, used once and untimed, emits query events to count statements.
  const client = new PrismaClient({ adapter: prismaAdapterFor(url) })
  await client.$connect()
  const run = async () => {
    let checksum = 0
    for (const role of await client.role.findMany({ include: { users: true } })) checksum += checksumOf(role.id, sumIds(role.users))
    return checksum
  }
  const capture = () => capturePrismaStatements(PrismaClient, prismaAdapterFor(url), (logging) => logging.role.findMany({ include: { users: true } }))
  return {
    strategy: { key: 'prisma', title: 'PrismaClient findMany({ include: { users: true } })', run, capture },
    close: () => client.$disconnect(),
  }
}

/** The SQL prismalchemy sends for the two statements (SQLite placeholders), which the raw contender sends too. */
const RAW_SQL = {
  roles: 'SELECT "id", "name" FROM "Role"',
  usersOfRoles: (count: number) =>
    `SELECT "id", "name", "email", "roleId" FROM "User" WHERE "roleId" IN (${Array.from({ length: count }, () => '?').join(', ')})`,
}

/** {@link RAW_SQL} with the placeholders of the database under test. */
const rawSql = benchDb === 'sqlite' ? RAW_SQL : { roles: RAW_SQL.roles, usersOfRoles: (count: number) => numbered(RAW_SQL.usersOfRoles(count)) }

/** The checksum of one workload from the raw rows: the roles, then their users fetched with one IN query, grouped by roleId. */
function groupedChecksum(roleRows: readonly { id: number }[], userRows: readonly { id: number; roleId: number }[]): number {
  const byRole = new Map<number, { id: number; roleId: number }[]>(roleRows.map((role) => [role.id, []]))
  for (const user of userRows) byRole.get(user.roleId)!.push(user)
  let checksum = 0
  for (const role of roleRows) checksum += checksumOf(role.id, sumIds(byRole.get(role.id)!))
  return checksum
}

/** better-sqlite3 directly, one connection, cached statements: the roles, then their users with one IN query, grouped by roleId. */
function rawStrategy(file: string): { strategy: Strategy; close: () => void } {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  const roles = db.prepare(RAW_SQL.roles)
  const inQueries = new Map<number, Database.Statement>()
  const usersOfRoles = (count: number) => {
    let statement = inQueries.get(count)
    if (statement === undefined) inQueries.set(count, (statement = db.prepare(RAW_SQL.usersOfRoles(count))))
    return statement
  }
  let sent: Statements | undefined
  const run = () => {
    const roleRows = roles.all() as { id: number; name: string }[]
    sent?.push(RAW_SQL.roles)
    const ids = roleRows.map((role) => role.id)
    const userRows = usersOfRoles(ids.length).all(ids) as { id: number; roleId: number }[]
    sent?.push(RAW_SQL.usersOfRoles(ids.length))
    return groupedChecksum(roleRows, userRows)
  }
  const capture = async () => {
    sent = []
    try {
      run()
      return sent
    } finally {
      sent = undefined
    }
  }
  return { strategy: { key: 'raw', title: 'raw better-sqlite3, 2 statements (floor)', run, capture }, close: () => db.close() }
}

/** node-postgres directly, a pool as large as prismalchemy's, rows as arrays: the roles, then their users with one IN query, grouped by roleId. */
function rawPgStrategy(url: string): { strategy: Strategy; close: () => Promise<void> } {
  const pool = new pg.Pool({ connectionString: url, max: PG_POOL_MAX, options: '-c TimeZone=UTC' })
  let sent: Statements | undefined
  const run = async () => {
    const roles = await pool.query<[number, string]>({ text: rawSql.roles, rowMode: 'array' })
    sent?.push(rawSql.roles)
    const roleRows = roles.rows.map(([id]) => ({ id }))
    const ids = roleRows.map((role) => role.id)
    const users = await pool.query<[number, string, string, number]>({ text: rawSql.usersOfRoles(ids.length), values: ids, rowMode: 'array' })
    sent?.push(rawSql.usersOfRoles(ids.length))
    return groupedChecksum(roleRows, users.rows.map(([id, , , roleId]) => ({ id, roleId })))
  }
  const capture = async () => {
    sent = []
    try {
      await run()
      return sent
    } finally {
      sent = undefined
    }
  }
  return { strategy: { key: 'raw', title: 'raw pg (pg.Pool), 2 statements (floor)', run, capture }, close: () => pool.end() }
}

async function main(): Promise<void> {
  const started = Date.now()
  const root = join(TMP_DIR, 'bench-loading')
  progress('generating models for the inline schema (select and selectin variants)...')
  const selectRegistry = await loadInlineModels(schemaWith('select'), join(root, 'select'))
  const selectinRegistry = await loadInlineModels(schemaWith('selectin'), join(root, 'selectin'))
  const select = classesOf(selectRegistry)
  const selectin = classesOf(selectinRegistry)

  progress(benchDb === 'postgresql' ? 'starting PostgreSQL...' : 'creating the SQLite file...')
  // The benchmark's database: a SQLite file under `.tmp/`, or database `bench_loading` on a throwaway PostgreSQL server.
  await withScratchDatabase(benchDb, { name: 'bench_loading', file: join(root, `loading-${process.pid}.db`) }, async (database, onClose) => {
    const { url } = database
    progress(`creating tables and seeding ${ROLES} roles x ${USERS_PER_ROLE} users...`)
    await createInlineTables(selectRegistry, url)
    const engine = createEngine(url)
    onClose(() => engine.dispose())
    await seed(engine, select)

    progress('generating / loading PrismaClient for the inline schema...')
    const prisma = await prismaStrategy(url)
    onClose(prisma.close)
    const raw = database.file === undefined ? rawPgStrategy(url) : rawStrategy(database.file)
    onClose(raw.close)
    const strategies = [...prismalchemyStrategies(engine, select, selectin), prisma.strategy, raw.strategy]
    const runnable = strategies.filter((s) => s.run !== undefined)

    // Untimed: every strategy computes the same checksum; count the statements each sends.
    const expected = await raw.strategy.run!()
    const statements = new Map<string, Statements | undefined>()
    for (const strategy of runnable) {
      check((await strategy.run!()) === expected, `${strategy.title} returned a different checksum`)
      statements.set(strategy.key, await strategy.capture?.())
    }
    const paSql = queriesOf(statements.get('pa-batched')) ?? []
    const sameSql = paSql.length === 2 && paSql[0] === rawSql.roles && paSql[1] === rawSql.usersOfRoles(ROLES)
    const lazyQueries = queriesOf(statements.get('pa-select'))?.length
    check(lazyQueries === ROLES + 1, `lazy select sent ${lazyQueries} queries, expected ${ROLES + 1}`)

    progress(`timing ${runnable.length} strategies (${plan.warmup} warm-up, ${plan.rounds} rounds x ${plan.opsPerRound} workloads)...`)
    const contenders: Contender<number>[] = runnable.map((s) => ({ name: s.key, run: s.run! }))
    const timings = await compare(contenders, plan, (_name, _batch, count) => Array.from({ length: count }, (_, i) => i))

    const rawMedian = timings.get('raw')?.median
    const anyTransaction = [...statements.values()].some((sent) => sent?.some((sql) => TRANSACTION_CONTROL.test(sql)))
    printTimingReport({
      heading: `N+1 loading benchmark (${mode} run): ${ROLES} roles x ${USERS_PER_ROLE} users; load all roles, then each role's users`,
      database: database.description,
      plan,
      unit: 'workload',
      firstColumn: 'strategy',
      rows: strategies.map((s) =>
        s.run === undefined ? [s.title, 'not yet', 'not yet', 'not yet', 'not yet'] : formatTimingRow(s.title, timings.get(s.key), statements.get(s.key), rawMedian),
      ),
      notes: [
        `prismalchemy: a fresh Session per workload; createEngine(url) defaults. PrismaClient: one client, @prisma/adapter-${benchDb === 'sqlite' ? 'better-sqlite3' : 'pg'}.`,
        ...(anyTransaction ? ['statements: queries sent; "+2 tx": plus BEGIN and ROLLBACK (the session\'s transaction), each a round trip.'] : []),
        `raw sends the SQL prismalchemy's batched load sends: ${sameSql ? 'yes' : 'NO'}`,
        ...formatSentSql(statements, ['pa-batched', 'pa-selectin', 'prisma'], (sql) => shortenSql(sql, 110, 80)),
      ],
      started,
    })
  })
}

await main()
