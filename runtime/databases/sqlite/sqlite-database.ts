/** SQLite as the runtime supports it: `file:` and `sqlite:` URLs, better-sqlite3 directly, and Prisma's better-sqlite3 adapter for schema pushes. */
import { positiveNumber } from '../../engine/option-checks.js'
import { SQLITE_SCHEMA_ENGINE } from '../../engine/optional-package.js'
import type { DatabaseDefinition } from '../database-definition.js'
import { sqliteDialect } from './sqlite-dialect.js'
import { SqliteDriver } from './sqlite-driver.js'
import { isSqliteUrl, sqliteFilename } from './sqlite-url.js'

/** A `Json` field's line with a constant `@default("...")`: the attribute is the second group. */
const JSON_DEFAULT = /^(\s*\w+\s+Json\??\s[^\n]*?)(\s*@default\(\s*"(?:[^"\\\n]|\\.)*"\s*\))/gm

/**
 * On SQLite, Prisma's schema engine writes a `Json` field's `@default("{...}")` into the CREATE TABLE
 * unquoted (`DEFAULT {"a": 1}`), which SQLite rejects ("unrecognized token"; prisma/orm#26571, `prisma db
 * push` fails the same way). Such defaults are left out of the tables: the runtime writes the default
 * itself on every INSERT, as PrismaClient does (it sends constant defaults with the row), so rows get it
 * either way; only SQL that inserts rows by hand no longer does.
 */
function withoutJsonDefaults(content: string): string {
  return content.replace(JSON_DEFAULT, '$1')
}

/** The SQLite row of the database table. */
export const sqliteDatabase: DatabaseDefinition = {
  name: 'sqlite',
  matches: isSqliteUrl,
  dialect: sqliteDialect,
  singleStatementCommitsByDefault: true,
  driver(url, settings) {
    const filename = sqliteFilename(url)
    const busyTimeoutMs = positiveNumber('busyTimeout', settings.busyTimeout, 5) * 1000
    const statementCacheSize = Math.max(1, positiveNumber('statementCacheSize', settings.statementCacheSize, 500))
    return (reporter) =>
      new SqliteDriver({
        filename,
        poolSize: settings.poolSize,
        maxOverflow: settings.maxOverflow,
        poolTimeoutMs: settings.poolTimeoutMs,
        recycleMs: settings.recycleMs,
        idleTimeoutMs: settings.idleTimeoutMs,
        prePing: settings.prePing,
        busyTimeoutMs,
        statementCacheSize,
        budget: settings.connectionBudget,
        reporter,
      })
  },
  schemaPush: {
    kind: 'prisma-schema-engine',
    provider: 'sqlite',
    feature: SQLITE_SCHEMA_ENGINE,
    filterName: (name) => name,
    adjustSource: withoutJsonDefaults,
    load: async () => {
      const { sqliteSchemaAdapterFactory, openSqliteScriptConnection } = await import('./sqlite-schema.js')
      return { adapterFactory: sqliteSchemaAdapterFactory, openScriptConnection: openSqliteScriptConnection }
    },
  },
}
