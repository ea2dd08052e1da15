/** PrismaClient for a schema given as text and a provider: generated offline (prisma-client-js, CommonJS) into .tmp/bench-client/<hash>, loaded with createRequire; its statements read from query events. */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import type { PrismaPg } from '@prisma/adapter-pg'
import type { BenchDb } from './db-option.js'
import { REPO_ROOT, TMP_DIR } from './paths.js'

const PRISMA_CLI = join(REPO_ROOT, 'node_modules', 'prisma', 'build', 'index.js')
const CLIENT_ROOT = join(TMP_DIR, 'bench-client')
const DATASOURCE_PROVIDER = /(datasource\s+\w+\s*\{[^}]*?\bprovider\s*=\s*")([^"]+)(")/

/** `schema` with its datasource block's provider set to `provider`. */
function withProvider(schema: string, provider: BenchDb): string {
  if (!DATASOURCE_PROVIDER.test(schema)) throw new Error('The schema has no datasource block naming its provider')
  return schema.replace(DATASOURCE_PROVIDER, `$1${provider}$3`)
}

/**
 * Runs `prisma generate` with the `prisma-client-js` provider on `schemaText` (its datasource
 * provider set to `provider`) into `.tmp/bench-client/<hash of Prisma version + provider + schema>/client`,
 * unless that folder exists (`prisma-client-js` emits CommonJS that plain node loads; `prisma-client`
 * emits TypeScript only).
 * Offline: the CLI only needs `PRISMA_SCHEMA_ENGINE_BINARY` to name an existing file.
 *
 * @param schemaText Prisma schema text; its `generator` blocks are replaced by one for prisma-client-js.
 * @param provider The datasource provider the client is generated for (a client serves one provider).
 * @param previewFeatures The generator's `previewFeatures`, e.g. `['relationJoins']`; none by default.
 * @returns The folder holding the generated client's `index.js`.
 */
export function generatePrismaClientFor(schemaText: string, provider: BenchDb, previewFeatures: readonly string[] = []): string {
  const schema = withProvider(schemaText, provider)
  const version = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'prisma', 'package.json'), 'utf8')).version as string
  const preview = previewFeatures.length === 0 ? '' : `\n  previewFeatures = ${JSON.stringify(previewFeatures)}`
  const hash = createHash('sha256').update(`${version}\n${provider}\n${schema}${preview}`).digest('hex').slice(0, 16)
  const dir = join(CLIENT_ROOT, hash)
  const client = join(dir, 'client')
  if (existsSync(join(client, 'index.js'))) return client
  const tmp = `${dir}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  const withoutGenerators = schema.replace(/^\s*generator\s+\w+\s*\{[\s\S]*?^\s*\}/gm, '')
  writeFileSync(join(tmp, 'schema.prisma'), `${withoutGenerators}\n\ngenerator client {\n  provider = "prisma-client-js"\n  output   = "./client"${preview}\n}\n`)
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

/**
 * Generates (or reuses) the client for `schema` with `provider` and returns its `PrismaClient` class,
 * typed by the caller (the generated types are not visible to the benchmark's compilation).
 */
export function loadPrismaClientClass<C>(schema: string, provider: BenchDb): C {
  const require = createRequire(import.meta.url)
  return (require(join(generatePrismaClientFor(schema, provider), 'index.js')) as { PrismaClient: C }).PrismaClient
}

/** The parts of every generated PrismaClient a benchmark calls, besides its models. */
export interface PrismaClientBase {
  $connect(): Promise<void>
  $disconnect(): Promise<void>
  /** Absent or inert with some adapters: then statements cannot be observed. */
  $on?(event: 'query', listener: (event: { query: string }) => void): void
}

/** A generated PrismaClient class, typed by the benchmark as `C`: opened on a driver adapter, optionally emitting query events. */
export type PrismaClientClass<C extends PrismaClientBase> = new (options: {
  adapter: PrismaBetterSqlite3 | PrismaPg
  log?: { emit: 'event'; level: 'query' }[]
}) => C

/**
 * Untimed: opens a second client on `adapter` that emits query events (the timed client logs nothing),
 * runs `work` on it once and returns the statements it sent. Undefined when they cannot be observed:
 * the client has no `$on`, `work` fails, or no event came. The client is disconnected in every case.
 */
export async function capturePrismaStatements<C extends PrismaClientBase>(
  PrismaClient: PrismaClientClass<C>,
  adapter: PrismaBetterSqlite3 | PrismaPg,
  work: (client: C) => Promise<unknown>,
): Promise<string[] | undefined> {
  const logging = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] })
  try {
    if (typeof logging.$on !== 'function') return undefined
    const statements: string[] = []
    logging.$on('query', (event) => statements.push(event.query))
    await logging.$connect()
    await work(logging)
    return statements.length > 0 ? statements : undefined
  } catch {
    return undefined
  } finally {
    await logging.$disconnect()
  }
}
