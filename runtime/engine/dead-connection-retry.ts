/** Healing a pool of dead server connections: a statement that nothing depends on yet (BEGIN, an autocommit read) runs again on the next connection. */
import { isDriverAdapterError } from '@prisma/driver-adapter-utils'
import { isConnectionError, isMysqlPoolTimeout } from './adapter-errors.js'

/**
 * Adapter error kinds, SQLSTATEs and raw messages that say no new connection could be had: another
 * attempt would only fail, or wait, again. The server is down, refusing, starting up (57P03) or full;
 * a pooler refused the connection (PgBouncer answers with a protocol violation, 08P01: an unsupported
 * startup parameter, `max_client_conn`); opening one timed out (pg-pool's "Connection terminated due
 * to connection timeout", after `connectionTimeoutMillis`); or the pool had no free slot in time
 * ("timeout exceeded when trying to connect"; the mariadb pool's 45028, after its `acquireTimeout`).
 */
const UNREACHABLE_KINDS = new Set(['DatabaseNotReachable', 'TooManyConnections'])
const UNREACHABLE_SQLSTATES = new Set(['57P03', '08P01'])
const UNREACHABLE_MESSAGES = ['timeout exceeded when trying to connect', 'Connection terminated due to connection timeout', 'unsupported startup parameter']

/** True when `error` comes from opening a connection, not from using a pooled one the server had closed. */
export function isUnreachable(error: unknown): boolean {
  if (isMysqlPoolTimeout(error)) return true
  if (isDriverAdapterError(error)) {
    const cause = error.cause as { kind: string; code?: string }
    return UNREACHABLE_KINDS.has(cause.kind) || (cause.kind === 'postgres' && cause.code !== undefined && UNREACHABLE_SQLSTATES.has(cause.code))
  }
  return error instanceof Error && UNREACHABLE_MESSAGES.some((message) => error.message.includes(message))
}

/**
 * Runs `attempt` (which checks a server connection out of the driver's pool and uses it), and runs
 * it again while it fails because that connection was dead: the server, a proxy or the network
 * closed it while it sat idle, and the pool had not seen it yet. Each failure has the pool drop that
 * connection (pg's pool removes a client released with an error), so after at most `attempts - 1`
 * failures, one per connection the pool can hold, the attempt runs on a freshly opened connection.
 * Only for work that sent nothing the server kept: BEGIN, or a read outside any transaction.
 * A connection that cannot be opened (server down) is not retried.
 */
export function retryOnDeadConnection<T>(attempts: number, attempt: () => Promise<T>): Promise<T> {
  // One attempt (a write, a transaction's statement): its own promise, without one more around it.
  return attempts <= 1 ? attempt() : retrying(attempts, attempt)
}

/** {@link retryOnDeadConnection} with more than one attempt, `tried` of them made: one promise around each attempt (an async loop made two). */
function retrying<T>(attempts: number, attempt: () => Promise<T>, tried = 1): Promise<T> {
  let running: Promise<T>
  try {
    running = attempt()
  } catch (error) {
    running = Promise.reject(error)
  }
  return running.catch((error: unknown) => {
    if (tried >= attempts || !isConnectionError(error) || isUnreachable(error)) throw error
    return retrying(attempts, attempt, tried + 1)
  })
}
