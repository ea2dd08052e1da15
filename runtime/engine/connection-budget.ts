/** ConnectionBudget: one limit on open connections shared by the pools of several engines (an EngineRegistry's). */
import { ConfigurationError, PoolTimeoutError } from '../errors.js'

/** A pool drawing on a {@link ConnectionBudget}: it can give up an idle connection when another pool needs room. */
export interface BudgetMember {
  /**
   * Takes one idle connection out of the pool and closes it (its permit comes back through
   * {@link ConnectionBudget.release}, as for every close), resolving once it is closed; returns
   * undefined when none is idle.
   */
  closeIdle(): Promise<void> | undefined
}

/** Figures of a {@link ConnectionBudget}. */
export interface BudgetStatus {
  /** Connections open (or being opened) across every pool of the budget. */
  readonly open: number
  /** The most that may be open at once. */
  readonly max: number
  /** Checkouts waiting for room. */
  readonly waiting: number
}

interface Waiter {
  readonly member: BudgetMember
  resolve(): void
  reject(error: unknown): void
  timer: NodeJS.Timeout
}

/**
 * A counting semaphore over open connections, shared by the pools of several engines: a pool takes a
 * permit before it opens a connection and gives it back once the connection is closed, so together
 * they never hold more than `max` open connections (with SQLite: never more than `max` database
 * handles, so never more than `max` database files open).
 *
 * When no permit is free, the budget closes idle connections of the pools that were used least
 * recently; when no pool has one idle, the caller waits in line until a connection closes, for at
 * most its pool's timeout (then {@link PoolTimeoutError}). While anyone waits, pools close
 * connections as they come back instead of keeping them idle, so a waiter is served by the next
 * connection returned anywhere. A session that holds a connection on one engine and waits for a
 * connection on another can therefore wait for itself: keep to one connection at a time per task,
 * or leave headroom.
 *
 * Pools join the budget through the engine option `connectionBudget`; {@link EngineRegistry} gives
 * every engine it creates the registry's one budget, shared by all of them.
 *
 * ### Examples
 * ```ts
 * const budget = new ConnectionBudget(16)
 * const a = createEngine('file:./a.db', { connectionBudget: budget })
 * const b = createEngine('file:./b.db', { connectionBudget: budget })   // a and b together open at most 16 connections
 * ```
 */
export class ConnectionBudget {
  /** The most connections open at once across the budget's pools. */
  readonly max: number
  private open = 0
  /** Permits held per pool, least recently used first (Map insertion order, refreshed by {@link touch}). */
  private readonly holders = new Map<BudgetMember, number>()
  private readonly waiters: Waiter[] = []
  /**
   * Idle connections being closed for waiters. Every permit given back counts against it, whichever
   * connection it came from, so it may undercount (closing one idle connection too many) but never
   * overcounts (leaving a waiter without one coming while idle ones exist).
   */
  private reclaiming = 0

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw ConfigurationError.badOption('maxConnections', max, 'an integer >= 1')
    this.max = max
  }

  /** Checkouts waiting for room; pools close returned connections instead of keeping them idle while this is above 0. */
  get waiting(): number {
    return this.waiters.length
  }

  /** Current figures. */
  status(): BudgetStatus {
    return { open: this.open, max: this.max, waiting: this.waiters.length }
  }

  /**
   * Takes a permit for one new connection of `member`: at once when one is free, else after idle
   * connections of other pools are closed or a connection anywhere comes back. Rejects with
   * {@link PoolTimeoutError} after `timeoutMs`.
   */
  acquire(member: BudgetMember, timeoutMs: number): Promise<void> {
    if (this.waiters.length === 0 && this.open < this.max) {
      this.grant(member)
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        member,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1)
          reject(PoolTimeoutError.budgetExhausted(timeoutMs, this.open, this.max))
        }, timeoutMs),
      }
      this.waiters.push(waiter)
      this.reclaim()
    })
  }

  /** Gives back the permit of a connection `member` closed or failed to open; the first waiter gets it. */
  release(member: BudgetMember): void {
    const held = this.holders.get(member) ?? 0
    if (held <= 1) this.holders.delete(member)
    else this.holders.set(member, held - 1)
    this.open--
    if (this.reclaiming > 0) this.reclaiming--
    while (this.open < this.max && this.waiters.length > 0) {
      const waiter = this.waiters.shift()!
      clearTimeout(waiter.timer)
      this.grant(waiter.member)
      waiter.resolve()
    }
  }

  /** Marks `member` as just used, so its idle connections are the last to be closed for others. */
  touch(member: BudgetMember): void {
    const held = this.holders.get(member)
    if (held === undefined) return
    this.holders.delete(member)
    this.holders.set(member, held)
  }

  /**
   * Closes every idle connection of every pool still holding permits, including pools of engines
   * nobody tracks any more (a session kept using an engine its registry had already disposed).
   */
  async closeIdle(): Promise<void> {
    const closing: Promise<void>[] = []
    for (const member of [...this.holders.keys()]) {
      for (let next = member.closeIdle(); next !== undefined; next = member.closeIdle()) closing.push(next)
    }
    await Promise.all(closing)
  }

  private grant(member: BudgetMember): void {
    this.open++
    const held = this.holders.get(member) ?? 0
    this.holders.delete(member)
    this.holders.set(member, held + 1)
  }

  /** Closes idle connections, least recently used pools first, until every waiter has one coming. */
  private reclaim(): void {
    for (const member of this.holders.keys()) {
      while (this.waiters.length > this.reclaiming) {
        const closing = member.closeIdle()
        if (closing === undefined) break
        this.reclaiming++
        // A connection that fails to close is gone all the same, and its permit came back.
        closing.catch(() => undefined)
      }
      if (this.waiters.length <= this.reclaiming) return
    }
  }
}
