/** PostgreSQL as the runtime supports it: `postgres(ql)://` URLs, reached through @prisma/adapter-pg for sessions and schema pushes alike. */
import type { SqlDriverAdapter } from '@prisma/driver-adapter-utils'
import { PrismaAdapterDriver } from '../../engine/adapter-driver.js'
import { ConfigurationError } from '../../errors.js'
import { positiveNumber } from '../../engine/option-checks.js'
import { importOptional, POSTGRES_SCHEMA_ENGINE } from '../../engine/optional-package.js'
import type { DatabaseDefinition } from '../database-definition.js'
import { AnsweredConnections, ANSWERED_WITHIN_MS } from './answered-connections.js'
import { postgresAdapterFactory } from './postgres-adapter.js'
import { postgresDialect } from './postgres-dialect.js'
import { isPostgresUrl, postgresAddress, postgresUrlOptions } from './postgres-url.js'

/** The schema the schema engine works in: adapter-pg reports none to it, so it takes its default. */
const POSTGRES_SCHEMA = 'public'

/** The PostgreSQL row of the database table. */
export const postgresDatabase: DatabaseDefinition = {
  name: 'postgresql',
  matches: isPostgresUrl,
  dialect: postgresDialect,
  singleStatementCommitsByDefault: true,
  driver(givenUrl, settings) {
    const { url, pgbouncer } = postgresUrlOptions(givenUrl)
    if (pgbouncer && settings.preparedStatements === true) throw ConfigurationError.preparedStatementsBehindPgBouncer()
    const { poolSize, maxOverflow, poolTimeoutMs, recycleMs, idleTimeoutMs } = settings
    // pool_recycle is pg's maxLifetimeSeconds: the adapter's pool owns the real connections.
    const maxLifetimeSeconds = recycleMs > 0 ? Math.max(1, Math.ceil(recycleMs / 1000)) : 0
    const preparedStatements = settings.preparedStatements === true ? Math.max(1, positiveNumber('statementCacheSize', settings.statementCacheSize, 500)) : 0
    // singleStatementCommits by default: a lone write goes alone only when the connection the pool hands it answered lately.
    const answered = settings.singleStatementCommits === undefined ? new AnsweredConnections() : undefined
    const factory = postgresAdapterFactory(url, { max: poolSize + maxOverflow, min: poolSize, connectionTimeoutMs: poolTimeoutMs, maxLifetimeSeconds, preparedStatements, idleTimeoutMs }, answered)
    const loneWritesAlone = answered === undefined ? undefined : (adapter: SqlDriverAdapter) => answered.nextCheckoutAnsweredWithin(adapter, ANSWERED_WITHIN_MS)
    // No connectionBudget: the adapter's pg.Pool opens and keeps the real connections, which a budget could neither count nor close.
    return (reporter) => new PrismaAdapterDriver({ factory, poolSize, maxOverflow, poolTimeoutMs, idleTimeoutMs, reporter, address: postgresAddress(url), loneWritesAlone })
  },
  schemaPush: {
    kind: 'prisma-schema-engine',
    provider: 'postgresql',
    feature: POSTGRES_SCHEMA_ENGINE,
    // The engine refuses bare names on PostgreSQL (P3023): they are qualified with the schema.
    filterName: (name) => `${POSTGRES_SCHEMA}.${name}`,
    adjustSource: (content) => content,
    load: async () => {
      const { postgresSchemaAdapterFactory, openPostgresScriptConnection } = await importOptional(POSTGRES_SCHEMA_ENGINE, () => import('./postgres-schema.js'))
      return { adapterFactory: postgresSchemaAdapterFactory, openScriptConnection: openPostgresScriptConnection }
    },
  },
}
