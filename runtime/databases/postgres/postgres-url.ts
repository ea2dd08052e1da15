/** PostgreSQL's URLs, as its own clients accept them. */
import type { DatabaseAddress } from '../../errors.js'

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
