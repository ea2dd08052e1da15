/** The PrismaClient peer: generates a loadable client offline (prisma-client-js, CommonJS) and opens it with the better-sqlite3 adapter. */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { REPO_ROOT, TMP_DIR } from './paths.js'
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
const PRISMA_CLI = join(REPO_ROOT, 'node_modules', 'prisma', 'build', 'index.js')
const CLIENT_ROOT = join(TMP_DIR, 'bench-client')

/**
 * Runs `prisma generate` with the `prisma-client-js` provider (CommonJS output, loadable by plain
 * node, unlike `prisma-client`, which emits TypeScript only) into
 * `.tmp/bench-client/<hash of schema + Prisma version>/client`, unless that folder exists.
 * Offline: the CLI only needs `PRISMA_SCHEMA_ENGINE_BINARY` to name an existing file.
 *
 * @returns The folder holding the generated client's `index.js`.
 */
export function generatePrismaClient(): string {
  const schema = readFileSync(SCHEMA, 'utf8')
  const version = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'prisma', 'package.json'), 'utf8')).version as string
  const hash = createHash('sha256').update(`${version}\n${schema}`).digest('hex').slice(0, 16)
  const dir = join(CLIENT_ROOT, hash)
  const client = join(dir, 'client')
  if (existsSync(join(client, 'index.js'))) return client
  const tmp = `${dir}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  const withoutGenerators = schema.replace(/^\s*generator\s+\w+\s*\{[\s\S]*?^\s*\}/gm, '')
  writeFileSync(join(tmp, 'schema.prisma'), `${withoutGenerators}\n\ngenerator client {\n  provider = "prisma-client-js"\n  output   = "./client"\n}\n`)
  try {
    execFileSync(process.execPath, [PRISMA_CLI, 'generate', '--schema', join(tmp, 'schema.prisma')], {
      cwd: tmp,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: PRISMA_CLI, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1', NO_COLOR: '1' },
    })
    rmSync(dir, { recursive: true, force: true })
    renameSync(tmp, dir)
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true })
    const stderr = (error as { stderr?: Buffer }).stderr?.toString()
    throw new Error(`prisma generate failed: ${stderr || (error as Error).message}`, { cause: error })
  }
  return client
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
