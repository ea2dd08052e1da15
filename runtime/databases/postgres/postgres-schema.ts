/** PostgreSQL's side of createAll/dropAll: the schema engine's adapter and the plain connection for drop scripts, loaded only when a PostgreSQL schema is pushed. */
import { PrismaPg } from '@prisma/adapter-pg'
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils'
import pg from 'pg'
import { postgresPoolConfig } from './postgres-adapter.js'
import type { ScriptConnection } from '../database-definition.js'

/** A pg client that reports OID 18 ("char") columns as text, for the schema engine's catalog queries only. */
class CharAsTextClient extends pg.Client {
  override query(...args: unknown[]): never {
    const fix = (result: unknown): unknown => {
      for (const part of Array.isArray(result) ? result : [result]) {
        for (const field of (part as { fields?: { dataTypeID: number }[] } | undefined)?.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25
      }
      return result
    }
    const last = args.length - 1
    const callback = args[last]
    if (typeof callback === 'function') {
      args[last] = (error: unknown, result: unknown) => (callback as (e: unknown, r: unknown) => void)(error, error ? result : fix(result))
      return (super.query as (...a: unknown[]) => never)(...args)
    }
    const returned = (super.query as (...a: unknown[]) => unknown)(...args)
    return (returned instanceof Promise ? returned.then(fix) : returned) as never
  }
}

/**
 * The adapter factory the schema engine connects through. The engine's describer reads pg_catalog
 * columns of type "char" (OID 18), which adapter-pg refuses; this pool's client reads them as text
 * (see the shared notes on adapters, section 9).
 */
export function postgresSchemaAdapterFactory(url: string): SqlMigrationAwareDriverAdapterFactory {
  return new PrismaPg(new pg.Pool({ ...postgresPoolConfig(url, { max: 2, min: 0, connectionTimeoutMs: 30_000 }), Client: CharAsTextClient }), { disposeExternalPool: true })
}

/** A plain pg connection that lists the current schema's tables and enums and runs a drop script. */
export async function openPostgresScriptConnection(url: string): Promise<ScriptConnection> {
  const client = new pg.Client(postgresPoolConfig(url, { max: 1, min: 0, connectionTimeoutMs: 30_000 }))
  await client.connect()
  return {
    tableNames: async () =>
      (await client.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")).rows.map((row) => row.name),
    enumNames: async () =>
      (await client.query<{ name: string }>("SELECT typname AS name FROM pg_type WHERE typtype = 'e' AND typnamespace = current_schema()::regnamespace")).rows.map((row) => row.name),
    // A zero-parameter query uses the simple protocol: the whole script runs as one implicit transaction.
    exec: async (script) => void (await client.query(script)),
    close: () => client.end(),
  }
}
