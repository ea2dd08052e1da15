// QueuePool: SQLAlchemy's pool_size / max_overflow / pool_timeout / pool_recycle / pool_pre_ping semantics, owners and dispose, on plain values as connections.
import { describe, expect, it, vi } from 'vitest'
import { ConnectionLostError, PoolTimeoutError } from 'prismalchemy'
import { QueuePool } from '../../runtime/engine/pool.js'

function makePool(poolSize: number, maxOverflow: number, timeoutMs = 50) {
  let next = 0
  const closed: number[] = []
  const pool = new QueuePool<number>({
    create: () => ++next,
    destroy: (connection) => {
      closed.push(connection)
    },
    poolSize,
    maxOverflow,
    timeoutMs,
  })
  return { pool, closed }
}

describe('QueuePool', () => {
  it('reuses a returned connection instead of opening a new one', async () => {
    const { pool } = makePool(2, 0)
    const first = await pool.acquire()
    await pool.release(first)
    expect(await pool.acquire()).toBe(first)
  })

  it('opens overflow connections under load and closes them when returned', async () => {
    const { pool, closed } = makePool(1, 2)
    const held = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()])
    expect(pool.status()).toEqual({ checkedOut: 3, idle: 0, waiting: 0, max: 3, checkedOutBy: ['unnamed', 'unnamed', 'unnamed'] })
    for (const connection of held) await pool.release(connection)
    expect(pool.status().idle).toBe(1)
    expect(closed).toEqual([2, 3])
  })

  it('raises PoolTimeoutError after the timeout when every connection is out', async () => {
    const { pool } = makePool(1, 0, 40)
    await pool.acquire()
    const started = Date.now()
    const error = await pool.acquire().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PoolTimeoutError)
    expect((error as PoolTimeoutError).message).toMatch(/1 of 1 connections are checked out/)
    expect(Date.now() - started).toBeGreaterThanOrEqual(35)
    expect(pool.status().waiting).toBe(0)
  })

  it('hands a returned connection straight to the first waiter', async () => {
    const { pool } = makePool(1, 0, 1000)
    const held = await pool.acquire()
    const waiting = pool.acquire()
    expect(pool.status().waiting).toBe(1)
    await pool.release(held)
    expect(await waiting).toBe(held)
  })

  it('dispose() closes idle connections now and checked-out ones when they come back', async () => {
    const { pool, closed } = makePool(2, 0)
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()])
    await pool.release(a)
    await pool.dispose()
    expect(closed).toEqual([a])
    await pool.release(b)
    expect(closed).toEqual([a, b])
    expect(await pool.acquire()).toBe(3)
  })
})

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A connection whose liveness the test controls, as a ping sees it. */
interface Handle {
  readonly id: number
  alive: boolean
}

/** A pool of {@link Handle}s with pre-ping and/or recycle; `healthy` decides whether new handles start alive. */
function makeCheckingPool(options: { recycleMs?: number; prePing?: boolean; poolSize?: number; timeoutMs?: number }) {
  let next = 0
  const state = { healthy: true, pings: 0 }
  const created: Handle[] = []
  const closed: number[] = []
  const pool = new QueuePool<Handle>({
    create: () => {
      const handle = { id: ++next, alive: state.healthy }
      created.push(handle)
      return handle
    },
    destroy: (handle) => {
      closed.push(handle.id)
    },
    poolSize: options.poolSize ?? 1,
    maxOverflow: 0,
    timeoutMs: options.timeoutMs ?? 1000,
    recycleMs: options.recycleMs,
    ping: options.prePing
      ? (handle) => {
          state.pings++
          if (!handle.alive) throw new Error(`handle ${handle.id} is closed`)
        }
      : undefined,
  })
  return { pool, state, created, closed }
}

