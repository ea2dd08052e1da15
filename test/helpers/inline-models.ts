// Models generated at test time from an inline schema, on a fresh database (SQLite file, PostgreSQL or MySQL) with its tables.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { createEngine, Session, type Engine, type SessionOptions } from 'prismalchemy'
import type { ModelRegistry } from 'prismalchemy/internal'
import { generateFromFiles } from '../../generator/generate.js'
import { scratchDatabaseWith, type ScratchDatabase } from './database.js'
import type { TestDialect } from './dialects.js'

/** An inline schema's generated registry, its database and an engine on it. */
export interface InlineModels {
  readonly registry: ModelRegistry
  /** The generated classes, typed loosely (the schema exists only at test time). */
  readonly classes: Record<string, new (init?: object) => any>
  readonly database: ScratchDatabase
  /** Reads rows with the plain driver: what is really stored. */
  readRows<T = Record<string, unknown>>(sqlText: string): Promise<T[]>
  readonly engine: Engine
  /** Runs `work` in a new session on the engine and always closes it (rolling back what was not committed). */
  inSession<T>(work: (session: Session) => Promise<T>, options?: Partial<SessionOptions>): Promise<T>
  /** Disposes the engine and deletes the folder. */
  dispose(): Promise<void>
}

/** An inline schema's generated registry, in a fresh folder that also holds the test's database files. */
export interface InlineRegistry {
  readonly registry: ModelRegistry
  /** The generated classes, typed loosely (the schema exists only at test time). */
  readonly classes: Record<string, new (init?: object) => any>
  /** The folder: `generated/` inside, and room for database files. */
  readonly dir: string
}

/** Generates models for `schema` (a full .prisma text) into a fresh folder and imports them; no database. */
export async function importInlineModels(name: string, schema: string): Promise<InlineRegistry> {
  const dir = mkdtempSync(path.join(tmpdir(), `prismalchemy-${name}-`))
  const { files } = await generateFromFiles([{ path: `schema/${name}.prisma`, content: schema }], 'schema')
  mkdirSync(path.join(dir, 'generated'))
  for (const file of files) writeFileSync(path.join(dir, 'generated', file.name), file.content)
  const { registry } = (await import(pathToFileURL(path.join(dir, 'generated', 'models.ts')).href)) as { registry: ModelRegistry }
  return { registry, classes: registry.classes as InlineRegistry['classes'], dir }
}

/** Generates models for `schema` (a full .prisma text), imports them, creates the tables in a fresh database of `dialect` and opens an engine. */
export async function inlineModels(name: string, schema: string, dialect: TestDialect = 'sqlite'): Promise<InlineModels> {
  const { registry, dir } = await importInlineModels(name, schema)
  const database = await scratchDatabaseWith(dialect, registry.schema.sources)
  const engine = createEngine(database.url)
  return {
    registry,
    classes: registry.classes as InlineModels['classes'],
    database,
    readRows: (sqlText) => database.readRows(sqlText),
    engine,
    inSession: async (work, options) => {
      const session = new Session({ bind: engine, ...options })
      try {
        return await work(session)
      } finally {
        await session.close()
      }
    },
    dispose: async () => {
      await engine.dispose()
      await database.drop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
