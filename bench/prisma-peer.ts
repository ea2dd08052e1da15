/** The PrismaClient peer: generates a loadable client offline (prisma-client-js, CommonJS) and opens it with the better-sqlite3 or pg adapter. */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { PrismaPg } from '@prisma/adapter-pg'
import { benchDbOf, type BenchDb } from './db-option.js'
import { REPO_ROOT } from './paths.js'
import { PG_POOL_MAX } from './postgres-server.js'
import { generatePrismaClientFor } from './prisma-inline-client.js'
import { renamed, type LoadedRole, type NewUserRow, type Peer, type UserSummary } from './peer.js'

/** A user row as PrismaClient returns it (every column; the ones compared between peers typed). */
interface UserRow {
  id: number
  username: string
  roleId: number | null
}

/** A role with its users (`include: { users: true }`). */
interface RoleWithUsers {
  id: number
  users: UserRow[]
}

/** The query arguments the benchmark passes, loosely typed (the generated types are not visible to the benchmark's compilation). */
type Args = Record<string, unknown>

/** The parts of a generated PrismaClient the benchmark calls. */
interface PrismaClientLike {
  $connect(): Promise<void>
  $disconnect(): Promise<void>
  $queryRawUnsafe<T = unknown>(sql: string, ...values: unknown[]): Promise<T>
  $transaction<T>(operations: Promise<T>[]): Promise<T[]>
  role: {
    findMany(args: Args): Promise<RoleWithUsers[]>
    findUnique(args: Args): Promise<{ id: number; name: string } | null>
  }
  user: {
    findUnique(args: Args): Promise<UserRow | null>
    findMany(args: Args): Promise<UserRow[]>
    createManyAndReturn(args: Args): Promise<UserRow[]>
    create(args: Args): Promise<UserRow>
    update(args: Args): Promise<UserRow>
  }
}

type PrismaClientClass = new (options: { adapter: PrismaBetterSqlite3 | PrismaPg }) => PrismaClientLike

/** The preview feature that gives PostgreSQL (and MySQL) clients `relationLoadStrategy: 'join'`. */
const RELATION_JOINS = 'relationJoins'

const SCHEMA = join(REPO_ROOT, 'schema', 'schema.prisma')

/**
 * Generates (or reuses) the client for the repository's schema/schema.prisma on `provider`; returns the folder of its `index.js`.
 *
 * @param relationJoins With the `relationJoins` preview feature (PostgreSQL and MySQL only).
 */
export function generatePrismaClient(provider: BenchDb, relationJoins = false): string {
  return generatePrismaClientFor(readFileSync(SCHEMA, 'utf8'), provider, relationJoins ? [RELATION_JOINS] : [])
}

/**
 * The driver adapter PrismaClient gets for `url`: `PrismaBetterSqlite3` for a `file:` URL (one
 * connection, its defaults), `PrismaPg` for a `postgresql://` URL (a pg.Pool as large as
 * prismalchemy's, in UTC like prismalchemy's pool).
 */
export function prismaAdapterFor(url: string): PrismaBetterSqlite3 | PrismaPg {
  return benchDbOf(url) === 'sqlite' ? new PrismaBetterSqlite3({ url }) : new PrismaPg({ connectionString: url, max: PG_POOL_MAX, options: '-c TimeZone=UTC' })
}

/** PrismaClient 7 with `@prisma/adapter-better-sqlite3` or `@prisma/adapter-pg`, the way Prisma documents it. */
export class PrismaPeer implements Peer {
  readonly name = 'prisma' as const
  /** `relationLoadStrategy: 'join'`: only with the `relationJoins` preview feature, which SQLite lacks. */
  readonly rolesJoined?: (first: number, last: number) => Promise<LoadedRole[]>

  private constructor(
    private readonly client: PrismaClientLike,
    private readonly db: BenchDb,
    private readonly relationJoins: boolean,
  ) {
    if (relationJoins) this.rolesJoined = (first, last) => this.loadRoles(first, last, 'join')
  }

