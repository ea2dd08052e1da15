/** createAll()/dropAll() on MySQL: Prisma validates the schema, the DDL is rendered here (mysql-tables.ts, mysql-ddl.ts) and run one statement at a time through the mariadb driver. */
import type { Connection } from 'mariadb'
import { mapAdapterError } from '../../engine/adapter-errors.js'
import { importOptional, MYSQL_SCHEMA_PUSH } from '../../engine/optional-package.js'
import type { DropRequest, PushRequest, PushResult, SchemaSource } from '../../engine/schema-push.js'
import { parseSchema } from '../../engine/schema-syntax.js'
import { ConfigurationError, SchemaPushError } from '../../errors.js'
import { createScript, dropForeignKey, dropTable, mysqlIdentifier } from './mysql-ddl.js'
import { liveTables, tableDifferences, type MysqlQuery } from './mysql-live-tables.js'
import { mysqlTables, type MysqlTable } from './mysql-tables.js'
import { mysqlAddress, mysqlConnectionSettings } from './mysql-url.js'

/**
 * Creates the schema's tables that do not exist yet, as `prisma db push` creates them (every CREATE
 * TABLE, then every foreign key), and the URL's database first when it is missing (as `db push` does, in
 * utf8mb4 with `utf8mb4_unicode_ci`). Tables that exist are compared with the schema
 * ({@link tableDifferences}): when one differs, nothing is changed and `SchemaPushError.existingTablesDiffer`
 * names every difference. `force` has nothing to accept: no step can lose data.
 */
export async function pushMysqlSchema(request: PushRequest): Promise<PushResult> {
  const tables = await declaredTables('createAll()', request.sources, request.externalTables)
  return withServer(request.url, 'createAll()', async (server) => {
    await server.useDatabase(true)
    const live = await liveTables(server.query)
    const differences = tables.flatMap((table) => {
      const existing = live.get(table.name)
      return existing === undefined ? [] : tableDifferences(table, existing)
    })
    if (differences.length > 0) throw SchemaPushError.existingTablesDiffer(differences)
    const created = tables.filter((table) => !live.has(table.name))
    const statements = createScript(created)
    for (const statement of statements) await server.run(statement)
    return { executedSteps: statements.length, warnings: [] }
  })
}

/**
 * Drops the schema's tables that exist (models' and join tables, never another table nor a table in
 * `externalTables`): their foreign keys first, then the tables, as Prisma's migrations order it. Missing
 * tables are not an error; a missing database is nothing to drop.
 */
export async function dropMysqlSchema(request: DropRequest): Promise<void> {
  const tables = await declaredTables('dropAll()', request.sources, request.externalTables)
  await withServer(request.url, 'dropAll()', async (server) => {
    if (!(await server.useDatabase(false))) return
    const live = await liveTables(server.query)
    const existing = tables.flatMap((table) => live.get(table.name) ?? [])
    for (const table of existing) for (const key of table.foreignKeys) await server.run(dropForeignKey(table.name, key.name))
    for (const table of existing) await server.run(dropTable(table.name))
  })
}

/** @internal The tables of the schema, minus those of other databases; `SchemaPushError.invalidSchema` with Prisma's validation text when it is not valid for MySQL. */
async function declaredTables(operation: string, sources: readonly SchemaSource[], externalTables: readonly string[]): Promise<MysqlTable[]> {
  const validator = await importOptional(MYSQL_SCHEMA_PUSH, () => import('@prisma/prisma-schema-wasm'))
  try {
    validator.validate(JSON.stringify({ prismaSchema: sources.map((source) => [source.path, source.content]), noColor: true }))
  } catch (cause) {
    throw SchemaPushError.invalidSchema(operation, new Error(validationMessage(cause), { cause }))
  }
  const external = new Set(externalTables)
  return mysqlTables(parseSchema(sources)).filter((table) => !external.has(table.name))
}

/** @internal The text of the validator's error, which is JSON (`{"error_code":"P1012","message":"..."}`). */
function validationMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  try {
    const parsed = JSON.parse(text) as { message?: unknown }
    return typeof parsed.message === 'string' ? parsed.message : text
  } catch {
    return text
  }
}

/** @internal One connection to the URL's server, opened without a database. */
interface ServerConnection {
  /** Runs one statement; a failure becomes `DatabaseError` with the statement. */
  run(statement: string): Promise<void>
  /** Runs one query with `?` parameters. */
  query: MysqlQuery
  /**
   * Makes the URL's database the current one and says whether it exists: a missing one is created
   * first when `createMissing` (as `prisma db push` does, in utf8mb4 with `utf8mb4_unicode_ci`).
   */
  useDatabase(createMissing: boolean): Promise<boolean>
}

/**
 * @internal Opens one connection to the URL's server without a database (so that a missing one can be
 * created), runs `use`, closes the connection. A refused connection is a `DatabaseUnavailableError`; a failed
 * statement a `DatabaseError` carrying its SQL.
 */
async function withServer<T>(url: string, operation: string, use: (server: ServerConnection) => Promise<T>): Promise<T> {
  const { database, ...settings } = mysqlConnectionSettings(url)
  if (database === undefined) throw ConfigurationError.urlWithoutDatabase(operation)
  const { default: mariadb } = await importOptional(MYSQL_SCHEMA_PUSH, () => import('mariadb'))
  const address = mysqlAddress(url)
  let connection: Connection
  try {
    connection = await mariadb.createConnection({ ...settings, connectTimeout: settings.connectTimeout ?? 10_000 })
  } catch (error) {
    // The driver's own error of a lone connection (ECONNREFUSED, errno 1045...): a DatabaseUnavailableError naming the server.
    throw mapAdapterError(error, undefined, address, false)
  }
  const query: MysqlQuery = async (statement, params = []) => {
    try {
      return (await connection.query(statement, [...params])) as Record<string, unknown>[]
    } catch (error) {
      throw mapAdapterError(error, statement, address)
    }
  }
  const run = async (statement: string): Promise<void> => void (await query(statement))
  const server: ServerConnection = {
    run,
    query,
    async useDatabase(createMissing) {
      const exists = (await query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database])).length > 0
      if (!exists && !createMissing) return false
      if (!exists) await run(`CREATE DATABASE ${mysqlIdentifier(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
      await run(`USE ${mysqlIdentifier(database)}`)
      return true
    },
  }
  try {
    return await use(server)
  } finally {
    await connection.end().catch(() => undefined)
  }
}
