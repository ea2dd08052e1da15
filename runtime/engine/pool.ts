/** QueuePool: SQLAlchemy's default pool (pool size, overflow, checkout timeout, recycle, pre-ping), plus an idle timeout; no timer keeps the process alive. */
import { ConnectionLostError, PoolTimeoutError } from '../errors.js'
import type { BudgetMember, ConnectionBudget } from './connection-budget.js'
import type { ConnectionOwner, DisposeOptions, PoolStatus } from './driver.js'

/** How the pool makes, checks and closes connections, and its limits. */
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
  /**
   * Milliseconds after its opening when a connection is closed at its next checkout and a fresh one
   * opened instead (SQLAlchemy's `pool_recycle`). Absent or negative: never.
   */
  readonly recycleMs?: number
  /**
   * Pre-ping (SQLAlchemy's `pool_pre_ping`): when given, every checkout of a connection used before
   * calls it first; throwing or rejecting means the connection is dead. A dead connection is closed
   * and a fresh one opened and pinged in its place; when that fails too, the checkout raises
   * `ConnectionLostError`. Absent: no pre-ping.
   */
  readonly ping?: (connection: C) => void | Promise<void>
  /**
   * Milliseconds a returned connection may stay idle before it is closed (`poolIdleTimeout`), so an
   * idle service holds no connections. One unref'd timer sweeps while anything is idle, so it never
   * keeps the process alive. Absent or negative: idle connections stay open.
   */
  readonly idleTimeoutMs?: number
  /**
   * A limit on open connections shared with other pools: a permit is taken before each open (waiting
   * at most `timeoutMs`) and given back after each close, idle connections are closed when another
   * pool needs room, and none is kept idle while anyone waits for room.
   */
  readonly budget?: ConnectionBudget
}

/** What the pool knows about one open connection. */
interface ConnectionRecord {
  /** The pool generation it was opened in. */
  readonly generation: number
  /** `performance.now()` at its opening (0 when nothing checks connections). */
  readonly openedAt: number
  /** Opened for a checkout and not checked yet: nothing to recycle or ping. */
  fresh: boolean
  /** `performance.now()` when it last went idle (with an idle timeout only). */
  idleSince?: number
  /** True while checked out. */
  out: boolean
  /** Who checked it out, while {@link out}. */
  owner: ConnectionOwner | undefined
}

interface Waiter<C> {
  resolve(connection: C): void
  reject(error: unknown): void
  timer: NodeJS.Timeout
}

/** What PoolTimeoutError and `status()` call a checkout made without an owner. */
const UNNAMED = 'unnamed'

/** An owner's label; a label function that throws must not turn a pool timeout into another error. */
function label(owner: ConnectionOwner | undefined): string {
  if (owner === undefined) return UNNAMED
  if (typeof owner === 'string') return owner
  try {
    return owner()
  } catch {
    return UNNAMED
  }
}

/**
 * A bounded pool. Checkouts reuse the most recently returned connection; when none is idle a new
 * one is opened while fewer than `poolSize + maxOverflow` exist; otherwise the caller waits in
 * line, and after `timeoutMs` gets a {@link PoolTimeoutError} saying how many are checked out and
 * by whom (the `owner` each checkout names). Returned connections beyond `poolSize` are closed.
 * With `recycleMs` or `ping`, a reused connection is checked at checkout and replaced when too old
 * or dead. An idle pool holds no timers (with `idleTimeoutMs`, one unref'd sweep), so it never
 * keeps the process alive. (Why not tarn or
 * generic-pool: neither closes overflow connections on return, and their reapers keep the event
 * loop alive in scripts that forget `dispose()`.)
 *
 * Every connection belongs to the generation of the pool it was opened in; {@link dispose} starts a
 * new generation, and connections of older ones are closed when they come back.
 */
export class QueuePool<C> implements BudgetMember {
  private readonly idle: C[] = []
  private readonly waiters: Waiter<C>[] = []
  /**
   * Checked-out connections of the current generation (their records say by whom). Those of earlier
   * generations (opened before a dispose) are retiring: closed when they come back.
   */
  private checkedOut = 0
  /** Connections open or being opened, per generation; the current generation's count stays within `max`. */
  private readonly slots = new Map<number, number>()
  /** Every open connection's facts, from its opening until it is closed. */
  private readonly records = new Map<C, ConnectionRecord>()
  /** Callers of `dispose({ wait: true })`, resolved when no connection of an earlier generation is left. */
  private readonly drainWaiters: (() => void)[] = []
  private generation = 0
  /** The idle-timeout sweep, armed while a connection is idle and `idleTimeoutMs` is set. */
  private sweepTimer: NodeJS.Timeout | undefined

  constructor(private readonly options: QueuePoolOptions<C>) {}

  /** The most connections that may exist at once. */
  get max(): number {
    return this.options.poolSize + this.options.maxOverflow
  }

  /** Connections of the current generation, open or being opened. */
  private get open(): number {
    return this.slots.get(this.generation) ?? 0
  }

