// Living beside Prisma Migrate: the real `prisma migrate dev` / `deploy` CLI evolves the tables of the schema the generator reads, and the generated `db` seeds and reads them.
import { execFile } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Db, ModelClass } from 'prismalchemy'
import { generateFromFiles } from '../../generator/generate.js'
import { scratchDatabase, type ScratchDatabase } from '../helpers/database.js'
import { DIALECTS } from '../helpers/dialects.js'

const run = promisify(execFile)
const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const prismaCli = path.join(repository, 'node_modules/prisma/build/index.js')

/**
 * Prisma's CLI downloads its native schema engine on first use, which this machine cannot (no network but
 * the npm registry). PRISMA_SCHEMA_ENGINE_BINARY, Prisma's documented override, points it at a stand-in
 * that serves the same protocol with Prisma's wasm schema engine (see the helper for the two engine quirks
 * it works around). Everything else is the real CLI: its migration folders, `_prisma_migrations`, its checks.
 */
const schemaEngine = path.join(repository, 'test/helpers/schema-engine-binary.mjs')

/** prisma.config.ts as Prisma 7's docs lay it out: the URL comes from the environment. */
const PRISMA_CONFIG = `import { defineConfig, env } from 'prisma/config'

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: env('DATABASE_URL') },
})
`

function schema(provider: string, userFields: string): string {
  return `datasource db {
  provider = "${provider}"
}

model User {
  id    Int    @id @default(autoincrement())
  email String @unique
${userFields}  posts Post[]
}

model Post {
  id       Int    @id @default(autoincrement())
  title    String
  authorId Int
  author   User   @relation(fields: [authorId], references: [id])
}
`
}

const V1_FIELDS = ''
const V2_FIELDS = '  displayName String @default("anonymous")\n'

beforeAll(() => {
  // The CLI spawns the file itself: it must stay executable whatever the checkout did to its mode.
  chmodSync(schemaEngine, 0o755)
})

