/** The PrismaClient peer: generates a loadable client offline (prisma-client-js, CommonJS) and opens it with the better-sqlite3 adapter. */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { REPO_ROOT } from './paths.js'
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

type PrismaClientClass = new (options: { adapter: PrismaBetterSqlite3 }) => PrismaClientLike

const SCHEMA = join(REPO_ROOT, 'schema', 'schema.prisma')

/** Generates (or reuses) the client for the repository's schema/schema.prisma; returns the folder of its `index.js`. */
export function generatePrismaClient(): string {
  return generatePrismaClientFor(readFileSync(SCHEMA, 'utf8'))
}

/** PrismaClient 7 with `@prisma/adapter-better-sqlite3`, the way Prisma documents it. */
export class PrismaPeer implements Peer {
  readonly name = 'prisma' as const
  private readonly client: PrismaClientLike

  private constructor(client: PrismaClientLike) {
    this.client = client
  }

  /**
   * Generates (or reuses) the client, opens it on `url` and connects. The adapter opens one
   * connection with its defaults; the file is already in WAL mode, a property of the file.
   * `synchronous` is set to NORMAL, like the other peers, so commits cost the same.
   */
  static async open(url: string): Promise<PrismaPeer> {
    const require = createRequire(import.meta.url)
    const { PrismaClient } = require(join(generatePrismaClient(), 'index.js')) as { PrismaClient: PrismaClientClass }
    const client = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url }) })
    await client.$connect()
    await client.$queryRawUnsafe('PRAGMA synchronous = NORMAL')
    return new PrismaPeer(client)
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
    const [journal] = await this.client.$queryRawUnsafe<{ journal_mode: string }[]>('PRAGMA journal_mode')
    const [sync] = await this.client.$queryRawUnsafe<{ synchronous: unknown }[]>('PRAGMA synchronous')
    return `PrismaClient 7.10 (prisma-client-js) + @prisma/adapter-better-sqlite3: ${journal.journal_mode}, synchronous=${String(sync.synchronous)}, one connection`
  }

  close(): Promise<void> {
    return this.client.$disconnect()
  }
}