  /** True when a reused connection must be checked at checkout. */
  private get checks(): boolean {
    return this.options.ping !== undefined || (this.options.recycleMs ?? -1) >= 0
  }

  /**
   * Checks a connection out for `owner`, opening one or waiting as needed. The owner is what a
   * {@link PoolTimeoutError} names while the connection is out; a function is called only then.
   */
  async acquire(owner?: ConnectionOwner): Promise<C> {
    this.options.budget?.touch(this)
    let connection = this.idle.pop()
    if (connection === undefined) {
      connection = this.open < this.max ? await this.openConnection(this.takeSlot()) : await this.wait()
    }
    this.track(connection, owner)
    if (!this.checks) return connection
    let checked: C
    try {
      checked = await this.check(connection)
    } catch (error) {
      this.untrack(connection)
      throw error
    }
    if (checked !== connection) {
      this.untrack(connection)
      this.track(checked, owner)
    }
    return checked
  }

  /**
   * Checks out the most recently returned idle connection at once, when one is idle and needs no check
   * (no pre-ping, no recycle age); undefined otherwise, and the caller uses {@link acquire}. Saves a
   * fresh session's first statement the turns of the event loop an asynchronous checkout takes.
   */
  acquireNow(owner?: ConnectionOwner): C | undefined {
    if (this.checks || this.idle.length === 0) return undefined
    this.options.budget?.touch(this)
    const connection = this.idle.pop()!
    this.track(connection, owner)
    return connection
  }

  /**
   * Returns a connection: to the next waiter, to the idle list, or closed when the pool is full or it
   * was disposed. Returns undefined when nothing is left to wait for (no close).
   */
  release(connection: C): Promise<void> | undefined {
    if (this.untrack(connection)) return this.close(connection)
    const waiter = this.waiters.shift()
    if (waiter !== undefined) {
      clearTimeout(waiter.timer)
      waiter.resolve(connection)
      return undefined
    }
    if (this.idle.length < this.options.poolSize && !this.options.budget?.waiting) {
      this.idle.push(connection)
      this.startIdleClock(connection)
      return undefined
    }
    return this.close(connection)
  }

  /** Takes back a checked-out connection that cannot be reused (its driver found it broken) and closes it; a waiter gets a fresh one. */
  async discard(connection: C): Promise<void> {
    this.untrack(connection)
    await this.close(connection)
  }

  /** Current figures, with the owner of each checked-out connection (label functions are called now). */
  status(): PoolStatus {
    return {
      checkedOut: this.checkedOut,
      idle: this.idle.length,
      waiting: this.waiters.length,
      max: this.max,
      checkedOutBy: this.owners(),
    }
  }

  /**
   * Closes idle connections now; connections checked out are closed when returned. The pool stays
   * usable and opens fresh connections afterwards (SQLAlchemy's `Engine.dispose()`), also for
   * callers already waiting. With `wait`, resolves only once every connection opened before the
   * call has been closed, i.e. the checked-out ones came back (it waits as long as they stay out).
   */
  async dispose(options: DisposeOptions = {}): Promise<void> {
    const idle = this.idle.splice(0)
    clearTimeout(this.sweepTimer)
    this.sweepTimer = undefined
    // The checked-out connections keep their generation: from now on they are retiring.
    this.checkedOut = 0
    this.generation++
    this.serveWaiters()
    await Promise.all(idle.map((connection) => this.close(connection)))
    if (options.wait && !this.drained()) await new Promise<void>((resolve) => this.drainWaiters.push(resolve))
  }

