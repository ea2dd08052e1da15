/** PostgreSQL's URLs, as its own clients accept them. */
import { ConfigurationError, type DatabaseAddress } from '../../errors.js'

/** True for `postgres://` and `postgresql://` URLs. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(?:ql)?:\/\//.test(url)
}

/**
 * The server a PostgreSQL URL names, as libpq reads it (no password): host `localhost` and port 5432
 * when absent, the database named after the user when absent; a `?host=` parameter (a socket folder)
 * overrides the host. Empty for a URL the WHATWG parser refuses.
 */
export function postgresAddress(url: string): DatabaseAddress {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return {}
  }
  const user = decodeURIComponent(parsed.username) || undefined
  const path = decodeURIComponent(parsed.pathname.replace(/^\//, ''))
  return {
    host: parsed.searchParams.get('host') ?? (parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost'),
    port: parsed.port === '' ? 5432 : Number(parsed.port),
    database: path || user,
    user,
  }
}

/** A PostgreSQL URL with our own parameters read and taken out: what pg is given. */
export interface PostgresUrlOptions {
  /** The URL without `pgbouncer`, as node-postgres gets it. */
  readonly url: string
  /**
   * `?pgbouncer=true` (Prisma's flag): the URL names a PgBouncer in transaction mode without
   * `max_prepared_statements` (before 1.21), so named prepared statements are refused.
   */
  readonly pgbouncer: boolean
}

/**
 * Reads and removes `pgbouncer` from a PostgreSQL URL, as Prisma accepts it: `true` or `false`;
 * any other value is a `ConfigurationError`. A URL the WHATWG parser refuses is returned unchanged.
 */
export function postgresUrlOptions(url: string): PostgresUrlOptions {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { url, pgbouncer: false }
  }
  const flag = parsed.searchParams.get('pgbouncer')
  if (flag === null) return { url, pgbouncer: false }
  if (flag !== 'true' && flag !== 'false') throw ConfigurationError.badOption('pgbouncer', flag, "'true' or 'false' (in the URL's ?pgbouncer=)")
  parsed.searchParams.delete('pgbouncer')
  return { url: parsed.toString(), pgbouncer: flag === 'true' }
}