describe('QueuePool owners', () => {
  it('names how many connections are out and who holds them when a checkout times out', async () => {
    const { pool } = makePool(3, 0, 40)
    let labelled = 0
    const lazy = () => {
      labelled++
      return 'GET /reports'
    }
    await pool.acquire(lazy)
    await pool.acquire(lazy)
    await pool.acquire('db.scope() at jobs.ts:12:5')
    expect(labelled).toBe(0)
    const error = (await pool.acquire('GET /health').catch((e: unknown) => e)) as PoolTimeoutError
    expect(error).toBeInstanceOf(PoolTimeoutError)
    expect(error.message).toContain('3 of 3 connections are checked out (by 2 × GET /reports, db.scope() at jobs.ts:12:5)')
    expect(error.checkedOutBy).toEqual(['GET /reports', 'GET /reports', 'db.scope() at jobs.ts:12:5'])
    expect(labelled).toBe(2)
  })

  it('lists the owners in status() and forgets them when connections come back', async () => {
    const { pool } = makePool(2, 0)
    const a = await pool.acquire('Session #1')
    await pool.acquire(() => 'GET /a')
    expect(pool.status().checkedOutBy).toEqual(['Session #1', 'GET /a'])
    await pool.release(a)
    expect(pool.status().checkedOutBy).toEqual(['GET /a'])
  })

  it('calls an owner that fails to describe itself "unnamed" instead of failing the timeout', async () => {
    const { pool } = makePool(1, 0, 20)
    await pool.acquire(() => {
      throw new Error('request already gone')
    })
    const error = await pool.acquire().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PoolTimeoutError)
    expect((error as PoolTimeoutError).checkedOutBy).toEqual(['unnamed'])
  })

  it('shows at most ten owners in the message and keeps the full list on the error', async () => {
    const { pool } = makePool(12, 0, 20)
    for (let i = 1; i <= 12; i++) await pool.acquire(`GET /page/${i}`)
    const error = (await pool.acquire().catch((e: unknown) => e)) as PoolTimeoutError
    expect(error.message).toContain('GET /page/10, and 2 more)')
    expect(error.message).not.toContain('GET /page/11')
    expect(error.checkedOutBy).toHaveLength(12)
  })
})

describe('QueuePool recycle (pool_recycle)', () => {
  it('acquireNow() hands out the most recently returned idle connection at once, owned and counted; undefined when none is idle', async () => {
    const { pool } = makePool(2, 0)
    expect(pool.acquireNow('first caller')).toBeUndefined()
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()])
    await pool.release(a)
    await pool.release(b)
    expect(pool.acquireNow('now')).toBe(b)
    expect(pool.status()).toMatchObject({ checkedOut: 1, idle: 1, checkedOutBy: ['now'] })
    expect(pool.acquireNow()).toBe(a)
    expect(pool.acquireNow()).toBeUndefined()
    await pool.release(a)
    expect(await pool.acquire()).toBe(a)
  })

  it('acquireNow() declines when a reused connection must be checked first (pre-ping, recycle): acquire() checks it', async () => {
    for (const options of [{ prePing: true }, { recycleMs: 60_000 }]) {
      const { pool } = makeCheckingPool(options)
      const connection = await pool.acquire()
      await pool.release(connection)
      expect(pool.acquireNow()).toBeUndefined()
      expect(pool.status().idle).toBe(1)
    }
  })

  it('replaces a connection older than recycleMs at checkout and closes the old one', async () => {
    const { pool, closed } = makeCheckingPool({ recycleMs: 30 })
    const first = await pool.acquire()
    await pool.release(first)
    expect(await pool.acquire()).toBe(first)
    await pool.release(first)
    await sleep(45)
    const second = await pool.acquire('job')
    expect(second).not.toBe(first)
    expect(closed).toEqual([first.id])
    expect(pool.status()).toMatchObject({ checkedOut: 1, idle: 0, checkedOutBy: ['job'] })
  })

  it('never recycles without recycleMs', async () => {
    const { pool, closed } = makeCheckingPool({})
    const first = await pool.acquire()
    await pool.release(first)
    await sleep(20)
    expect(await pool.acquire()).toBe(first)
    expect(closed).toEqual([])
  })
})

describe('QueuePool pre-ping (pool_pre_ping)', () => {
  it('pings reused connections only, and hands out a live one unchanged', async () => {
    const { pool, state } = makeCheckingPool({ prePing: true })
    const first = await pool.acquire()
    expect(state.pings).toBe(0)
    await pool.release(first)
    expect(await pool.acquire()).toBe(first)
    expect(state.pings).toBe(1)
  })

  it('replaces a connection that died while idle with a fresh one', async () => {
    const { pool, closed } = makeCheckingPool({ prePing: true })
    const first = await pool.acquire()
    await pool.release(first)
    first.alive = false
    const second = await pool.acquire('GET /a')
    expect(second).not.toBe(first)
    expect(second.alive).toBe(true)
    expect(closed).toEqual([first.id])
    expect(pool.status()).toMatchObject({ checkedOut: 1, checkedOutBy: ['GET /a'] })
  })

  it('pings a connection handed from one caller to a waiting one', async () => {
    const { pool, state } = makeCheckingPool({ prePing: true })
    const first = await pool.acquire()
    const waiting = pool.acquire()
    first.alive = false
    await pool.release(first)
    const handed = await waiting
    expect(handed).not.toBe(first)
    expect(state.pings).toBe(2)
  })

  it('raises ConnectionLostError when the fresh connection fails its ping too, and frees the slot', async () => {
    const { pool, state, closed } = makeCheckingPool({ prePing: true })
    const first = await pool.acquire()
    await pool.release(first)
    first.alive = false
    state.healthy = false
    const error = await pool.acquire().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionLostError)
    expect((error as ConnectionLostError).code).toBe('connection_lost')
    expect((error as Error).message).toMatch(/pre-ping failed twice.*handle 2 is closed/)
    expect(closed).toEqual([1, 2])
    expect(pool.status()).toMatchObject({ checkedOut: 0, idle: 0, waiting: 0 })
    state.healthy = true
    const third = await pool.acquire()
    expect(third.alive).toBe(true)
  })
})

