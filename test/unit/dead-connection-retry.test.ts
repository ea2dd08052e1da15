// retryOnDeadConnection: BEGIN and autocommit reads run again while the pooled connection they got was dead, within a bound, never after a failed connect.
import { DriverAdapterError } from '@prisma/driver-adapter-utils'
import { describe, expect, it } from 'vitest'
import { isUnreachable, retryOnDeadConnection } from '../../runtime/engine/dead-connection-retry.js'

const dead = () => new DriverAdapterError({ kind: 'ConnectionClosed' })
const terminated = () => new DriverAdapterError({ kind: 'postgres', code: '57P01', severity: 'FATAL', message: 'terminating connection due to administrator command', detail: undefined, column: undefined, hint: undefined })
const refused = () => new DriverAdapterError({ kind: 'DatabaseNotReachable' })

/** An attempt that throws `failures` in turn, then returns 'ok'; counts its calls. */
function attempts(failures: (() => Error)[]) {
  const calls = { n: 0 }
  const attempt = async () => {
    const failure = failures[calls.n++]
    if (failure !== undefined) throw failure()
    return 'ok'
  }
  return { attempt, calls }
}

describe('retryOnDeadConnection', () => {
  it('runs again after each dead connection until one works', async () => {
    const { attempt, calls } = attempts([dead, terminated, dead])
    await expect(retryOnDeadConnection(4, attempt)).resolves.toBe('ok')
    expect(calls.n).toBe(4)
  })

  it('gives up after `attempts` tries with the last error', async () => {
    const { attempt, calls } = attempts([dead, dead, terminated])
    await expect(retryOnDeadConnection(3, attempt)).rejects.toMatchObject({ cause: { code: '57P01' } })
    expect(calls.n).toBe(3)
  })

  it('does not retry when no connection could be opened, nor a statement error', async () => {
    const unreachable = attempts([dead, refused])
    await expect(retryOnDeadConnection(10, unreachable.attempt)).rejects.toMatchObject({ cause: { kind: 'DatabaseNotReachable' } })
    expect(unreachable.calls.n).toBe(2)
    const wrong = attempts([() => new Error('syntax error at or near "SELEC"')])
    await expect(retryOnDeadConnection(10, wrong.attempt)).rejects.toThrow('syntax error')
    expect(wrong.calls.n).toBe(1)
  })

  it('counts a connect timeout, a full pool or server, a starting server and a pooler refusal as unreachable', () => {
    expect(isUnreachable(new Error('timeout exceeded when trying to connect'))).toBe(true)
    // pg-pool's own connect timeout (connectionTimeoutMillis): the server accepted TCP and never answered.
    expect(isUnreachable(new Error('Connection terminated due to connection timeout'))).toBe(true)
    // PgBouncer refuses a connection it will not serve with a protocol violation.
    expect(isUnreachable(new Error('unsupported startup parameter: options'))).toBe(true)
    expect(isUnreachable(new DriverAdapterError({ kind: 'postgres', code: '08P01', severity: 'FATAL', message: 'no more connections allowed (max_client_conn)', detail: undefined, column: undefined, hint: undefined }))).toBe(true)
    expect(isUnreachable(new DriverAdapterError({ kind: 'TooManyConnections', cause: 'too many clients' }))).toBe(true)
    expect(isUnreachable(new DriverAdapterError({ kind: 'postgres', code: '57P03', severity: 'FATAL', message: 'the database system is starting up', detail: undefined, column: undefined, hint: undefined }))).toBe(true)
    expect(isUnreachable(terminated())).toBe(false)
    expect(isUnreachable(dead())).toBe(false)
  })
})
