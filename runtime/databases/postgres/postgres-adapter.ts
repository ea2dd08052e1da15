/** Builds @prisma/adapter-pg factories over pg pools with the settings every PostgreSQL pool of ours needs. */
import type { PrismaPg } from '@prisma/adapter-pg'
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery } from '@prisma/driver-adapter-utils'
import type pg from 'pg'
import { importOptional, POSTGRES_DRIVER } from '../../engine/optional-package.js'
import type { AnsweredConnections } from './answered-connections.js'
import { StatementNames } from './statement-names.js'

/** Pool settings derived from the engine's options. */
export interface PostgresPoolSettings {
  /** Most connections open at once (poolSize + maxOverflow). */
  readonly max: number
  /** Connections kept open while idle (poolSize). */
  readonly min: number
  /** Milliseconds to wait for the server to accept a new connection. */
  readonly connectionTimeoutMs: number
  /** Seconds after which a connection is closed and replaced (SQLAlchemy's pool_recycle); 0 for never. */
  readonly maxLifetimeSeconds?: number
  /** Server-side prepared statements: at most this many distinct SQL texts get one; 0 or absent for none. */
  readonly preparedStatements?: number
  /**
   * Milliseconds after which an idle connection is closed, down to none (`poolIdleTimeout`: pg's
   * `idleTimeoutMillis` with `min: 0`); negative or absent: `min` connections stay open while idle.
   */
  readonly idleTimeoutMs?: number
}

/**
 * The pg pool configuration: `TimeZone=UTC` on every connection (adapter-pg writes UTC wall-clock
 * values; any other session zone shifts `timestamptz` writes), a connect timeout (pg's default waits
 * forever), TCP keep-alive, and `allowExitOnIdle` so a script whose pool is idle can exit (it also
 * unrefs pg's idle timers). Idle connections beyond `min` close after 10 s, or all of them after
 * `idleTimeoutMs` when given.
 */
export function postgresPoolConfig(url: string, settings: PostgresPoolSettings): pg.PoolConfig {
  const idleTimeout = settings.idleTimeoutMs !== undefined && settings.idleTimeoutMs > 0
  return {
    connectionString: url,
    max: settings.max,
    min: idleTimeout ? 0 : settings.min,
    connectionTimeoutMillis: settings.connectionTimeoutMs,
    idleTimeoutMillis: idleTimeout ? settings.idleTimeoutMs : 10_000,
    maxLifetimeSeconds: settings.maxLifetimeSeconds ?? 0,
    keepAlive: true,
    allowExitOnIdle: true,
    options: '-c TimeZone=UTC',
  }
}

/**
 * An adapter-pg factory: every `connect()` opens a fresh `pg.Pool` with {@link postgresPoolConfig},
 * ended by the adapter's `dispose()`. Errors of idle pooled connections (a server restart) are
 * absorbed by the adapter's pool listener; the pool drops those connections. pg and adapter-pg are
 * loaded at the first `connect()`, so applications on SQLite never load them (nor install them: they are
 * optional peer dependencies). `answered`, when given, watches each new pool (see {@link AnsweredConnections}).
 */
export function postgresAdapterFactory(url: string, settings: PostgresPoolSettings, answered?: AnsweredConnections): SqlDriverAdapterFactory {
  const capacity = settings.preparedStatements ?? 0
  const names = capacity > 0 ? new StatementNames(capacity) : undefined
  // Only statements with parameters are named: transaction control (BEGIN, COMMIT, ROLLBACK) stays unnamed.
  const options: ConstructorParameters<typeof PrismaPg>[1] =
    names === undefined ? {} : { statementNameGenerator: (query: SqlQuery): string => (query.args.length > 0 ? names.nameOf(query.sql) : undefined) as string }
  let loading: Promise<PrismaPg> | undefined
  const factory = (): Promise<PrismaPg> =>
    (loading ??= importOptional(POSTGRES_DRIVER, () => import('@prisma/adapter-pg')).then(({ PrismaPg }) => new PrismaPg(postgresPoolConfig(url, settings), options)))
  const connect = async (): Promise<SqlDriverAdapter> => {
    const adapter = await (await factory()).connect()
    answered?.watch(adapter, adapter.underlyingDriver())
    return adapter
  }
  return { provider: 'postgres', adapterName: '@prisma/adapter-pg', connect }
}
