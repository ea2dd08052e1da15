/** MySQL and MariaDB as the runtime supports them: `mysql://` and `mariadb://` URLs, reached through @prisma/adapter-mariadb; createAll/dropAll render Prisma's DDL. */
import { PrismaAdapterDriver } from '../../engine/adapter-driver.js'
import { positiveNumber } from '../../engine/option-checks.js'
import { ConfigurationError } from '../../errors.js'
import type { DatabaseDefinition } from '../database-definition.js'
import { mysqlAdapterFactory } from './mysql-adapter.js'
import { mysqlDialect } from './mysql-dialect.js'
import { mysqlSchemaPush } from './mysql-schema-push.js'
import { openMysqlStream } from './mysql-stream.js'
import { isMysqlUrl, mysqlAddress, mysqlConnectionSettings } from './mysql-url.js'

/**
 * Server-side prepared statements kept per connection under `preparedStatements: true`, unless
 * `statementCacheSize` says otherwise: fewer than elsewhere, because the server caps them across all
 * connections (`max_prepared_stmt_count`, 16,382 by default), and every process holds
 * (poolSize + maxOverflow) times this many.
 */
const DEFAULT_PREPARED_STATEMENTS = 100

/** The MySQL/MariaDB row of the database table. */
export const mysqlDatabase: DatabaseDefinition = {
  name: 'mysql',
  matches: isMysqlUrl,
  dialect: mysqlDialect,
  // The lone write needs no BEGIN to heal: the mariadb pool pings a connection idle for more than 0.5 s before handing it out.
  singleStatementCommitsByDefault: true,
  driver(url, settings) {
    const connection = mysqlConnectionSettings(url)
    const { poolSize, maxOverflow, poolTimeoutMs, recycleMs, idleTimeoutMs } = settings
    if (recycleMs > 0) {
      throw ConfigurationError.optionUnsupported(
        'poolRecycle',
        'MySQL',
        'the mariadb driver\'s pool gives connections no lifetime. What pool_recycle is for on MySQL, connections the server closed after wait_timeout, ' +
          'the pool already handles: it pings a connection idle for more than 0.5 s before handing it out, and replaces a dead one. Use poolIdleTimeout to close idle connections sooner',
      )
    }
    // Off: every statement is prepared and closed in the same round trip, as PrismaClient's adapter does by default.
    const preparedStatements = settings.preparedStatements === true ? Math.max(1, positiveNumber('statementCacheSize', settings.statementCacheSize, DEFAULT_PREPARED_STATEMENTS)) : 0
    const address = mysqlAddress(url)
    const factory = mysqlAdapterFactory(connection, { connectionLimit: poolSize + maxOverflow, poolSize, acquireTimeoutMs: poolTimeoutMs, idleTimeoutMs, preparedStatements }, address)
    // No connectionBudget: the adapter's mariadb pool opens and keeps the real connections, which a budget could neither count nor close.
    return (reporter) =>
      new PrismaAdapterDriver({
        factory,
        poolSize,
        maxOverflow,
        poolTimeoutMs,
        idleTimeoutMs,
        reporter,
        address,
        defaultIsolationLevel: 'REPEATABLE READ',
        writeConflictEndsTransaction: true,
        openStream: openMysqlStream,
      })
  },
  schemaPush: mysqlSchemaPush,
}
