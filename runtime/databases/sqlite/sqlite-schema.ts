/** SQLite's side of createAll/dropAll: the schema engine's adapter and the plain connection for drop scripts, loaded only when a SQLite schema is pushed. */
import { existsSync } from 'node:fs'
import path from 'node:path'
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils'
import { importOptional, SQLITE_SCHEMA_ENGINE } from '../../engine/optional-package.js'
import { DatabaseUnavailableError } from '../../errors.js'
import type { ScriptConnection } from '../database-definition.js'
import { sqliteFilename } from './sqlite-url.js'

/**
 * The adapter factory the schema engine connects through: Prisma's better-sqlite3 adapter on the URL's
 * file. A file whose folder does not exist is refused here with a {@link DatabaseUnavailableError}
 * naming the folder: the engine itself reports only "External error id#0".
 */
export async function sqliteSchemaAdapterFactory(url: string): Promise<SqlMigrationAwareDriverAdapterFactory> {
  const file = sqliteFilename(url)
  const folder = path.dirname(file)
  if (!existsSync(folder)) throw DatabaseUnavailableError.folderMissing(file, folder, undefined)
  const { PrismaBetterSqlite3 } = await importOptional(SQLITE_SCHEMA_ENGINE, () => import('@prisma/adapter-better-sqlite3'))
  return new PrismaBetterSqlite3({ url: `file:${file}` })
}

/**
 * A plain better-sqlite3 connection that lists the tables and runs a drop script, or undefined when the
 * file does not exist. Drop scripts carry `PRAGMA foreign_keys=off`, which only takes effect outside a
 * transaction, so they run through better-sqlite3's `exec` (no implicit transaction) on a connection of
 * their own.
 */
export async function openSqliteScriptConnection(url: string): Promise<ScriptConnection | undefined> {
  const file = sqliteFilename(url)
  if (!existsSync(file)) return undefined
  const { default: BetterSqlite3 } = await importOptional(SQLITE_SCHEMA_ENGINE, () => import('better-sqlite3'))
  const db = new BetterSqlite3(file)
  return {
    tableNames: () =>
      db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
        .all()
        .map((row) => row.name),
    enumNames: () => [],
    exec: (script) => void db.exec(script),
    close: () => void db.close(),
  }
}
