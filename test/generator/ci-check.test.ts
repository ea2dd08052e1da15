// gen-models in CI: --check in human, JSON and GitHub formats, lints, configuration defaults, --er-diagram and --watch.
import { spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../generator/cli.js'

const REPO_ROOT = path.resolve(import.meta.dirname, '../..')
let dir: string

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'gen-models-ci-'))
  cpSync(path.join(REPO_ROOT, 'schema'), path.join(dir, 'schema'), { recursive: true })
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** Runs the CLI in-process with `cwd` = the temp folder; returns the exit code and what it printed. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(argv, { out: (text) => out.push(text), err: (text) => err.push(text) }, dir)
  return { code, out: out.join('\n'), err: err.join('\n') }
}

const schemaArgs = () => ['--schema', path.join(dir, 'schema'), '--out', path.join(dir, 'generated')]

function breakSchema(): string {
  const file = path.join(dir, 'schema', 'schema.prisma')
  const text = readFileSync(file, 'utf8').replace('  email       String?', '  email       Strin?')
  writeFileSync(file, text)
  return file
}

describe('--check', () => {
  it('passes on a clean tree and fails with a unified diff on stale output', async () => {
    expect((await run(...schemaArgs())).code).toBe(0)
    expect(await run(...schemaArgs(), '--check')).toMatchObject({ code: 0 })
    const models = path.join(dir, 'generated', 'models.ts')
    writeFileSync(models, readFileSync(models, 'utf8').replace('declare username: string;', 'declare username: number;'))
    const stale = await run(...schemaArgs(), '--check')
    expect(stale.code).toBe(1)
    expect(stale.err).toContain('-  declare username: number;')
    expect(stale.err).toContain('+  declare username: string;')
  })

  it('reports a schema typo with file:line:col in human format, without colour codes', async () => {
    const file = breakSchema()
    const result = await run(...schemaArgs(), '--check')
    expect(result.code).toBe(1)
    expect(result.err).toMatch(new RegExp(`^${file.replaceAll('/', '\\/')}:31:\\d+: error: Type "Strin" is neither a built-in type`))
    expect(result.err).not.toContain('\u001b[')
  })

  it('reports the same problem as JSON', async () => {
    const file = breakSchema()
    const result = await run(...schemaArgs(), '--check', '--format', 'json')
    expect(result.code).toBe(1)
    const report = JSON.parse(result.out)
    expect(report.ok).toBe(false)
    expect(report.diagnostics).toEqual([expect.objectContaining({ file, line: 31, severity: 'error', column: expect.any(Number) })])
  })

  it('reports the same problem as a GitHub workflow command, and stale files as errors on the file', async () => {
    const file = breakSchema()
    const result = await run(...schemaArgs(), '--check', '--format', 'github')
    expect(result.code).toBe(1)
    expect(result.err).toMatch(new RegExp(`^::error file=${file.replaceAll('/', '\\/')},line=31,col=\\d+,title=gen-models::Type "Strin"`))
    cpSync(path.join(REPO_ROOT, 'schema'), path.join(dir, 'schema'), { recursive: true })
    const stale = await run(...schemaArgs(), '--check', '--format', 'github')
    expect(stale.code).toBe(1)
    expect(stale.err).toMatch(/^::error file=.*models\.ts,title=gen-models::Generated file is out of date/m)
    expect(stale.err.split('\n').every((line) => line.startsWith('::error'))).toBe(true)
  })
})

describe('lints', () => {
  it('warns when a dynamic relationship filters on a foreign key without an index, and exits 0', async () => {
    const file = path.join(dir, 'schema', 'schema.prisma')
    writeFileSync(file, readFileSync(file, 'utf8').replace('  @@index([roleId])\n', ''))
    const result = await run(...schemaArgs(), '--format', 'github')
    expect(result.code).toBe(0)
    expect(result.out).toMatch(/^::warning file=.*schema\.prisma,line=23,col=3,title=gen-models::Role\.users is @lazy\(dynamic\).*Add @@index\(\[roleId\]\) to model User\./m)
  })

  it('is silent when the foreign key is indexed', async () => {
    const result = await run(...schemaArgs(), '--format', 'json')
    expect(JSON.parse(result.out).diagnostics).toEqual([])
  })
})

describe('configuration', () => {
  it('takes defaults from package.json "prismalchemy", and flags override them', async () => {
    const out = path.join(dir, 'from-config')
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ prismalchemy: { schema: path.join(dir, 'schema'), out, erDiagram: true } }))
    expect((await run()).code).toBe(0)
    expect(readFileSync(path.join(out, 'schema.md'), 'utf8')).toContain('erDiagram')
    const other = path.join(dir, 'from-flag')
    expect((await run('--out', other, '--no-er-diagram')).code).toBe(0)
    expect(() => readFileSync(path.join(other, 'schema.md'))).toThrow()
    expect(readFileSync(path.join(other, 'models.ts'), 'utf8')).toContain('export class User')
  })

  it('prefers gen-models.config.json and rejects an unknown or mistyped option with exit 2, naming it', async () => {
    writeFileSync(path.join(dir, 'gen-models.config.json'), JSON.stringify({ outDir: 'x' }))
    const unknown = await run()
    expect(unknown.code).toBe(2)
    expect(unknown.err).toContain('Invalid configuration in gen-models.config.json: "outDir" must be one of the known options')
    writeFileSync(path.join(dir, 'gen-models.config.json'), JSON.stringify({ format: 'xml' }))
    expect((await run()).err).toContain('"format" must be human | json | github')
  })
})

describe('--er-diagram', () => {
  it('writes a Mermaid ER diagram with keys and each side\'s loading strategy', async () => {
    expect((await run(...schemaArgs(), '--er-diagram')).code).toBe(0)
    const diagram = readFileSync(path.join(dir, 'generated', 'schema.md'), 'utf8')
    expect(diagram).toContain('```mermaid\nerDiagram\n')
    expect(diagram).toContain('    Int id PK\n')
    expect(diagram).toContain('    Int roleId FK "nullable"\n')
    expect(diagram).toContain('    DateTime createdAt "column created_at"\n')
    expect(diagram).toContain('  Role |o--o{ User : "role (select) / users (dynamic)"')
    expect(diagram).toContain('  User ||--o{ Post : "author (select) / posts (dynamic)"')
  })
})

describe('--watch', () => {
  it('regenerates when the schema changes, until stopped', async () => {
    const bin = path.join(REPO_ROOT, 'dist', 'generator', 'bin.js')
    const child = spawn(process.execPath, [bin, ...schemaArgs(), '--watch'], { cwd: dir })
    let stdout = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    const waitFor = async (predicate: () => boolean) => {
      for (let i = 0; i < 200 && !predicate(); i++) await new Promise((resolve) => setTimeout(resolve, 50))
      expect(predicate()).toBe(true)
    }
    try {
      await waitFor(() => stdout.includes('watching'))
      const file = path.join(dir, 'schema', 'schema.prisma')
      writeFileSync(file, readFileSync(file, 'utf8').replace('model Post {', '/// Edited while watching.\nmodel Post {'))
      await waitFor(() => readFileSync(path.join(dir, 'generated', 'models.ts'), 'utf8').includes('Edited while watching.'))
    } finally {
      child.kill('SIGINT')
    }
    const code = await new Promise((resolve) => child.once('exit', resolve))
    expect(code).toBe(0)
  })
})
