// The built `gen-models` CLI as a real process: exit codes, files written, help/version, located errors, and --check with a diff.
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { BAD_ANNOTATION_SCHEMA_LINES } from '../helpers/fixtures.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = path.join(REPO_ROOT, 'dist', 'generator', 'bin.js')
const SCHEMA_DIR = path.join(REPO_ROOT, 'schema')
const COMMITTED = path.join(REPO_ROOT, 'generated')

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `node dist/generator/bin.js ...args` from the repository root. */
function genModels(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error)
      else resolve({ code: error ? (error.code as number) : 0, stdout, stderr })
    })
  })
}

let tmp: string

/** A fresh folder under the test's temp root. */
function tempDir(name: string): string {
  const dir = path.join(tmp, name)
  mkdirSync(dir, { recursive: true })
  return dir
}

beforeAll(() => {
  if (!existsSync(BIN)) execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' })
  tmp = mkdtempSync(path.join(tmpdir(), 'prismalchemy-cli-'))
})

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
})

describe.concurrent('gen-models', () => {
  it('exits 0 and writes models.ts and db.ts equal to the committed output', async ({ expect }) => {
    const out = path.join(tempDir('write'), 'nested', 'out')
    const run = await genModels('--schema', SCHEMA_DIR, '--out', out)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(path.join(out, 'models.ts'))
    expect(readdirSync(out).sort()).toEqual(['db.ts', 'models.ts'])
    for (const name of ['models.ts', 'db.ts']) {
      expect(readFileSync(path.join(out, name), 'utf8')).toBe(readFileSync(path.join(COMMITTED, name), 'utf8'))
    }
  })

  it('prints usage for --help and exits 0', async ({ expect }) => {
    const run = await genModels('--help')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('gen-models [options]')
    for (const flag of ['--schema', '--out', '--check', '--runtime-module']) expect(run.stdout).toContain(flag)
  })

  it('lists the generate command in --help, and `generate [flags]` writes what `[flags]` alone (the gen-models alias) writes', async ({ expect }) => {
    const help = await genModels('--help')
    expect(help.stdout).toMatch(/^Commands:\n {2}prismalchemy generate {2}Generate models\.ts and db\.ts from the Prisma schema/m)
    const out = path.join(tempDir('generate-command'), 'out')
    const run = await genModels('generate', '--schema', SCHEMA_DIR, '--out', out)
    expect(run.code).toBe(0)
    for (const name of ['models.ts', 'db.ts']) {
      expect(readFileSync(path.join(out, name), 'utf8')).toBe(readFileSync(path.join(COMMITTED, name), 'utf8'))
    }
    const unknown = await genModels('frobnicate', '--schema', SCHEMA_DIR)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('Unknown argument: frobnicate')
  })

  it('prints the package version for --version and exits 0', async ({ expect }) => {
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
    const run = await genModels('--version')
    expect(run.code).toBe(0)
    expect(run.stdout.trim()).toBe(version)
  })

  it('exits 2 on an unknown flag, naming it, and writes nothing', async ({ expect }) => {
    const out = path.join(tempDir('unknown-flag'), 'out')
    const run = await genModels('--schema', SCHEMA_DIR, '--out', out, '--frobnicate')
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('frobnicate')
    expect(existsSync(out)).toBe(false)
  })

  it('exits 2 when the schema path does not exist, naming the path', async ({ expect }) => {
    const missing = path.join(tmp, 'no-such-schema')
    const run = await genModels('--schema', missing, '--out', path.join(tempDir('missing'), 'out'))
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`No Prisma schema at "${missing}"`)
  })

  it('exits 1 on an annotation error, printing file:line:col, and writes nothing', async ({ expect }) => {
    const dir = tempDir('bad-annotation')
    const schema = path.join(dir, 'bad.prisma')
    const lines = [
      ...BAD_ANNOTATION_SCHEMA_LINES,
      '',
    ]
    writeFileSync(schema, lines.join('\n'))
    const out = path.join(dir, 'out')
    const run = await genModels('--schema', schema, '--out', out)
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`${schema}:7:7: error: Unknown loading strategy "eager"`)
    expect(existsSync(out)).toBe(false)
  })

  it('--check exits 0 on fresh output, and 1 with a unified diff once a generated file is edited', async ({ expect }) => {
    const out = tempDir('check')
    expect((await genModels('--schema', SCHEMA_DIR, '--out', out)).code).toBe(0)

    const fresh = await genModels('--schema', SCHEMA_DIR, '--out', out, '--check')
    expect(fresh.code).toBe(0)
    expect(fresh.stdout).toContain('up to date')

    const models = path.join(out, 'models.ts')
    const original = readFileSync(models, 'utf8')
    const edited = original.replace('  declare username: string;', '  declare username: number;')
    expect(edited).not.toBe(original)
    writeFileSync(models, edited)

    const stale = await genModels('--schema', SCHEMA_DIR, '--out', out, '--check')
    expect(stale.code).toBe(1)
    expect(stale.stderr).toContain(`--- ${models} (on disk)`)
    expect(stale.stderr).toContain(`+++ ${models} (from schema)`)
    expect(stale.stderr).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@$/m)
    expect(stale.stderr).toContain('\n-  declare username: number;\n+  declare username: string;\n')
    expect(stale.stderr).not.toContain(path.join(out, 'db.ts'))
    // --check only reports: the edited file is left as it was.
    expect(readFileSync(models, 'utf8')).toBe(edited)
  })

  it('--check exits 1 and writes nothing when the output folder is empty', async ({ expect }) => {
    const out = tempDir('check-empty')
    const run = await genModels('--schema', SCHEMA_DIR, '--out', out, '--check')
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(path.join(out, 'models.ts'))
    expect(run.stderr).toContain(path.join(out, 'db.ts'))
    expect(readdirSync(out)).toEqual([])
  })
})
