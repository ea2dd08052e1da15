/** Healing a pool of dead server connections: a statement that nothing depends on yet (BEGIN, an autocommit read) runs again on the next connection. */
import { isDriverAdapterError } from '@prisma/driver-adapter-utils'
import { isConnectionError } from './adapter-errors.js'

/**
 * Adapter error kinds, SQLSTATEs and raw messages that say no new connection could be had (server down
 * or refusing, starting up, full, connect timeout): another attempt would only fail, or wait, again.
 */
const UNREACHABLE_KINDS = new Set(['DatabaseNotReachable', 'TooManyConnections'])
const UNREACHABLE_MESSAGE = 'timeout exceeded when trying to connect'

/** True when `error` comes from opening a connection, not from using a pooled one the server had closed. */
export function isUnreachable(error: unknown): boolean {
  if (isDriverAdapterError(error)) {
    const cause = error.cause as { kind: string; code?: string }
    return UNREACHABLE_KINDS.has(cause.kind) || (cause.kind === 'postgres' && cause.code === '57P03')
  }
  return error instanceof Error && error.message.includes(UNREACHABLE_MESSAGE)
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
export async function retryOnDeadConnection<T>(attempts: number, attempt: () => Promise<T>): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt()
    } catch (error) {
      if (tried >= attempts || !isConnectionError(error) || isUnreachable(error)) throw error
    }
  }
}
