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
import type { NewUserRow, Peer } from './peer.js'

/** The parts of a generated PrismaClient the benchmark calls. */
interface PrismaClientLike {
  $connect(): Promise<void>
  $disconnect(): Promise<void>
  $queryRawUnsafe<T = unknown>(sql: string, ...values: unknown[]): Promise<T>
  user: {
    findUnique(args: { where: { id: number } }): Promise<unknown>
    findMany(args: { where: { roleId: number } }): Promise<unknown[]>
    createMany(args: { data: readonly NewUserRow[] }): Promise<{ count: number }>
    createManyAndReturn(args: { data: readonly NewUserRow[] }): Promise<unknown[]>
  }
}

type PrismaClientClass = new (options: { adapter: PrismaBetterSqlite3 | PrismaPg }) => PrismaClientLike

const SCHEMA = join(REPO_ROOT, 'schema', 'schema.prisma')

/** Generates (or reuses) the client for the repository's schema/schema.prisma on `provider`; returns the folder of its `index.js`. */
export function generatePrismaClient(provider: BenchDb): string {
  return generatePrismaClientFor(readFileSync(SCHEMA, 'utf8'), provider)
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
  private readonly client: PrismaClientLike
  private readonly db: BenchDb

  private constructor(client: PrismaClientLike, db: BenchDb) {
    this.client = client
    this.db = db
  }

  /**
   * Generates (or reuses) the client for `db`, opens it on `url` with {@link prismaAdapterFor} and
   * connects. On SQLite the file is already in WAL mode (a property of the file) and `synchronous`
   * is set to NORMAL, like the other peers, so commits cost the same.
   */
  static async open(url: string, db: BenchDb): Promise<PrismaPeer> {
    const require = createRequire(import.meta.url)
    const { PrismaClient } = require(join(generatePrismaClient(db), 'index.js')) as { PrismaClient: PrismaClientClass }
    const client = new PrismaClient({ adapter: prismaAdapterFor(url) })
    await client.$connect()
    if (db === 'sqlite') await client.$queryRawUnsafe('PRAGMA synchronous = NORMAL')
    return new PrismaPeer(client, db)
  }

  getByPk(id: number): Promise<unknown> {
    return this.client.user.findUnique({ where: { id } })
  }

  usersOfRole(roleId: number): Promise<unknown[]> {
    return this.client.user.findMany({ where: { roleId } })
  }

  /** `createMany`: inserts, returns only a count (no ids, no objects). */
  insertUsers(rows: readonly NewUserRow[]): Promise<{ count: number }> {
    return this.client.user.createMany({ data: rows })
  }

  /** `createManyAndReturn`: inserts and returns every created row, closer to a unit of work that leaves objects with their ids. */
  insertUsersAndReturn(rows: readonly NewUserRow[]): Promise<unknown[]> {
    return this.client.user.createManyAndReturn({ data: rows })
  }

  async describe(): Promise<string> {
    if (this.db === 'postgresql') return `PrismaClient 7.10 (prisma-client-js) + @prisma/adapter-pg: pg.Pool (max ${PG_POOL_MAX}), unnamed statements (the default)`
    const [journal] = await this.client.$queryRawUnsafe<{ journal_mode: string }[]>('PRAGMA journal_mode')
    const [sync] = await this.client.$queryRawUnsafe<{ synchronous: unknown }[]>('PRAGMA synchronous')
    return `PrismaClient 7.10 (prisma-client-js) + @prisma/adapter-better-sqlite3: ${journal.journal_mode}, synchronous=${String(sync.synchronous)}, one connection`
  }

  close(): Promise<void> {
    return this.client.$disconnect()
  }
}
