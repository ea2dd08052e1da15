// MySQL URLs: which ones are MySQL's, the server they name (for error messages), the mariadb options they carry, and the pool configuration built from them and the engine's options.
import { describe, expect, it } from 'vitest'
import { ConfigurationError } from 'prismalchemy'
import { mysqlPoolConfig } from '../../runtime/databases/mysql/mysql-adapter.js'
import { isMysqlUrl, mysqlAddress, mysqlConnectionSettings } from '../../runtime/databases/mysql/mysql-url.js'
import { databaseOf } from '../../runtime/databases/registry.js'

describe('MySQL URLs', () => {
  it('are mysql:// and mariadb:// URLs, which the registry hands to the mysql row', () => {
    expect(isMysqlUrl('mysql://u@h/db')).toBe(true)
    expect(isMysqlUrl('mariadb://u@h/db')).toBe(true)
    expect(isMysqlUrl('postgresql://u@h/db')).toBe(false)
    expect(isMysqlUrl('mysqlx://u@h/db')).toBe(false)
    expect(databaseOf('mariadb://u@h/db').name).toBe('mysql')
  })

  it('name the server as the mariadb driver reads them, without the password', () => {
    expect(mysqlAddress('mysql://app:secret@db.internal:3307/shop')).toEqual({ host: 'db.internal', port: 3307, database: 'shop', user: 'app' })
    expect(mysqlAddress('mysql://app@localhost')).toEqual({ host: 'localhost', port: 3306, database: undefined, user: 'app' })
    expect(mysqlAddress('mysql://a%40b@[::1]/my%20db')).toEqual({ host: '::1', port: 3306, database: 'my db', user: 'a@b' })
    expect(mysqlAddress('mysql://app@localhost/shop?socketPath=/run/mysqld/mysqld.sock')).toEqual({ host: '/run/mysqld/mysqld.sock', database: 'shop', user: 'app' })
  })

  it('give the driver percent-decoded credentials and the mariadb options they set, typed', () => {
    const options = `connectTimeout=5000&ssl=true&queryTimeout=0&sessionVariables=${encodeURIComponent('{"innodb_lock_wait_timeout":5}')}&charset=utf8mb4`
    expect(mysqlConnectionSettings(`mariadb://app:p%40ss%3Aword@127.0.0.1:3307/shop?${options}`)).toEqual({
      host: '127.0.0.1',
      port: 3307,
      user: 'app',
      password: 'p@ss:word',
      database: 'shop',
      connectTimeout: 5000,
      ssl: true,
      queryTimeout: 0,
      sessionVariables: { innodb_lock_wait_timeout: 5 },
      charset: 'utf8mb4',
    })
  })

  it.each([
    ['connectTimeout=-1', 'configuration', /"connectTimeout" has the value "-1"; expected a whole number of milliseconds >= 0/],
    ['ssl=yes', 'configuration', /"ssl" has the value "yes"; expected 'true' or 'false'/],
    ['sessionVariables=%5B1%5D', 'configuration', /"sessionVariables" has the value "\[1\]"; expected a JSON object/],
    ['prepareCacheLength=10', 'url_parameter', /"prepareCacheLength" is not taken: the engine sets it from its preparedStatements and statementCacheSize options/],
    ['connection_limit=10', 'url_parameter', /"connection_limit" is not taken: the engine sets it from its poolSize and maxOverflow options/],
    ['timezone=Z', 'url_parameter', /"timezone" is not taken: the URL takes the mariadb driver options/],
  ])('refuse ?%s with a ConfigurationError (%s) that says what to do', (parameter, code, message) => {
    let error: unknown
    try {
      mysqlConnectionSettings(`mysql://app@localhost/shop?${parameter}`)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ConfigurationError)
    expect((error as ConfigurationError).code).toBe(code)
    expect((error as Error).message).toMatch(message)
  })
})

describe("the mariadb pool's configuration", () => {
  const connection = { host: '127.0.0.1', user: 'app' }

  it('keeps poolSize connections ready, closes the spare ones after 10 s idle, and waits poolTimeout for a connection or a connect', () => {
    expect(mysqlPoolConfig(connection, { connectionLimit: 15, poolSize: 5, acquireTimeoutMs: 30_000, idleTimeoutMs: -1, preparedStatements: 0 })).toEqual({
      host: '127.0.0.1',
      user: 'app',
      connectTimeout: 30_000,
      timezone: '+00:00',
      connectionLimit: 15,
      minimumIdle: 5,
      idleTimeout: 10,
      acquireTimeout: 30_000,
      prepareCacheLength: 0,
    })
  })

  it('closes idle connections down to one after poolIdleTimeout (minimumIdle 0 never opens one in mariadb 3.4.5)', () => {
    expect(mysqlPoolConfig(connection, { connectionLimit: 3, poolSize: 3, acquireTimeoutMs: 1000, idleTimeoutMs: 2500, preparedStatements: 0 })).toMatchObject({ minimumIdle: 1, idleTimeout: 3 })
    expect(mysqlPoolConfig(connection, { connectionLimit: 1, poolSize: 0, acquireTimeoutMs: 1000, preparedStatements: 0 })).toMatchObject({ minimumIdle: 1 })
  })

  it("keeps the URL's connect timeout, and the prepared statements the engine asks for", () => {
    expect(mysqlPoolConfig({ ...connection, connectTimeout: 2000 }, { connectionLimit: 2, poolSize: 1, acquireTimeoutMs: 30_000, preparedStatements: 100 })).toMatchObject({
      connectTimeout: 2000,
      prepareCacheLength: 100,
    })
  })
})
