// AnsweredConnections against a real pg pool on a real server: whether the connection a checkout asked for now will get
// answered lately is predicted before the checkout, and the oracle is the connection pg-pool really hands out.
import pg from 'pg'
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest'
import { AnsweredConnections, ANSWERED_WITHIN_MS } from '../../runtime/databases/postgres/answered-connections.js'
import { scratchDatabase, type ScratchDatabase } from '../helpers/database.js'
import { describeOn } from '../helpers/dialects.js'

describeOn('postgresql', 'AnsweredConnections on a pg pool', () => {
  let database: ScratchDatabase
  let pool: pg.Pool
  let answered: AnsweredConnections
  /** When each client last came back, by the test's (fake) wall clock. */
  const returnedAt = new Map<pg.PoolClient, number>()
  /** Clients checked out and not returned: a failed test returns them, so that the pool can end. */
  const out = new Set<pg.PoolClient>()

  beforeAll(async () => {
    database = await scratchDatabase('postgresql')
  })

  afterAll(() => database.drop())

  afterEach(async () => {
    vi.useRealTimers()
    for (const client of out) client.release()
    out.clear()
    await pool.end()
    returnedAt.clear()
  })

  /** A pool of `max` connections, watched; clients are numbered in the order they were opened. */
  function open(max: number): void {
    pool = new pg.Pool({ connectionString: database.url, max })
    // The server drops these connections with the database: the pool's own error events are not the test's concern.
    pool.on('error', () => undefined)
    answered = new AnsweredConnections()
    // The pool stands for the adapter whose pool it is.
    answered.watch(pool, pool)
  }

  /** Checks a connection out. */
  async function checkout(): Promise<pg.PoolClient> {
    const client = await pool.connect()
    out.add(client)
    return client
  }

  /** Returns `client` to the pool now, noting when. */
  function release(client: pg.PoolClient): void {
    returnedAt.set(client, Date.now())
    out.delete(client)
    client.release()
  }

  /** True when `client` came back within ANSWERED_WITHIN_MS (the oracle for a prediction). */
  const answeredLately = (client: pg.PoolClient): boolean => Date.now() - returnedAt.get(client)! <= ANSWERED_WITHIN_MS

  /** Checks out `count` connections at once (the pool opens that many) and returns them in the given order. */
  async function burst(count: number): Promise<pg.PoolClient[]> {
    return Promise.all(Array.from({ length: count }, checkout))
  }

  it('predicts the connection each checkout asked for in the same turn gets, counting the checkouts asked for before it', async () => {
    open(4)
    vi.useFakeTimers({ toFake: ['Date'] })
    const clients = await burst(3)
    for (const client of clients) release(client)
    vi.setSystemTime(Date.now() + ANSWERED_WITHIN_MS + 1)
    // Light traffic: one checkout at a time reuses the connection returned last.
    const reused = await checkout()
    release(reused)
    // Three checkouts asked for in one turn, each predicted just before it is asked for.
    const predictions: boolean[] = []
    const checkouts: Promise<pg.PoolClient>[] = []
    for (let i = 0; i < 3; i++) {
      predictions.push(answered.nextCheckoutAnsweredWithin(pool, ANSWERED_WITHIN_MS))
      checkouts.push(checkout())
    }
    const handedOut = await Promise.all(checkouts)
    expect(handedOut[0]).toBe(reused)
    expect(predictions).toEqual(handedOut.map(answeredLately))
    expect(predictions).toEqual([true, false, false])
    // With every connection out and room for one more, the next checkout opens a new one: nothing silent to fear.
    expect(answered.nextCheckoutAnsweredWithin(pool, ANSWERED_WITHIN_MS)).toBe(true)
    for (const client of handedOut) release(client)
    // All three just came back: every checkout gets one that answered.
    expect(answered.nextCheckoutAnsweredWithin(pool, ANSWERED_WITHIN_MS)).toBe(true)
  })

  it('says false for an adapter it never watched', () => {
    open(1)
    expect(answered.nextCheckoutAnsweredWithin({}, ANSWERED_WITHIN_MS)).toBe(false)
    expect(answered.nextCheckoutAnsweredWithin(pool, ANSWERED_WITHIN_MS)).toBe(true)
  })

  it('with none idle, predicts true: the checkout opens a connection or waits for one that comes back, having answered', async () => {
    open(2)
    vi.useFakeTimers({ toFake: ['Date'] })
    expect(answered.nextCheckoutAnsweredWithin(pool, ANSWERED_WITHIN_MS)).toBe(true)
    const [a, b] = await burst(2)
    expect(answered.nextCheckoutAnsweredWithin(pool, ANSWERED_WITHIN_MS)).toBe(true)
    const waiting = checkout()
    vi.setSystemTime(Date.now() + ANSWERED_WITHIN_MS + 1)
    release(a)
    const got = await waiting
    expect(got).toBe(a)
    expect(answeredLately(got)).toBe(true)
    release(got)
    release(b)
  })
})
