// A real SQLite file per test, with the example schema's tables created through Prisma's schema engine.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { createEngine, Session, type Engine, type EngineOptions } from 'prismalchemy'
import { registry } from '../../generated/models.js'
import { pushSchema } from '../../runtime/engine/schema-engine.js'

/** A fresh database file with the schema's tables, an engine on it, and cleanup. */
export interface TestDatabase {
  readonly url: string
  readonly filename: string
  readonly engine: Engine
  /** A new session on the engine. */
  session(options?: { autoflush?: boolean; expireOnCommit?: boolean }): Session
  /** Disposes the engine and deletes the files. */
  dispose(): Promise<void>
}

/** Creates a temporary SQLite database holding the example schema's tables. */
export async function createTestDatabase(options: EngineOptions = {}): Promise<TestDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-test-'))
  const filename = path.join(dir, 'test.db')
  const url = `file:${filename}`
  await pushSchema({ url, sources: registry.schema.sources })
  const engine = createEngine(url, options)
  return {
    url,
    filename,
    engine,
    session: (sessionOptions) => new Session({ bind: engine, ...sessionOptions }),
    dispose: async () => {
      await engine.dispose()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Reads rows straight from a SQLite file with plain better-sqlite3 (no session, no cache): what is really stored. */
export function readRows<T = Record<string, unknown>>(filename: string, sqlText: string): T[] {
  const raw = new Database(filename, { readonly: true })
  try {
    return raw.prepare(sqlText).all() as T[]
  } finally {
    raw.close()
  }
}
