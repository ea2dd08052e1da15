/** The databases the runtime supports, and the one a URL names: `createEngine` and createAll/dropAll both look URLs up here. */
import { ConfigurationError } from '../errors.js'
import type { DatabaseDefinition } from './database-definition.js'
import { mysqlDatabase } from './mysql/mysql-database.js'
import { postgresDatabase } from './postgres/postgres-database.js'
import { sqliteDatabase } from './sqlite/sqlite-database.js'

/** Every supported database, one row each. */
export const DATABASES: readonly DatabaseDefinition[] = [sqliteDatabase, postgresDatabase, mysqlDatabase]

/** The database `url` names; `ConfigurationError` when no supported database takes it. */
export function databaseOf(url: string): DatabaseDefinition {
  const database = DATABASES.find((candidate) => candidate.matches(url))
  if (database === undefined) throw ConfigurationError.unsupportedUrl(url)
  return database
}
