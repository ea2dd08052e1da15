// `gen-models` / `prismalchemy generate` with no --schema finds the schema where Prisma does: prisma.config.ts, package.json, prisma/schema.prisma, prisma/schema/.
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../generator/cli.js'

const REPO_ROOT = path.resolve(import.meta.dirname, '../..')
const BIN = path.join(REPO_ROOT, 'dist', 'generator', 'bin.js')
const schemaText = (model: string) => `datasource db {\n  provider = "sqlite"\n}\n\nmodel ${model} {\n  id Int @id\n}\n`

/** A prisma.config.ts as Prisma's docs write it: dotenv, `prisma/config`, and a URL from the environment. */
const PRISMA_CONFIG = (schema: string) => `import 'dotenv/config'
import { defineConfig, env } from 'prisma/config'

export default defineConfig({
  schema: '${schema}',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: env('DATABASE_URL') },
})
`

let tmp: string

/** The built CLI as a real process in `cwd` (so dotenv reads that folder's .env). */
function cli(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  delete env.DATABASE_URL
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error)
      else resolve({ code: error ? (error.code as number) : 0, stdout, stderr })
    })
  })
}

beforeAll(() => {
  if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' })
  tmp = mkdtempSync(path.join(tmpdir(), 'prismalchemy-schema-location-'))
})

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
})

/** A project folder with `files`, and this repository's node_modules (prisma, dotenv, @prisma/config) linked in. */
function project(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name)
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    writeFileSync(path.join(dir, file), text)
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
  return dir
}

/** Runs the CLI in-process in `dir`, output into `dir/out`; returns the exit code, what it printed and the models it wrote. */
async function generateIn(dir: string, ...argv: string[]): Promise<{ code: number; err: string; models: string }> {
  const err: string[] = []
  const code = await main([...argv, '--out', path.join(dir, 'out')], { out: () => undefined, err: (text) => err.push(text) }, dir)
  let models = ''
  try {
    models = readFileSync(path.join(dir, 'out', 'models.ts'), 'utf8')
  } catch {
    models = ''
  }
  return { code, err: err.join('\n'), models }
}

describe.sequential('finding the schema with no --schema', () => {
  it('reads `schema` from prisma.config.ts with Prisma\'s own loader: `prismalchemy generate` in a project laid out as Prisma\'s docs say', async () => {
    // The path is computed, so only evaluating the file (dotenv reading .env, then prisma/config) can find it.
    const dir = project('config', {
      'prisma.config.ts': PRISMA_CONFIG('db/main.prisma').replace("schema: 'db/main.prisma'", "schema: ['db', 'main.prisma'].join('/')"),
      '.env': 'DATABASE_URL="file:./dev.db"\n',
      'db/main.prisma': schemaText('FromConfig'),
      'prisma/schema.prisma': schemaText('FromDefault'),
    })
    const run = await cli(dir, 'generate')
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(readFileSync(path.join(dir, 'generated', 'models.ts'), 'utf8')).toContain('export class FromConfig ')
    expect(run.stdout).toContain(`wrote ${path.join('generated', 'models.ts')}`)
  })

  it('reports a prisma.config.ts it cannot evaluate and whose schema is no plain string, with Prisma\'s reason', async () => {
    const dir = project('config-unloadable', {
      'prisma.config.ts': PRISMA_CONFIG('db/main.prisma')
        .replace("schema: 'db/main.prisma'", "schema: ['db', 'main.prisma'].join('/')")
        .replace("env('DATABASE_URL')", "env('PRISMALCHEMY_TEST_UNSET_URL')"),
      'db/main.prisma': schemaText('FromConfig'),
    })
    const run = await generateIn(dir)
    expect(run.code).toBe(2)
    expect(run.err).toContain('Cannot load')
    expect(run.err).toContain('prisma.config.ts: Cannot resolve environment variable: PRISMALCHEMY_TEST_UNSET_URL.')
  })

  it('still finds the schema of a prisma.config.ts whose env() has no value (gen-models needs no URL)', async () => {
    const dir = project('config-without-env', {
      'prisma.config.ts': PRISMA_CONFIG('db/main.prisma').replace("env('DATABASE_URL')", "env('PRISMALCHEMY_TEST_UNSET_URL')"),
      'db/main.prisma': schemaText('FromConfig'),
    })
    const run = await generateIn(dir)
    expect(run.code).toBe(0)
    expect(run.models).toContain('export class FromConfig ')
  })

  it('takes gen-models.config.json before prisma.config.ts', async () => {
    const dir = project('own-config-first', {
      'gen-models.config.json': JSON.stringify({ schema: path.join(tmp, 'own-config-first', 'ours.prisma') }),
      'ours.prisma': schemaText('Ours'),
      'prisma.config.ts': PRISMA_CONFIG('db/main.prisma'),
      'db/main.prisma': schemaText('FromConfig'),
    })
    const run = await generateIn(dir)
    expect(run.code).toBe(0)
    expect(run.models).toContain('export class Ours ')
  })

  it('reads the "prisma.schema" key of package.json', async () => {
    const dir = project('package-json', {
      'package.json': JSON.stringify({ name: 'app', prisma: { schema: 'database/app.prisma' } }),
      'database/app.prisma': schemaText('FromPackage'),
    })
    const run = await generateIn(dir)
    expect(run.code).toBe(0)
    expect(run.models).toContain('export class FromPackage ')
  })

  it('falls back to prisma/schema.prisma, then a prisma/schema/ folder, then schema/', async () => {
    const file = project('default-file', { 'prisma/schema.prisma': schemaText('DefaultFile') })
    expect((await generateIn(file)).models).toContain('export class DefaultFile ')
    const folder = project('default-folder', { 'prisma/schema/main.prisma': schemaText('DefaultFolder') })
    expect((await generateIn(folder)).models).toContain('export class DefaultFolder ')
    const legacy = project('legacy', { 'schema/schema.prisma': schemaText('Legacy') })
    expect((await generateIn(legacy)).models).toContain('export class Legacy ')
  })

  it('exits 2 naming every place it looked when none holds a schema', async () => {
    const dir = project('nothing', { 'README.md': 'empty\n' })
    const run = await generateIn(dir)
    expect(run.code).toBe(2)
    expect(run.err).toContain(`No Prisma schema found in ${dir}. Looked at: prisma.config.ts (none), package.json "prisma.schema", schema.prisma, prisma/schema.prisma, prisma/schema, schema.`)
  })
})
