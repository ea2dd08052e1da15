/** Builds @prisma/adapter-mariadb factories over mariadb pools with the settings every MySQL/MariaDB pool of ours needs, and a fast first-connection check. */
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils'
import type * as mariadb from 'mariadb'
import { mapAdapterError } from '../../engine/adapter-errors.js'
import { importOptional, MYSQL_DRIVER } from '../../engine/optional-package.js'
import { ConnectionLostError, DatabaseUnavailableError, type DatabaseAddress, type OrmError } from '../../errors.js'
import type { MysqlConnectionSettings } from './mysql-url.js'

/** Pool settings derived from the engine's options. */
export interface MysqlPoolSettings {
  /** Most connections open at once (poolSize + maxOverflow). */
  readonly connectionLimit: number
  /** Connections kept open and ready while idle (poolSize). */
  readonly poolSize: number
  /** Milliseconds to wait for a pooled connection (poolTimeout); also the connect timeout unless the URL sets one. */
  readonly acquireTimeoutMs: number
  /**
   * Milliseconds after which an idle connection is closed, down to one (`poolIdleTimeout`); negative or
   * absent: `poolSize` connections stay open while idle, and those beyond close after 10 s.
   */
  readonly idleTimeoutMs?: number
  /** Server-side prepared statements kept per connection (the driver's LRU `prepareCacheLength`); 0 for none. */
  readonly preparedStatements: number
}

/** Seconds an idle connection beyond `poolSize` stays open, as on PostgreSQL's pools. */
const SPARE_IDLE_SECONDS = 10

/**
 * The mariadb pool configuration: the URL's connection settings, the session time zone `+00:00`
 * (TIMESTAMP columns and NOW() then agree with the UTC wall-clock text DATETIME values are written
 * as), a connect timeout of `acquireTimeoutMs` unless the URL sets one (the driver's own is 1 s), and
 * the pool's size. `minimumIdle` is at least 1: with 0, mariadb 3.4.5's pool never opens a
 * connection and every checkout times out. The pool keeps `minimumIdle` connections idle and ready,
 * opening more (up to `connectionLimit`) when fewer are idle.
 */
export function mysqlPoolConfig(connection: MysqlConnectionSettings, settings: MysqlPoolSettings): mariadb.PoolConfig {
  const idleTimeout = settings.idleTimeoutMs !== undefined && settings.idleTimeoutMs > 0
  return {
    ...connection,
    connectTimeout: connection.connectTimeout ?? settings.acquireTimeoutMs,
    timezone: '+00:00',
    connectionLimit: settings.connectionLimit,
    minimumIdle: idleTimeout ? 1 : Math.max(1, Math.min(settings.poolSize, settings.connectionLimit)),
    idleTimeout: idleTimeout ? Math.max(1, Math.ceil((settings.idleTimeoutMs as number) / 1000)) : SPARE_IDLE_SECONDS,
    acquireTimeout: settings.acquireTimeoutMs,
    prepareCacheLength: settings.preparedStatements,
  }
}

/**
 * Opens one plain connection with the pool's settings and closes it: the mariadb pool reports a server
 * that refuses connections only after `acquireTimeout`, and only as the text of a pool timeout's cause;
 * a lone connection fails with the driver's own error at once (`ECONNREFUSED`, errno 1045...), or after
 * `connectTimeout` for a server that never answers. Returns the named error when the connection could
 * not be opened (a {@link DatabaseUnavailableError}, or a {@link ConnectionLostError} for a server
 * gone since the engine `connectedBefore`, one that never answered, or one with too many connections);
 * undefined when it worked, or failed otherwise, which is left to the pool.
 */
async function refusal(driver: typeof mariadb, config: mariadb.PoolConfig, address: DatabaseAddress, connectedBefore: boolean): Promise<OrmError | undefined> {
  let connection: mariadb.Connection
  try {
    connection = await driver.createConnection(config)
  } catch (error) {
    const named = mapAdapterError(error, undefined, address, connectedBefore)
    return named instanceof DatabaseUnavailableError || named instanceof ConnectionLostError ? named : undefined
  }
  await connection.end().catch(() => undefined)
  return undefined
}

/**
 * An adapter-mariadb factory: every `connect()` opens a fresh mariadb pool with {@link mysqlPoolConfig},
 * ended by the adapter's `dispose()`, and meanwhile checks with one plain connection that the server
 * accepts ours, so that a database that cannot be opened fails the first statement at once, with a
 * named error, instead of after `poolTimeout` (twice: the adapter's version query waits for it too). adapter-mariadb and
 * mariadb are loaded at the first `connect()`, so applications on other databases never load them
 * (nor install them: they are optional peer dependencies).
 */
export function mysqlAdapterFactory(connection: MysqlConnectionSettings, settings: MysqlPoolSettings, address: DatabaseAddress): SqlDriverAdapterFactory {
  const config = mysqlPoolConfig(connection, settings)
  let loading: Promise<[typeof import('@prisma/adapter-mariadb'), typeof mariadb]> | undefined
  let connectedBefore = false
  const load = () => (loading ??= importOptional(MYSQL_DRIVER, () => Promise.all([import('@prisma/adapter-mariadb'), import('mariadb')])))
  return {
    provider: 'mysql',
    adapterName: '@prisma/adapter-mariadb',
    async connect() {
      const [{ PrismaMariaDb }, driver] = await load()
      const pool = driver.createPool(config)
      // The pool emits 'error' for each connection it fails to open in the background (it retries with a back-off);
      // callers see the failure as the checkout's own error (45028 with its cause), so the event needs no handler but
      // must have one: an EventEmitter without one throws it, as an unhandled error of the process.
      // (mariadb's typings list only its pool's other events.)
      ;(pool as unknown as NodeJS.EventEmitter).on('error', () => undefined)
      const opening = new PrismaMariaDb(pool, { disposeExternalPool: true }).connect()
      const refused = await refusal(driver, config, address, connectedBefore)
      if (refused !== undefined) {
        // The adapter's version query fails at once on the ended pool.
        await pool.end().catch(() => undefined)
        await opening.then((adapter) => adapter.dispose()).catch(() => undefined)
        throw refused
      }
      connectedBefore = true
      return opening
    },
  }
}