  /**
   * Generates (or reuses) the client for `db`, opens it on `url` with {@link prismaAdapterFor} and
   * connects. On SQLite the file is already in WAL mode (a property of the file) and `synchronous`
   * is set to NORMAL, like the other peers, so commits cost the same.
   *
   * @param relationJoins PostgreSQL: a client generated with the `relationJoins` preview feature, so
   *   that (f) can load with one JOIN; (e) then asks for `relationLoadStrategy: 'query'`, the default without it.
   */
  static async open(url: string, db: BenchDb, relationJoins = false): Promise<PrismaPeer> {
    const joins = relationJoins && db !== 'sqlite'
    const require = createRequire(import.meta.url)
    const { PrismaClient } = require(join(generatePrismaClient(db, joins), 'index.js')) as { PrismaClient: PrismaClientClass }
    const client = new PrismaClient({ adapter: prismaAdapterFor(url) })
    await client.$connect()
    if (db === 'sqlite') await client.$queryRawUnsafe('PRAGMA synchronous = NORMAL')
    return new PrismaPeer(client, db, joins)
  }

  getUser(id: number): Promise<UserRow | null> {
    return this.client.user.findUnique({ where: { id } })
  }

  /** No identity map: `findUnique` again, each time. */
  async getUserRepeatedly(id: number, times: number): Promise<UserRow | null> {
    let user: UserRow | null = null
    for (let i = 0; i < times; i++) user = await this.client.user.findUnique({ where: { id } })
    return user
  }

  usersPage(roleId: number): Promise<UserRow[]> {
    return this.client.user.findMany({ where: { roleId }, orderBy: { username: 'asc' }, take: 50 })
  }

  /** No lazy loading: the roles, then `user.findMany` per role. */
  async rolesLazy(first: number, last: number): Promise<LoadedRole[]> {
    const roles = await this.client.role.findMany({ where: { id: { gte: first, lte: last } }, orderBy: { id: 'asc' } })
    const loaded: LoadedRole[] = []
    for (const role of roles) loaded.push({ id: role.id, users: await this.client.user.findMany({ where: { roleId: role.id } }) })
    return loaded
  }

  /** `include: { users: true }`: the roles, then their users in one query (Prisma's `query` strategy). */
  rolesSelectin(first: number, last: number): Promise<LoadedRole[]> {
    return this.loadRoles(first, last, 'query')
  }

  /** `createManyAndReturn`: inserts and returns every created row, as a unit of work leaves objects with their ids. */
  insertUsers(rows: readonly NewUserRow[]): Promise<UserRow[]> {
    return this.client.user.createManyAndReturn({ data: rows })
  }

  /** `findMany` with `in`, then one `update` per user in one `$transaction([...])`. */
  async renameUsers(ids: readonly number[], tag: string): Promise<UserRow[]> {
    const users = await this.client.user.findMany({ where: { id: { in: ids } } })
    return this.client.$transaction(users.map((user) => this.client.user.update({ where: { id: user.id }, data: { username: renamed(user.username, tag) } })))
  }

  /** `role.findUnique` by name, then `user.create`. */
  async addUserToRole(username: string, roleName: string): Promise<number> {
    const role = await this.client.role.findUnique({ where: { name: roleName } })
    if (role === null) throw new Error(`No role named ${roleName}`)
    return (await this.client.user.create({ data: { username, roleId: role.id } })).id
  }

  summarize(user: unknown): UserSummary {
    const { id, username, roleId } = user as UserRow
    return { id, username, roleId }
  }

  async describe(): Promise<string> {
    if (this.db === 'postgresql') {
      return `PrismaClient 7.10 (prisma-client-js; for (f) generated with the relationJoins preview) + @prisma/adapter-pg: pg.Pool (max ${PG_POOL_MAX}), unnamed statements (the default)`
    }
    const [journal] = await this.client.$queryRawUnsafe<{ journal_mode: string }[]>('PRAGMA journal_mode')
    const [sync] = await this.client.$queryRawUnsafe<{ synchronous: unknown }[]>('PRAGMA synchronous')
    return `PrismaClient 7.10 (prisma-client-js) + @prisma/adapter-better-sqlite3: ${journal.journal_mode}, synchronous=${String(sync.synchronous)}, one connection`
  }

  close(): Promise<void> {
    return this.client.$disconnect()
  }

  /** The roles with `include: { users: true }`; `relationLoadStrategy` is passed only where the client knows it. */
  private loadRoles(first: number, last: number, strategy: 'query' | 'join'): Promise<LoadedRole[]> {
    const args: Args = { where: { id: { gte: first, lte: last } }, orderBy: { id: 'asc' }, include: { users: true } }
    return this.client.role.findMany(this.relationJoins ? { ...args, relationLoadStrategy: strategy } : args)
  }
}