  /** Waits in line for a returned connection, or a {@link PoolTimeoutError} after `timeoutMs`. */
  private wait(): Promise<C> {
    return new Promise<C>((resolve, reject) => {
      const waiter: Waiter<C> = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1)
          reject(PoolTimeoutError.exhausted(this.options.timeoutMs, this.checkedOut, this.max, this.owners()))
        }, this.options.timeoutMs),
      }
      this.waiters.push(waiter)
    })
  }

  /** Records `connection` as checked out by `owner` (retiring when a dispose came in between, see {@link checkedOut}). */
  private track(connection: C, owner: ConnectionOwner | undefined): void {
    const record = this.records.get(connection)
    if (record === undefined || record.out) return
    record.out = true
    record.owner = owner
    if (record.generation === this.generation) this.checkedOut++
  }

  /** Records `connection` as back; true when it was a retiring one (of an earlier generation), to be closed. */
  private untrack(connection: C): boolean {
    const record = this.records.get(connection)
    if (record === undefined || !record.out) return false
    record.out = false
    record.owner = undefined
    if (record.generation === this.generation) {
      this.checkedOut--
      return false
    }
    return true
  }

  /** The labels of who checked out each connection of the current generation, in the order they were opened. */
  private owners(): string[] {
    const owners: string[] = []
    for (const record of this.records.values()) if (record.out && record.generation === this.generation) owners.push(label(record.owner))
    return owners
  }

  /** Counts a connection about to be opened in the current generation; returns the generation. */
  private takeSlot(): number {
    this.slots.set(this.generation, this.open + 1)
    return this.generation
  }

  /** A connection of `generation` is gone: room for a waiter, or one step closer to draining an old generation. */
  private freeSlot(generation: number): void {
    const left = (this.slots.get(generation) ?? 1) - 1
    if (left > 0) this.slots.set(generation, left)
    else this.slots.delete(generation)
    if (generation === this.generation) this.serveWaiters()
    else if (this.drainWaiters.length > 0 && this.drained()) for (const resolve of this.drainWaiters.splice(0)) resolve()
  }

  /** True when no connection of an earlier generation is open or being opened. */
  private drained(): boolean {
    return this.slots.size === 0 || (this.slots.size === 1 && this.slots.has(this.generation))
  }

  /** Opens a connection in a slot already counted for `generation`; a failed open frees the slot. */
  private async openConnection(generation: number): Promise<C> {
    let connection: C
    let permitted = false
    try {
      await this.options.budget?.acquire(this, this.options.timeoutMs)
      permitted = true
      connection = await this.options.create()
    } catch (error) {
      if (permitted) this.options.budget?.release(this)
      this.freeSlot(generation)
      throw error
    }
    this.records.set(connection, { generation, openedAt: this.checks ? performance.now() : 0, fresh: true, out: false, owner: undefined })
    return connection
  }

  /** The generation `connection` was opened in. */
  private generationOf(connection: C): number {
    return this.records.get(connection)?.generation ?? this.generation
  }

  /** Closes a connection and frees its slot, even when closing fails. */
  private async close(connection: C): Promise<void> {
    const generation = this.generationOf(connection)
    this.untrack(connection)
    this.records.delete(connection)
    try {
      await this.options.destroy(connection)
    } finally {
      this.options.budget?.release(this)
      this.freeSlot(generation)
    }
  }

  /** Closes the idle connection returned longest ago, for the connection budget; undefined when none is idle. */
  closeIdle(): Promise<void> | undefined {
    const connection = this.idle.shift()
    return connection === undefined ? undefined : this.close(connection)
  }

  /** Notes when `connection` went idle and arms the sweep, when idle connections time out. */
  private startIdleClock(connection: C): void {
    const timeoutMs = this.options.idleTimeoutMs ?? -1
    if (timeoutMs < 0) return
    const record = this.records.get(connection)
    if (record !== undefined) record.idleSince = performance.now()
    this.sweepTimer ??= setTimeout(() => this.sweep(), timeoutMs).unref()
  }

  /**
   * Closes the connections idle for `idleTimeoutMs` or longer (the front of the idle list: it is in
   * the order they were returned), then re-arms for the oldest one left.
   */
  private sweep(): void {
    this.sweepTimer = undefined
    const timeoutMs = this.options.idleTimeoutMs ?? -1
    const now = performance.now()
    while (this.idle.length > 0) {
      const idleFor = now - (this.records.get(this.idle[0])?.idleSince ?? now)
      if (idleFor < timeoutMs) {
        this.sweepTimer = setTimeout(() => this.sweep(), timeoutMs - idleFor).unref()
        return
      }
      // A connection that fails to close is dropped all the same; nobody awaits the sweep.
      this.close(this.idle.shift()!).catch(() => undefined)
    }
  }

  /** Opens connections for waiting callers while there is room (after a dispose, or when a slot was freed). */
  private serveWaiters(): void {
    while (this.waiters.length > 0 && this.open < this.max) {
      const waiter = this.waiters.shift()!
      clearTimeout(waiter.timer)
      this.openConnection(this.takeSlot()).then(waiter.resolve, waiter.reject)
    }
  }

  /** Recycles a connection past `recycleMs` and pre-pings the others: the connection to hand out. */
  private async check(connection: C): Promise<C> {
    const record = this.records.get(connection)
    if (record === undefined || record.fresh) {
      if (record !== undefined) record.fresh = false
      return connection
    }
    const recycleMs = this.options.recycleMs ?? -1
    if (recycleMs >= 0 && performance.now() - record.openedAt >= recycleMs) return this.replace(connection)
    const ping = this.options.ping
    if (ping === undefined) return connection
    try {
      await ping(connection)
      return connection
    } catch {
      // SQLAlchemy's pre-ping: a dead connection is replaced, and the replacement gets one more try.
    }
    const replacement = await this.replace(connection)
    try {
      await ping(replacement)
      return replacement
    } catch (error) {
      await this.close(replacement).catch(() => undefined)
      throw ConnectionLostError.prePingFailed(error)
    }
  }

  /** Closes `connection` (ignoring a failure to close what may be dead) and opens a new one in its slot. */
  private async replace(connection: C): Promise<C> {
    const generation = this.generationOf(connection)
    this.untrack(connection)
    this.records.delete(connection)
    try {
      await this.options.destroy(connection)
    } catch {
      // The connection is dropped either way; a dead one often fails to close cleanly.
    }
    this.options.budget?.release(this)
    const replacement = await this.openConnection(generation)
    this.records.get(replacement)!.fresh = false
    return replacement
  }
}
