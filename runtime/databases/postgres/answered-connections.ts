/** Watches a pg pool for when each idle connection last answered, so a lone write skips BEGIN only where no connection can have died unseen. */
import type pg from 'pg'

/**
 * How recently every idle pooled connection must have answered for a lone write to go without the
 * BEGIN that would heal a dead one. Connections die unseen after minutes of silence (the idle drops
 * of NATs and load balancers: 4 to 10 minutes), so a pool that answered within seconds is alive.
 */
export const ANSWERED_WITHIN_MS = 5_000

/** When a connection came back to its pool, by each clock. */
interface AnsweredAt {
  readonly wall: number
  readonly monotonic: number
}

/**
 * When each idle connection of the engine's current pg pool last answered the server (came back to
 * its pool without an error), from the pool's public `release`, `acquire` and `remove` events. The
 * check covers every idle connection, whichever one the pool hands out next. Watching a new pool
 * (the adapter reopened after `engine.dispose()`) forgets the old one.
 */
export class AnsweredConnections {
  /** The current pool's idle connections by when they came back (wall clock, monotonic clock), oldest first (re-inserted on each return). */
  #idleSince = new Map<pg.PoolClient, AnsweredAt>()

  /** Follows `pool` from now on, instead of the pool watched before. */
  watch(pool: pg.Pool): void {
    const idleSince = new Map<pg.PoolClient, AnsweredAt>()
    this.#idleSince = idleSince
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
  allIdleAnsweredWithin(ms: number): boolean {
    for (const since of this.#idleSince.values()) return Date.now() - since.wall <= ms && performance.now() - since.monotonic <= ms
    return true
  }
}
