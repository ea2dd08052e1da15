// QueuePool: SQLAlchemy's pool_size / max_overflow / pool_timeout semantics, with fake connections.
import { describe, expect, it } from 'vitest'
import { PoolTimeoutError } from 'prismalchemy'
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
    expect(pool.status()).toEqual({ checkedOut: 3, idle: 0, waiting: 0, max: 3 })
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
