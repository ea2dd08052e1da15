/** MySQL and MariaDB URLs (`mysql://`, `mariadb://`): the server they name, and the mariadb driver's connection options they may carry. */
import { ConfigurationError, type DatabaseAddress } from '../../errors.js'

/** True for `mysql://` and `mariadb://` URLs (Prisma's provider `mysql` covers both servers). */
export function isMysqlUrl(url: string): boolean {
  return /^(?:mysql|mariadb):\/\//.test(url)
}

/** The port MySQL and MariaDB listen on by default. */
const DEFAULT_PORT = 3306

/**
 * The server a MySQL URL names, as the mariadb driver reads it (no password): host `localhost` and
 * port 3306 when absent; a `?socketPath=` (a Unix socket) replaces the host, without a port. No
 * database when the path is empty (MySQL signs in without one). Empty for a URL the WHATWG parser refuses.
 */
export function mysqlAddress(url: string): DatabaseAddress {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return {}
  }
  const socketPath = parsed.searchParams.get('socketPath')
  const user = decodeURIComponent(parsed.username) || undefined
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || undefined
  if (socketPath !== null) return { host: socketPath, database, user }
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost', port: parsed.port === '' ? DEFAULT_PORT : Number(parsed.port), database, user }
}

/** How a URL parameter's text becomes the driver option's value. */
type OptionKind = 'milliseconds' | 'boolean' | 'text' | 'json-object'

/**
 * The mariadb connection options a URL may set, written as the driver's own URL parser names them
 * (`mariadb://...?connectTimeout=5000`), so a URL given to PrismaMariaDb works here unchanged. Options
 * that change what values look like (`dateStrings`, `bigIntAsNumber`, `decimalAsNumber`, `timezone`...)
 * or that the engine's own options set (`connectionLimit`, `acquireTimeout`, `prepareCacheLength`...)
 * are refused.
 */
const URL_OPTIONS: Readonly<Record<string, OptionKind>> = {
  connectTimeout: 'milliseconds',
  socketTimeout: 'milliseconds',
  queryTimeout: 'milliseconds',
  keepAliveDelay: 'milliseconds',
  socketPath: 'text',
  ssl: 'boolean',
  allowPublicKeyRetrieval: 'boolean',
  compress: 'boolean',
  charset: 'text',
  collation: 'text',
  initSql: 'text',
  sessionVariables: 'json-object',
}

/** URL parameters the engine's options stand for: the option to use instead. */
const ENGINE_OPTIONS: Readonly<Record<string, string>> = {
  connectionLimit: 'poolSize and maxOverflow',
  connection_limit: 'poolSize and maxOverflow',
  acquireTimeout: 'poolTimeout',
  pool_timeout: 'poolTimeout',
  minimumIdle: 'poolSize and poolIdleTimeout',
  idleTimeout: 'poolIdleTimeout',
  prepareCacheLength: 'preparedStatements and statementCacheSize',
}

/** The connection settings a MySQL URL gives the mariadb driver (a subset of its `ConnectionConfig`). */
export interface MysqlConnectionSettings {
  readonly host?: string
  readonly port?: number
  readonly user?: string
  readonly password?: string
  readonly database?: string
  readonly connectTimeout?: number
  readonly socketTimeout?: number
  readonly queryTimeout?: number
  readonly keepAliveDelay?: number
  readonly socketPath?: string
  readonly ssl?: boolean
  readonly allowPublicKeyRetrieval?: boolean
  readonly compress?: boolean
  readonly charset?: string
  readonly collation?: string
  readonly initSql?: string
  readonly sessionVariables?: Readonly<Record<string, unknown>>
}

/** `text`, the value of URL parameter `name`, as an option of `kind`; `ConfigurationError` naming it otherwise. */
function optionValue(name: string, kind: OptionKind, text: string): unknown {
  switch (kind) {
    case 'milliseconds': {
      const value = /^\d+$/.test(text) ? Number(text) : Number.NaN
      if (!Number.isSafeInteger(value)) throw ConfigurationError.badOption(name, text, `a whole number of milliseconds >= 0 (in the URL's ?${name}=)`)
      return value
    }
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw ConfigurationError.badOption(name, text, `'true' or 'false' (in the URL's ?${name}=)`)
      return text === 'true'
    case 'json-object': {
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        value = undefined
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw ConfigurationError.badOption(name, text, `a JSON object of session variables (in the URL's ?${name}=, percent-encoded)`)
      }
      return value
    }
    case 'text':
      return text
  }
}

/**
 * The mariadb connection settings of a `mysql://` or `mariadb://` URL: user, password, host, port and
 * database from the URL (percent-decoded), and the {@link URL_OPTIONS} its parameters set.
 * `ConfigurationError` for a URL the WHATWG parser refuses, a parameter the engine's options stand for
 * (naming the option), or any other parameter (naming those accepted).
 */
export function mysqlConnectionSettings(url: string): MysqlConnectionSettings {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw ConfigurationError.unsupportedUrl(url)
  }
  const settings: Record<string, unknown> = {}
  const set = (name: string, value: unknown): void => {
    if (value !== undefined && value !== '') settings[name] = value
  }
  set('host', parsed.hostname.replace(/^\[(.*)\]$/, '$1'))
  set('port', parsed.port === '' ? undefined : Number(parsed.port))
  set('user', decodeURIComponent(parsed.username))
  set('password', decodeURIComponent(parsed.password))
  set('database', decodeURIComponent(parsed.pathname.replace(/^\//, '')))
  for (const [name, text] of parsed.searchParams) {
    const kind = URL_OPTIONS[name]
    if (kind !== undefined) {
      settings[name] = optionValue(name, kind, text)
      continue
    }
    const instead = ENGINE_OPTIONS[name]
    if (instead !== undefined) throw ConfigurationError.urlParameter(name, 'MySQL', `the engine sets it from its ${instead} option${instead.includes(' and ') ? 's' : ''}: pass ${instead.includes(' and ') ? 'those' : 'that'} to createEngine() (or createDb()) instead`)
    throw ConfigurationError.urlParameter(name, 'MySQL', `the URL takes the mariadb driver options ${Object.keys(URL_OPTIONS).join(', ')}`)
  }
  return settings as MysqlConnectionSettings
}
