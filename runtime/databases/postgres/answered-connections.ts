/** Watches a pg pool for when each idle connection last answered, so a lone write skips BEGIN only on a connection that cannot have died unseen. */
import type pg from 'pg'

/**
 * How recently the pooled connection a lone write gets must have answered for the write to go without
 * the BEGIN that would heal a dead one. Connections die unseen after minutes of silence (the idle
 * drops of NATs and load balancers: 4 to 10 minutes), so one that answered within seconds is alive.
 */
export const ANSWERED_WITHIN_MS = 5_000

/** When a connection came back to its pool, by each clock. */
interface AnsweredAt {
  readonly wall: number
  readonly monotonic: number
}

/**
 * When each idle connection of the engine's current pg pool last answered the server (came back to
 * its pool without an error), from the pool's public `release`, `acquire` and `remove` events, and
 * so whether the connection the pool hands out next did. Watching a new pool (the adapter reopened
 * after `engine.dispose()`) forgets the old one.
 */
export class AnsweredConnections {
  /** The current pool's idle connections by when they came back (wall clock, monotonic clock), oldest first (re-inserted on each return). */
  #idleSince = new Map<pg.PoolClient, AnsweredAt>()
  #pool: pg.Pool | undefined = undefined

  /** Follows `pool` from now on, instead of the pool watched before. */
  watch(pool: pg.Pool): void {
    const idleSince = new Map<pg.PoolClient, AnsweredAt>()
    this.#idleSince = idleSince
    this.#pool = pool
    pool.on('release', (error: Error | undefined, client: pg.PoolClient) => {
      idleSince.delete(client)
      // A connection released with an error is closed by its pool, not kept.
      if (!error) idleSince.set(client, { wall: Date.now(), monotonic: performance.now() })
    })
    pool.on('acquire', (client) => idleSince.delete(client))
    pool.on('remove', (client) => idleSince.delete(client))
  }

  /**
   * True when every idle connection answered within the last `ms` milliseconds by both clocks (the wall
   * clock counts a machine asleep, the monotonic one is immune to the wall clock being set back), or
   * none is idle: the next checkout then opens a connection or waits for one that just answered.
   */
  #allIdleAnsweredWithin(ms: number): boolean {
    for (const since of this.#idleSince.values()) return answeredWithin(since, ms)
    return true
  }

  /**
   * True when the connection the pool hands a checkout asked for now answered within the last `ms`
   * milliseconds by both clocks. pg-pool serves checkouts in the order they were asked for, each with
   * the most recently returned idle connection, on the next tick; so with `waiting` checkouts asked for
   * before, this one gets the idle connection `waiting` places below the most recent, or, when fewer
   * are idle, a new one or one that comes back meanwhile: both just answered. Nothing in between can
   * close an idle connection (I/O and timers run after the next tick). Exact only when the checkout is
   * asked for in the same turn as this check. While the watched idle connections differ from the pool's
   * (one released without an error is being closed: `maxLifetimeSeconds`), every idle one must have answered.
   */
  nextCheckoutAnsweredWithin(ms: number): boolean {
    const pool = this.#pool
    const idle = this.#idleSince
    if (pool === undefined || idle.size === 0) return true
    if (idle.size !== pool.idleCount) return this.#allIdleAnsweredWithin(ms)
    const position = idle.size - 1 - pool.waitingCount
    if (position < 0) return true
    let index = 0
    for (const since of idle.values()) if (index++ === position) return answeredWithin(since, ms)
    return true
  }
}

/** True when `since` is at most `ms` milliseconds ago by both clocks (the wall clock counts a machine asleep, the monotonic one is immune to the wall clock being set back). */
function answeredWithin(since: AnsweredAt, ms: number): boolean {
  return Date.now() - since.wall <= ms && performance.now() - since.monotonic <= ms
}
