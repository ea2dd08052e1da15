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
 * When each idle connection of an adapter's pg pool last answered the server (came back to its pool
 * without an error), from the pool's public `release`, `acquire` and `remove` events, and so whether
 * the connection the pool hands out next did. Each adapter the engine opens (again after
 * `engine.dispose()`) is watched on its own; one never watched is never said to be fresh.
 */
export class AnsweredConnections {
  readonly #watched = new WeakMap<object, WatchedPool>()

  /** Follows `pool`, the pool of `adapter`, from now on. */
  watch(adapter: object, pool: pg.Pool): void {
    this.#watched.set(adapter, new WatchedPool(pool))
  }

  /**
   * True when the connection `adapter`'s pool hands a checkout asked for now answered within the last
   * `ms` milliseconds by both clocks (see {@link WatchedPool.nextCheckoutAnsweredWithin}); false for
   * an adapter never watched.
   */
  nextCheckoutAnsweredWithin(adapter: object, ms: number): boolean {
    return this.#watched.get(adapter)?.nextCheckoutAnsweredWithin(ms) ?? false
  }
}

/** One pg pool's idle connections, by when each came back. */
class WatchedPool {
  /** The idle connections by when they came back (wall clock, monotonic clock), oldest first (re-inserted on each return). */
  readonly #idleSince = new Map<pg.PoolClient, AnsweredAt>()

  constructor(private readonly pool: pg.Pool) {
    const idleSince = this.#idleSince
    pool.on('release', (error: Error | undefined, client: pg.PoolClient) => {
      idleSince.delete(client)
      // A connection released with an error is closed by its pool, not kept.
      if (!error) idleSince.set(client, { wall: Date.now(), monotonic: performance.now() })
    })
    pool.on('acquire', (client) => idleSince.delete(client))
    pool.on('remove', (client) => idleSince.delete(client))
  }

  /**
   * True when the connection the pool hands a checkout asked for now answered within the last `ms`
   * milliseconds by both clocks (the wall clock counts a machine asleep, the monotonic one is immune
   * to the wall clock being set back). pg-pool serves checkouts in the order they were asked for, each
   * with the most recently returned idle connection, on the next tick; so with `waiting` checkouts
   * asked for before, this one gets the idle connection `waiting` places below the most recent, or,
   * when fewer are idle, a new one or one that comes back meanwhile: both just answered. Nothing in
   * between can close an idle connection (I/O and timers run after the next tick). Exact only when the
   * checkout is asked for in the same turn as this check.
   *
   * Every connection idle in the pool came back through `release`, so the watched ones include them.
   * While they are more (one released without an error is being closed: `maxLifetimeSeconds`), the
   * oldest must have answered; were they fewer, nothing would be known, and the answer is false.
   */
  nextCheckoutAnsweredWithin(ms: number): boolean {
    const idle = this.#idleSince
    const pooled = this.pool.idleCount
    if (pooled === 0) return true
    if (idle.size < pooled) return false
    const position = idle.size === pooled ? pooled - 1 - this.pool.waitingCount : 0
    if (position < 0) return true
    let index = 0
    for (const since of idle.values()) if (index++ === position) return answeredWithin(since, ms)
    return false
  }
}

/** True when `since` is at most `ms` milliseconds ago by both clocks (the wall clock counts a machine asleep, the monotonic one is immune to the wall clock being set back). */
function answeredWithin(since: AnsweredAt, ms: number): boolean {
  return Date.now() - since.wall <= ms && performance.now() - since.monotonic <= ms
}