describe('QueuePool dispose', () => {
  it('with wait, resolves only once the checked-out connections came back and were closed', async () => {
    const { pool, closed } = makePool(2, 0)
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()])
    await pool.release(a)
    let drained = false
    const disposing = pool.dispose({ wait: true }).then(() => (drained = true))
    await vi.waitFor(() => expect(closed).toEqual([a]))
    expect(drained).toBe(false)
    // The pool stays usable meanwhile, with fresh connections.
    const fresh = await pool.acquire()
    expect(fresh).toBe(3)
    await pool.release(b)
    await disposing
    expect(closed).toEqual([a, b])
    await pool.release(fresh)
    expect(closed).toEqual([a, b])
  })

  it('with wait and nothing checked out, resolves once the idle connections are closed', async () => {
    const { pool, closed } = makePool(2, 0)
    await pool.release(await pool.acquire())
    await pool.dispose({ wait: true })
    expect(closed).toEqual([1])
  })

  it('waits for a connection that was still being opened when dispose began', async () => {
    let opened!: () => void
    const closed: string[] = []
    const pool = new QueuePool<string>({
      create: () => new Promise<string>((resolve) => (opened = () => resolve('slow'))),
      destroy: (connection) => {
        closed.push(connection)
      },
      poolSize: 1,
      maxOverflow: 0,
      timeoutMs: 1000,
    })
    const acquiring = pool.acquire()
    await vi.waitFor(() => expect(opened).toBeDefined()) // the pool is opening the connection
    let drained = false
    const disposing = pool.dispose({ wait: true }).then(() => (drained = true))
    opened()
    const connection = await acquiring
    await sleep(10)
    expect(drained).toBe(false)
    await pool.release(connection)
    await disposing
    expect(closed).toEqual(['slow'])
  })

  it('serves callers already waiting with fresh connections at once', async () => {
    const { pool, closed } = makePool(1, 0, 1000)
    const held = await pool.acquire()
    const waiting = pool.acquire()
    await pool.dispose()
    expect(await waiting).toBe(2)
    await pool.release(held)
    expect(closed).toEqual([held])
  })
})

describe('QueuePool idle timeout (poolIdleTimeout)', () => {
  function makeIdlePool(idleTimeoutMs: number | undefined) {
    let next = 0
    const closed: number[] = []
    const pool = new QueuePool<number>({ create: () => ++next, destroy: (c) => void closed.push(c), poolSize: 3, maxOverflow: 0, timeoutMs: 50, idleTimeoutMs })
    return { pool, closed }
  }

  it('closes each connection once it has been idle for idleTimeoutMs, with an unref timer', async () => {
    vi.useFakeTimers()
    try {
      const { pool, closed } = makeIdlePool(100)
      const [a, b] = await Promise.all([pool.acquire(), pool.acquire()])
      await pool.release(a)
      const timer = (pool as unknown as { sweepTimer: NodeJS.Timeout }).sweepTimer
      expect(timer.hasRef()).toBe(false)
      await vi.advanceTimersByTimeAsync(60)
      await pool.release(b)
      await vi.advanceTimersByTimeAsync(50)
      expect(closed).toEqual([a])
      expect(pool.status().idle).toBe(1)
      await vi.advanceTimersByTimeAsync(60)
      expect(closed).toEqual([a, b])
      expect(pool.status()).toMatchObject({ idle: 0, checkedOut: 0 })
      expect(await pool.acquire()).toBe(3)
    } finally {
      vi.useRealTimers()
    }
  })

  it('keeps idle connections without idleTimeoutMs, and arms no timer', async () => {
    vi.useFakeTimers()
    try {
      const { pool, closed } = makeIdlePool(undefined)
      await pool.release(await pool.acquire())
      expect(vi.getTimerCount()).toBe(0)
      await vi.advanceTimersByTimeAsync(60_000)
      expect(closed).toEqual([])
      expect(pool.status().idle).toBe(1)
    } finally {
      vi.useRealTimers()
    }
  })

  it('restarts the clock of a connection checked out and returned again', async () => {
    vi.useFakeTimers()
    try {
      const { pool, closed } = makeIdlePool(100)
      const a = await pool.acquire()
      await pool.release(a)
      await vi.advanceTimersByTimeAsync(80)
      expect(await pool.acquire()).toBe(a)
      await pool.release(a)
      await vi.advanceTimersByTimeAsync(80)
      expect(closed).toEqual([])
      await vi.advanceTimersByTimeAsync(30)
      expect(closed).toEqual([a])
    } finally {
      vi.useRealTimers()
    }
  })
})
