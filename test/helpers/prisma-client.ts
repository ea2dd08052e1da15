// Test helper: generates a real PrismaClient (offline, cached by schema hash) and opens it on a SQLite file, a PostgreSQL or a MySQL database.
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { PrismaMariaDb } from '@prisma/adapter-mariadb'
import { PrismaPg } from '@prisma/adapter-pg'
import type { TestDialect } from './dialects.js'

/** The loose shape of a generated PrismaClient: lifecycle methods plus one `any`-typed delegate per model. */
export interface PrismaClientLike {
  $connect(): Promise<void>
  $disconnect(): Promise<void>
  $transaction(...args: any[]): Promise<any>
  $queryRawUnsafe<T = unknown>(sql: string, ...values: unknown[]): Promise<T>
  $executeRawUnsafe(sql: string, ...values: unknown[]): Promise<number>
  /** Model delegates, camel-cased model names: `client.user.findUnique(...)`. */
  [delegate: string]: any
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const CACHE_ROOT = join(REPO_ROOT, '.tmp', 'prisma-client')
const PRISMA_CLI = join(REPO_ROOT, 'node_modules', 'prisma', 'build', 'index.js')
const GENERATOR = 'prismalchemy_test_client'
/** Bump when the recipe below changes, so stale cache folders are not reused. */
const RECIPE_VERSION = 2
const DATASOURCE_PROVIDER = /(datasource\s+\w+\s*\{[^}]*?\bprovider\s*=\s*")([^"]+)(")/
/** A lock older than this is taken to belong to a dead process. */
const LOCK_STALE_MS = 60_000

const loaded = new Map<string, Promise<(url: string) => PrismaClientLike>>()

/**
 * Runs a real `prisma generate` (offline, `prisma-client` generator, TypeScript output) for the
 * schema file at `schemaPath`, its datasource provider set for `dialect` (a client serves one
 * provider), and returns a function that opens a PrismaClient through `@prisma/adapter-better-sqlite3`,
 * `@prisma/adapter-pg` or `@prisma/adapter-mariadb`, as Prisma documents them.
 *
 * - The schema's own `generator` blocks are dropped and one pointing into
 *   `<repo>/.tmp/prisma-client/<sha256 of schema text + prisma version>/client` is appended, so
 *   generation happens only when the schema text changes, and at most once per process.
 * - Safe across parallel vitest workers: a lock folder lets one process generate while the
 *   others wait, and it generates into a private temp folder that is renamed into place.
 * - A cache miss costs about 0.7 s (the CLI run); a hit in a fresh process about 50 ms (importing
 *   the generated TypeScript); a repeat call in the same process returns the memoised promise.
 *
 * @param schemaPath A `.prisma` file with a `datasource db { provider = "..." }` block.
 * @param dialect The database the client is for (default SQLite).
 * @returns `open(url)`, where `url` is a `file:` URL such as `file:/abs/path/test.db`
 *   (no `?query` parameters: the adapter would make them part of the file name) or a
 *   `postgresql://` or `mysql://` URL. Each call returns a new client; call `$disconnect()` when done.
 */
export async function loadPrismaClient(schemaPath: string, dialect: TestDialect = 'sqlite'): Promise<(url: string) => PrismaClientLike> {
  return loadPrismaClientForSchema(await readFile(schemaPath, 'utf8'), dialect)
}

/** {@link loadPrismaClient} for a schema given as text (an inline schema of a test). */
export async function loadPrismaClientForSchema(schema: string, dialect: TestDialect = 'sqlite'): Promise<(url: string) => PrismaClientLike> {
  const text = schema.replace(DATASOURCE_PROVIDER, `$1${dialect}$3`)
  const prismaVersion = JSON.parse(await readFile(join(REPO_ROOT, 'node_modules', 'prisma', 'package.json'), 'utf8')).version
  const hash = createHash('sha256').update(`${RECIPE_VERSION}\n${prismaVersion}\n${text}`).digest('hex').slice(0, 16)
  let pending = loaded.get(hash)
  if (!pending) {
    pending = generate(text, join(CACHE_ROOT, hash), dialect)
    pending.catch(() => loaded.delete(hash))
    loaded.set(hash, pending)
  }
  return pending
}

async function generate(schemaText: string, dir: string, dialect: TestDialect): Promise<(url: string) => PrismaClientLike> {
  const entry = join(dir, 'client', 'client.ts')
  await ensureGenerated(schemaText, dir, entry)
  const { PrismaClient } = await import(pathToFileURL(entry).href)
  const adapter = (url: string) =>
    dialect === 'sqlite' ? new PrismaBetterSqlite3({ url }) : dialect === 'mysql' ? new PrismaMariaDb(url) : new PrismaPg({ connectionString: url })
  return (url: string) => new PrismaClient({ adapter: adapter(url) }) as PrismaClientLike
}

/** One generator at a time per schema (a `mkdir` lock); others wait for the folder to appear. */
async function ensureGenerated(schemaText: string, dir: string, entry: string): Promise<void> {
  const lock = `${dir}.lock`
  await mkdir(CACHE_ROOT, { recursive: true })
  while (!existsSync(entry)) {
    try {
      await mkdir(lock)
    } catch (err: any) {
      if (err?.code !== 'EEXIST') throw err
      const since = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0)
      if (since > LOCK_STALE_MS) await rm(lock, { recursive: true, force: true }) // its owner died
      else await new Promise((r) => setTimeout(r, 50))
      continue
    }
    try {
      if (!existsSync(entry)) await runGenerate(schemaText, dir, entry)
    } finally {
      await rm(lock, { recursive: true, force: true })
    }
  }
}

async function runGenerate(schemaText: string, dir: string, entry: string): Promise<void> {
  // Generate into a private folder and rename it into place, so `dir` is never seen half-written.
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  await mkdir(tmp, { recursive: true })
  try {
    const generatorBlock = /^\s*generator\s+\w+\s*\{[\s\S]*?^\s*\}/gm
    // The preview features the schema's generators turn on (`views`, ...) stay on for ours.
    const previewFeatures = [...schemaText.matchAll(generatorBlock)].flatMap((block) => block[0].match(/^\s*previewFeatures\s*=.*$/m) ?? []).slice(0, 1)
    const withoutGenerators = schemaText.replace(generatorBlock, '')
    await writeFile(
      join(tmp, 'schema.prisma'),
      `${withoutGenerators}\n\ngenerator ${GENERATOR} {\n  provider = "prisma-client"\n  output   = "./client"\n${previewFeatures.map((line) => `${line.trim()}\n`).join('')}}\n`,
    )
    // The CLI checks for a schema-engine binary (and downloads it if missing) even for `generate`,
    // which needs no engine: point it at any existing file. CHECKPOINT_DISABLE stops the telemetry
    // call. No prisma.config.ts is needed.
    await promisify(execFile)(process.execPath, [PRISMA_CLI, 'generate', '--schema', join(tmp, 'schema.prisma')], {
      cwd: tmp,
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: PRISMA_CLI,
        CHECKPOINT_DISABLE: '1',
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        NO_COLOR: '1',
      },
    })
    await rename(tmp, dir).catch((err: unknown) => {
      if (!existsSync(entry)) throw err // lost a race with a process that ignored a stale lock: keep theirs
    })
  } catch (err: any) {
    throw new Error(`prisma generate failed for ${dir}: ${err?.stderr || err?.message || err}`, { cause: err })
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}