describe.each(DIALECTS)('prisma migrate on %s', (dialect) => {
  const provider = dialect === 'sqlite' ? 'sqlite' : 'postgresql'
  let project: string
  let devDatabase: ScratchDatabase
  let deployDatabase: ScratchDatabase
  const opened: Db<Record<string, ModelClass>>[] = []

  beforeEach(async () => {
    project = mkdtempSync(path.join(tmpdir(), 'prismalchemy-migrate-'))
    mkdirSync(path.join(project, 'prisma'))
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
    writeFileSync(path.join(project, 'prisma.config.ts'), PRISMA_CONFIG)
    // The app's own install: prisma.config.ts imports 'prisma/config' from it.
    symlinkSync(path.join(repository, 'node_modules'), path.join(project, 'node_modules'), 'dir')
    devDatabase = await scratchDatabase(dialect)
    deployDatabase = await scratchDatabase(dialect)
  })

  afterEach(async () => {
    for (const db of opened.splice(0)) await db.dispose()
    await devDatabase.drop()
    await deployDatabase.drop()
    rmSync(project, { recursive: true, force: true })
  })

  /** Runs the real Prisma CLI in the project against `database`; returns what it printed. */
  async function prisma(database: ScratchDatabase, ...args: string[]): Promise<string> {
    const env = { ...process.env, DATABASE_URL: database.url, PRISMA_SCHEMA_ENGINE_BINARY: schemaEngine, NO_COLOR: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' }
    const { stdout, stderr } = await run(process.execPath, [prismaCli, ...args], { cwd: project, env })
    return stdout + stderr
  }

  /** Generates the models of the project's schema into `generated-<version>/` and opens its `db` on `database`. */
  async function generatedDb(version: string, database: ScratchDatabase): Promise<Db<Record<string, ModelClass>>> {
    const schemaPath = path.join(project, 'prisma/schema.prisma')
    const { files } = await generateFromFiles([{ path: schemaPath, content: readFileSync(schemaPath, 'utf8') }], path.join(project, 'prisma'))
    const out = path.join(project, `generated-${version}`)
    mkdirSync(out)
    for (const file of files) writeFileSync(path.join(out, file.name), file.content)
    const { db } = (await import(pathToFileURL(path.join(out, 'db.ts')).href)) as { db: Db<Record<string, ModelClass>> }
    db.configure({ url: database.url })
    opened.push(db)
    return db
  }

  function migrationNames(): string[] {
    return readdirSync(path.join(project, 'prisma/migrations'))
      .filter((name) => name !== 'migration_lock.toml')
      .sort()
  }

  // Skipped on MySQL: the stand-in serves Prisma's wasm schema engine, which has no MySQL connector
  // (docs/notes/mariadb-adapter.md §7), and the native engine cannot be downloaded here.
  it.skipIf(dialect === 'mysql')('creates and applies migrations, seeds with the generated db, then adds a column that old rows and new code share', async () => {
    const schemaPath = path.join(project, 'prisma/schema.prisma')
    writeFileSync(schemaPath, schema(provider, V1_FIELDS))

    // Development: migrate dev writes prisma/migrations/<timestamp>_init and applies it.
    expect(await prisma(devDatabase, 'migrate', 'dev', '--name', 'init')).toContain('Your database is now in sync with your schema.')
    const [init] = migrationNames()
    expect(init).toMatch(/^\d{14}_init$/)
    expect(readFileSync(path.join(project, 'prisma/migrations/migration_lock.toml'), 'utf8')).toContain(`provider = "${provider}"`)
    expect(readFileSync(path.join(project, 'prisma/migrations', init!, 'migration.sql'), 'utf8')).toContain('CREATE TABLE "User"')

    // Production: migrate deploy applies the folder to a fresh database; the generated db seeds it.
    expect(await prisma(deployDatabase, 'migrate', 'deploy')).toContain('All migrations have been successfully applied.')
    const v1 = await generatedDb('v1', deployDatabase)
    const { User, Post } = v1.models as Record<string, new (init: object) => any>
    await v1.Session.begin(async (session) => {
      const ann = new User({ email: 'ann@example.com' })
      session.add(ann)
      session.add(new Post({ title: 'Hello', author: ann }))
      session.add(new User({ email: 'bob@example.com' }))
    })
    await v1.dispose()

    // The schema gains a column: a second migration, applied in both places.
    writeFileSync(schemaPath, schema(provider, V2_FIELDS))
    expect(await prisma(devDatabase, 'migrate', 'dev', '--name', 'add_display_name')).toContain('Your database is now in sync with your schema.')
    const [, addDisplayName] = migrationNames()
    expect(addDisplayName).toMatch(/^\d{14}_add_display_name$/)
    expect(readFileSync(path.join(project, 'prisma/migrations', addDisplayName!, 'migration.sql'), 'utf8')).toContain('displayName')
    expect(await prisma(deployDatabase, 'migrate', 'deploy')).toContain(addDisplayName)
    expect(await prisma(deployDatabase, 'migrate', 'status')).toContain('Database schema is up to date!')
    const applied = await deployDatabase.readRows<{ migration_name: string }>('SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name')
    expect(applied.map((row) => row.migration_name)).toEqual([init, addDisplayName])

    // Regenerated models read the old rows (with the column's default) and write the new column.
    const v2 = await generatedDb('v2', deployDatabase)
    const { User: UserV2 } = v2.models as Record<string, new (init: object) => any>
    await v2.Session.begin(async (session) => {
      const users = await session.query(UserV2).orderBy('email').all()
      expect(users.map((user: any) => [user.email, user.displayName])).toEqual([
        ['ann@example.com', 'anonymous'],
        ['bob@example.com', 'anonymous'],
      ])
      expect((await users[0].posts).map((post: any) => post.title)).toEqual(['Hello'])
      users[0].displayName = 'Ann'
      session.add(new UserV2({ email: 'cy@example.com', displayName: 'Cy' }))
    })
    const stored = await deployDatabase.readRows<{ email: string; displayName: string }>('SELECT email, "displayName" FROM "User" ORDER BY email')
    expect(stored).toEqual([
      { email: 'ann@example.com', displayName: 'Ann' },
      { email: 'bob@example.com', displayName: 'anonymous' },
      { email: 'cy@example.com', displayName: 'Cy' },
    ])
  }, 180_000)
})
