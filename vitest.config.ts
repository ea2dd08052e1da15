// Test runner configuration: a `fast` project (the developer's loop, `npm test`) and a `slow` one (soak, subprocess and compiler tests), sharing one PostgreSQL and one MySQL (MariaDB) server.
import { fileURLToPath } from 'node:url'
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config'

/**
 * Test files that are slow by what they do, whatever their size: the `slow` project runs them,
 * `fast` runs every other test file. `npm run test:all` (what CI runs) runs both.
 */
const SLOW_TESTS = [
  // Soak: thousands of tenants or requests. A file with fast tests keeps them and moves its soak into `<name>.soak.test.ts`.
  'test/**/*.soak.test.ts',
  // Subprocesses: the built CLI, the Prisma CLI, npm pack, a script that must exit by itself.
  'test/generator/cli.test.ts',
  'test/generator/ci-check.test.ts',
  'test/generator/schema-location.test.ts',
  'test/generator/prisma-generate.test.ts',
  'test/integration/prisma-migrate.test.ts',
  'test/integration/process-exit.test.ts',
  'test/integration/test-run-exit-code.test.ts',
  'test/package/package.test.ts',
  // Files that are mainly the TypeScript compiler over generated code, the examples or the published types (a generator
  // file with one tsc program beside its database tests, as schema-features and model-names, stays fast).
  'test/generator/compile.test.ts',
  'test/types/strategies.test.ts',
  'test/types/consumer-strict-flags.test.ts',
  'test/corpus/corpus.test.ts',
]

/** What both projects share: the package's own name resolves to the runtime sources, so generated code and tests share one copy. */
const shared = {
  resolve: {
    // `prismalchemy/internal` first: an alias also matches the subpaths of its name.
    alias: {
      'prismalchemy/internal': fileURLToPath(new URL('./runtime/internal.ts', import.meta.url)),
      prismalchemy: fileURLToPath(new URL('./runtime/index.ts', import.meta.url)),
    },
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
} satisfies TestProjectInlineConfiguration

export default defineConfig({
  ...shared,
  test: {
    ...shared.test,
    // Set here only (the projects do not extend this config): one server per database for both projects, started once per run.
    globalSetup: ['test/setup/postgres-server.ts', 'test/setup/mariadb-server.ts'],
    projects: [
      {
        ...shared,
        test: { ...shared.test, name: 'fast', include: ['test/**/*.test.ts'], exclude: SLOW_TESTS },
      },
      {
        ...shared,
        test: {
          ...shared.test,
          name: 'slow',
          include: SLOW_TESTS,
          typecheck: { enabled: true, include: ['test/types/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
    ],
  },
})
