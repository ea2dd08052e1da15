// gen-models as a Prisma generator: real offline `prisma generate` runs on temp schemas with a `generator models` block.
import { execFile, execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { BAD_ANNOTATION_SCHEMA_LINES } from '../helpers/fixtures.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = path.join(REPO_ROOT, 'dist', 'generator', 'bin.js')
const PRISMA_CLI = path.join(REPO_ROOT, 'node_modules', 'prisma', 'build', 'index.js')
const SCHEMA_TEXT = readFileSync(path.join(REPO_ROOT, 'schema', 'schema.prisma'), 'utf8')
const COMMITTED = path.join(REPO_ROOT, 'generated')

interface Run {
  readonly code: number
  /** stdout and stderr together: Prisma reports progress and generator errors on both. */
  readonly output: string
}

function run(args: string[], cwd: string): Promise<Run> {
  const env = {
    ...process.env,
    // `npx prisma generate` and npm scripts put node_modules/.bin on PATH; that is how `provider = "gen-models"` resolves.
    PATH: `${path.join(REPO_ROOT, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    // Offline: the CLI wants a schema-engine binary even for `generate`, which needs none; any existing file will do.
    PRISMA_SCHEMA_ENGINE_BINARY: PRISMA_CLI,
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    NO_COLOR: '1',
  }
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd, env }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error)
      else resolve({ code: error ? (error.code as number) : 0, output: `${stdout}\n${stderr}` })
    })
  })
}

/** `prisma generate --schema <schema>`, from `cwd`. */
const prismaGenerate = (schema: string, cwd = path.dirname(schema)) => run([PRISMA_CLI, 'generate', '--schema', schema], cwd)
/** The `gen-models` CLI, for comparison. */
const genModels = (...args: string[]) => run([BIN, ...args], REPO_ROOT)
/** `prisma generate` with no flags, in the project at `dir`. */
const prismaGenerateIn = (dir: string) => run([PRISMA_CLI, 'generate'], dir)

/** A `generator` block with the given settings. */
function generatorBlock(name: string, settings: Record<string, string>): string {
  return `\ngenerator ${name} {\n${Object.entries(settings).map(([key, value]) => `  ${key} = "${value}"\n`).join('')}}\n`
}

let tmp: string

/** Writes `files` (relative path -> text) under a fresh folder named `name`; returns the folder. */
function tempTree(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name)
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    writeFileSync(path.join(dir, file), text)
  }
  return dir
}

const read = (dir: string, name: string) => readFileSync(path.join(dir, name), 'utf8')

/** How the emitter prints schema text as a string literal in models.ts (the schema travels with the models for createAll). */
const literal = (text: string) => JSON.stringify(text).slice(1, -1).replaceAll('\\"', '"').replaceAll("'", "\\'")

beforeAll(() => {
  if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' })
  // npm marks package bins executable when it links them; a clean `tsc` rebuild writes bin.js without the bit.
  chmodSync(BIN, 0o755)
  tmp = mkdtempSync(path.join(tmpdir(), 'prismalchemy-prisma-generate-'))
})

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
})

describe.concurrent('prisma generate with `generator models`', { timeout: 120_000 }, () => {
  it('provider "gen-models" writes what the CLI writes: the committed output, plus the generator block in the embedded schema', async ({ expect }) => {
    const text = SCHEMA_TEXT + generatorBlock('models', { provider: 'gen-models', output: './out' })
    const dir = tempTree('provider-name', { 'schema.prisma': text })
    const generated = await prismaGenerate(path.join(dir, 'schema.prisma'))
    expect(generated.output).toContain('Generated prismalchemy models')
    expect(generated.code).toBe(0)
    const out = path.join(dir, 'out')
    expect(readdirSync(out).sort()).toEqual(['db.ts', 'models.ts'])

    const cli = await genModels('--schema', path.join(dir, 'schema.prisma'), '--out', path.join(dir, 'cli'))
    expect(cli.code).toBe(0)
    for (const name of ['models.ts', 'db.ts']) expect(read(out, name)).toBe(read(path.join(dir, 'cli'), name))

    expect(read(out, 'db.ts')).toBe(read(COMMITTED, 'db.ts'))
    const committedModels = read(COMMITTED, 'models.ts')
    expect(committedModels).toContain(literal(SCHEMA_TEXT))
    expect(read(out, 'models.ts')).toBe(committedModels.replace(literal(SCHEMA_TEXT), literal(text)))
  })

  it('an annotation error fails prisma generate with our file:line:col message, and writes nothing', async ({ expect }) => {
    const text = [
      ...BAD_ANNOTATION_SCHEMA_LINES,
      generatorBlock('models', { provider: `node ${BIN}`, output: './out' }),
    ].join('\n')
    const dir = tempTree('annotation-error', { 'schema.prisma': text })
    const generated = await prismaGenerate(path.join(dir, 'schema.prisma'))
    expect(generated.code).not.toBe(0)
    // Relative to the directory prisma runs in, as Prisma's own messages are.
    expect(generated.output).toMatch(/^schema\.prisma:7:7: error: Unknown loading strategy "eager"/m)
    expect(existsSync(path.join(dir, 'out'))).toBe(false)
  })

  it('beside a prisma-client generator: both outputs appear, and runtimeModule comes from the generator block', async ({ expect }) => {
    const text =
      SCHEMA_TEXT +
      generatorBlock('client', { provider: 'prisma-client', output: './client' }) +
      generatorBlock('models', { provider: `node ${BIN}`, output: './models', runtimeModule: '@acme/orm' })
    const dir = tempTree('with-client', { 'schema.prisma': text })
    const generated = await prismaGenerate(path.join(dir, 'schema.prisma'))
    expect(generated.output).toContain('Generated prismalchemy models')
    expect(generated.code).toBe(0)
    expect(existsSync(path.join(dir, 'client', 'client.ts'))).toBe(true)
    const models = read(path.join(dir, 'models'), 'models.ts')
    expect(models).toContain("} from '@acme/orm';")
    expect(models).not.toContain("from 'prismalchemy'")
    expect(read(path.join(dir, 'models'), 'db.ts')).toContain("import { createDb } from '@acme/orm'")
  })

  it('a schema folder and no output: writes ../generated beside the folder, as `gen-models --schema <folder>` does', async ({ expect }) => {
    const [header, ...rest] = SCHEMA_TEXT.split('\n/// What a user may do.\n')
    const dir = tempTree('folder', {
      'prisma/schema.prisma': header,
      'prisma/models.prisma': `/// What a user may do.\n${rest.join('')}`,
      'prisma/generators.prisma': generatorBlock('models', { provider: `node ${BIN}` }),
    })
    const generated = await prismaGenerate(path.join(dir, 'prisma'), dir)
    expect(generated.code).toBe(0)
    const cli = await genModels('--schema', path.join(dir, 'prisma'), '--out', path.join(dir, 'cli'))
    expect(cli.code).toBe(0)
    for (const name of ['models.ts', 'db.ts']) expect(read(path.join(dir, 'generated'), name)).toBe(read(path.join(dir, 'cli'), name))
    expect(read(path.join(dir, 'generated'), 'models.ts')).toMatch(/^\/\/ Generated by gen-models \(prismalchemy\) from generators\.prisma, models\.prisma, schema\.prisma\./)
  })

  it('a project laid out as Prisma\'s docs say (prisma/schema.prisma, prisma.config.ts): prisma generate and the CLI need no flags, and agree', async ({ expect }) => {
    const dir = tempTree('prisma-layout', {
      'prisma/schema.prisma': SCHEMA_TEXT + generatorBlock('models', { provider: `node ${BIN}` }),
      'prisma.config.ts': [
        "import 'dotenv/config'",
        "import { defineConfig, env } from 'prisma/config'",
        '',
        "export default defineConfig({ schema: 'prisma/schema.prisma', migrations: { path: 'prisma/migrations' }, datasource: { url: env('DATABASE_URL') } })",
        '',
      ].join('\n'),
      '.env': 'DATABASE_URL="file:./dev.db"\n',
    })
    // The project's own node_modules: prisma.config.ts imports prisma/config and dotenv from there.
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
    const generated = await prismaGenerateIn(dir)
    expect(generated.output).toContain('Generated prismalchemy models')
    expect(generated.code).toBe(0)
    const cli = await run([BIN, 'generate', '--out', 'cli'], dir)
    expect(cli.code).toBe(0)
    for (const name of ['models.ts', 'db.ts']) expect(read(path.join(dir, 'generated'), name)).toBe(read(path.join(dir, 'cli'), name))
    expect(read(path.join(dir, 'generated'), 'models.ts')).toMatch(/^\/\/ Generated by gen-models \(prismalchemy\) from schema\.prisma\./)
  })
})
