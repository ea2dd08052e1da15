// Models generated at test time from an inline schema, on a fresh SQLite file with its tables.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { createEngine, Session, type Engine, type ModelRegistry, type SessionOptions } from 'prismalchemy'
import { generateFromFiles } from '../../generator/generate.js'
import { pushSchema } from '../../runtime/engine/schema-engine.js'

/** An inline schema's generated registry, its database file and an engine on it. */
export interface InlineModels {
  readonly registry: ModelRegistry
  /** The generated classes, typed loosely (the schema exists only at test time). */
  readonly classes: Record<string, new (init?: object) => any>
  readonly filename: string
  readonly engine: Engine
  /** Runs `work` in a new session on the engine and always closes it (rolling back what was not committed). */
  inSession<T>(work: (session: Session) => Promise<T>, options?: Partial<SessionOptions>): Promise<T>
  /** Disposes the engine and deletes the folder. */
  dispose(): Promise<void>
}

/** Generates models for `schema` (a full .prisma text), imports them, creates the tables and opens an engine. */
export async function inlineModels(name: string, schema: string): Promise<InlineModels> {
  const dir = mkdtempSync(path.join(tmpdir(), `prismalchemy-${name}-`))
  const { files } = await generateFromFiles([{ path: `schema/${name}.prisma`, content: schema }], 'schema')
  mkdirSync(path.join(dir, 'generated'))
  for (const file of files) writeFileSync(path.join(dir, 'generated', file.name), file.content)
  const { registry } = (await import(pathToFileURL(path.join(dir, 'generated', 'models.ts')).href)) as { registry: ModelRegistry }
  const filename = path.join(dir, `${name}.db`)
  await pushSchema({ url: `file:${filename}`, sources: registry.schema.sources })
  const engine = createEngine(`file:${filename}`)
  return {
    registry,
    classes: registry.classes as InlineModels['classes'],
    filename,
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
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
