/** QueuePool: SQLAlchemy's default pool (pool size, overflow, checkout timeout), with no timers while idle. */
import { PoolTimeoutError } from '../errors.js'
import type { PoolStatus } from './driver.js'

/** How the pool makes and closes connections, and its limits. */
export interface QueuePoolOptions<C> {
  /** Opens a new connection. */
  readonly create: () => C | Promise<C>
  /** Closes a connection. */
  readonly destroy: (connection: C) => void | Promise<void>
  /** Connections kept open when returned (SQLAlchemy's `pool_size`). */
  readonly poolSize: number
  /** Extra connections opened under load and closed when returned (SQLAlchemy's `max_overflow`). */
  readonly maxOverflow: number
  /** Milliseconds a checkout waits before {@link PoolTimeoutError} (SQLAlchemy's `pool_timeout`). */
  readonly timeoutMs: number
}

interface Waiter<C> {
  resolve(connection: C): void
  reject(error: unknown): void
  timer: NodeJS.Timeout
}

/**
 * A bounded pool. Checkouts reuse the most recently returned connection; when none is idle a new
 * one is opened while fewer than `poolSize + maxOverflow` exist; otherwise the caller waits in
 * line, and after `timeoutMs` gets a {@link PoolTimeoutError} saying how many are checked out.
 * Returned connections beyond `poolSize` are closed. An idle pool holds no timers, so it never
 * keeps the process alive. (Why not tarn or generic-pool: neither closes overflow connections on
 * return, and their reapers keep the event loop alive in scripts that forget `dispose()`.)
 */
export class QueuePool<C> {
  private readonly idle: C[] = []
  private readonly waiters: Waiter<C>[] = []
  private readonly inUse = new Set<C>()
  /** Connections checked out when the pool was disposed: closed when they come back. */
  private readonly retiring = new Set<C>()
  private open = 0

  constructor(private readonly options: QueuePoolOptions<C>) {}

  /** The most connections that may exist at once. */
  get max(): number {
    return this.options.poolSize + this.options.maxOverflow
  }

  /** Checks a connection out, opening one or waiting as needed. */
  async acquire(): Promise<C> {
    const idle = this.idle.pop()
    if (idle !== undefined) {
      this.inUse.add(idle)
      return idle
    }
    if (this.open < this.max) {
      this.open++
      let connection: C
      try {
        connection = await this.options.create()
      } catch (error) {
        this.open--
        throw error
      }
      this.inUse.add(connection)
      return connection
    }
    return new Promise<C>((resolve, reject) => {
      const waiter: Waiter<C> = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1)
          reject(PoolTimeoutError.exhausted(this.options.timeoutMs, this.inUse.size, this.max))
        }, this.options.timeoutMs),
      }
      this.waiters.push(waiter)
    })
  }

  /** Returns a connection: to the next waiter, to the idle list, or closed when the pool is full or it was disposed. */
  async release(connection: C): Promise<void> {
    if (this.retiring.delete(connection)) {
      await this.options.destroy(connection)
      this.openForWaiter()
      return
    }
    const waiter = this.waiters.shift()
    if (waiter !== undefined) {
      clearTimeout(waiter.timer)
      waiter.resolve(connection)
      return
    }
    this.inUse.delete(connection)
    if (this.idle.length < this.options.poolSize) {
      this.idle.push(connection)
      return
    }
    this.open--
    await this.options.destroy(connection)
  }

  /** Opens a connection for the first waiter when there is room (after a dispose freed capacity). */
  private openForWaiter(): void {
    const waiter = this.waiters[0]
    if (waiter === undefined || this.open >= this.max) return
    this.waiters.shift()
    clearTimeout(waiter.timer)
    this.open++
    Promise.resolve()
      .then(() => this.options.create())
      .then(
        (connection) => {
          this.inUse.add(connection)
          waiter.resolve(connection)
        },
        (error: unknown) => {
          this.open--
          waiter.reject(error)
        },
      )
  }

  /** Current figures. */
  status(): PoolStatus {
    return { checkedOut: this.inUse.size, idle: this.idle.length, waiting: this.waiters.length, max: this.max }
  }

  /**
   * Closes idle connections now; connections checked out are closed when returned. The pool stays
   * usable and opens fresh connections afterwards (SQLAlchemy's `Engine.dispose()`).
   */
  async dispose(): Promise<void> {
    const idle = this.idle.splice(0)
    for (const connection of this.inUse) this.retiring.add(connection)
    this.inUse.clear()
    this.open = 0
    await Promise.all(idle.map((connection) => this.options.destroy(connection)))
  }
}
