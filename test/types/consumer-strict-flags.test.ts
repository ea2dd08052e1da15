// An application's code compiles under the flags strict projects turn on (exactOptionalPropertyTypes, noUncheckedIndexedAccess).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'
import { STRICT_OPTIONS } from '../helpers/type-check.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SCRATCH = mkdtempSync(path.join(REPO_ROOT, '.tmp-consumer-'))

/** Everyday calls whose options come from `process.env` or a request: `string | undefined` values passed to optional options. */
const CONSUMER = `
import express from 'express'
import { createEngine, EngineRegistry, sessionmaker, type SessionOptions } from 'prismalchemy'
import { expressScope } from 'prismalchemy/express'
import { db } from '${path.relative(SCRATCH, path.join(REPO_ROOT, 'generated', 'db.js')).split(path.sep).join('/')}'
import { Role } from '${path.relative(SCRATCH, path.join(REPO_ROOT, 'generated', 'models.js')).split(path.sep).join('/')}'

const poolSize = process.env.POOL_SIZE === undefined ? undefined : Number(process.env.POOL_SIZE)
db.configure({ url: process.env.DATABASE_URL, echo: process.env.ECHO === '1', poolSize, replicas: undefined })
const engine = createEngine(process.env.DATABASE_URL ?? 'file:./dev.db', { poolSize, poolRecycle: undefined, logger: undefined })
const options: Partial<SessionOptions> = { autoflush: process.env.AUTOFLUSH === undefined ? undefined : true, expireOnCommit: undefined }
export const Session = sessionmaker({ ...options, bind: engine })
export const tenants = new EngineRegistry({ maxEngines: poolSize })

const app = express()
app.use(expressScope(db, { commitOnTeardown: undefined }))
app.get('/roles', async (req, res) => {
  const page = await db.paginate(Role.query.orderBy({ name: 'asc' }), { page: req.query.page, perPage: req.query.per_page, maxPerPage: undefined })
  const pages = [...page.iterPages({ leftEdge: undefined })]
  res.json({ names: page.items.map((role) => role.name), first: page.items[0]?.name ?? null, pages })
})
`

afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }))

describe('an application under exactOptionalPropertyTypes and noUncheckedIndexedAccess', () => {
  // As an application sees the package: its published declarations (dist, built by `npm run test:slow` and `test:all`), checked too (no skipLibCheck).
  const dist = (file: string) => [path.join(REPO_ROOT, 'dist', 'runtime', file)]
  const options: ts.CompilerOptions = {
    ...STRICT_OPTIONS,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    paths: { prismalchemy: dist('index.d.ts'), 'prismalchemy/internal': dist('internal.d.ts'), 'prismalchemy/express': dist('middleware/express.d.ts') },
  }
  const consumer = path.join(SCRATCH, 'app.ts')
  writeFileSync(path.join(SCRATCH, 'package.json'), '{ "type": "module" }\n')
  writeFileSync(consumer, CONSUMER)

  function errorsOf(rootNames: readonly string[]): string[] {
    const program = ts.createProgram({ rootNames, options })
    return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
      if (diagnostic.file === undefined || diagnostic.start === undefined) return `TS${diagnostic.code}: ${message}`
      const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
      return `${path.relative(REPO_ROOT, diagnostic.file.fileName)}:${line + 1}:${character + 1}: TS${diagnostic.code}: ${message}`
    })
  }

  it('compiles the generated models, the example app and everyday option objects built from env and query strings', () => {
    const roots = [consumer, path.join(REPO_ROOT, 'examples', 'http-app.ts'), path.join(REPO_ROOT, 'generated', 'models.ts'), path.join(REPO_ROOT, 'generated', 'db.ts')]
    expect(errorsOf(roots)).toEqual([])
  })

  it('still rejects an option of the wrong type there (the check is real)', () => {
    const wrong = path.join(SCRATCH, 'wrong.ts')
    writeFileSync(wrong, `import { createEngine } from 'prismalchemy'\ncreateEngine('file:./x.db', { poolSize: 'five' })\n`)
    const errors = errorsOf([wrong])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/wrong\.ts:2:.*TS2322/)
  })
})
