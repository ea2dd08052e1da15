/** SqliteWriter: the process-wide write lock of one SQLite file, and the handle write transactions run on while they hold it. */
import type { SqliteHandle } from './sqlite-handle.js'
import { WriteLock, type ReleaseLock } from './write-lock.js'

/** A turn at writing: the handle to write on, for the holder alone until `release()`. */
export interface WriterTurn {
  /** The handle to run the transaction (or the lone autocommit write) on. */
  readonly handle: SqliteHandle
  /** Ends the turn: gives the lock (and a shared handle) back; calling it again does nothing. */
  readonly release: ReleaseLock
}

/** How a {@link SqliteWriter} lends handles. */
export interface SqliteWriterOptions {
  /** Opens the shared handle; absent: every turn writes on the caller's own handle. */
  readonly openShared?: () => Promise<SqliteHandle>
  /** Milliseconds a turn waits in line before the error `timedOut()` makes. */
  readonly timeoutMs: number
  /** The error for a turn that waited too long. */
  readonly timedOut: () => Error
  /** Milliseconds the shared handle may stay unused before it is closed (`poolIdleTimeout`); absent or negative: never. */
  readonly idleTimeoutMs?: number
}

/**
 * SQLite has one writer at a time, so the write transactions of a driver queue behind one lock,
 * first come first served, and can all run on one shared handle, one after another. That handle's
 * page cache stays warm: in WAL mode a commit by one handle makes every other handle drop its cache at
 * its next transaction, and a BEGIN IMMEDIATE and INSERT on a cold handle re-read the pages they
 * change (a request that wrote on whichever of 15 pooled handles it held cost about 30% more in the
 * raw driver than one writing on a single handle). Reads outside a transaction stay on the session's
 * own pooled handle, where they never wait.
 *
 * The shared handle is one more open file beside the pool's. Without `openShared` (a driver under a
 * connection budget, where every open file must be counted) each turn writes on the caller's own
 * handle instead.
 *
 * The shared handle opens at the first turn. One handed back closed or inside a transaction (its
 * ROLLBACK failed) is closed, which rolls it back, and the next turn opens another; {@link retire}
 * does the same for the current one (an engine's `dispose()`, or an idle timeout), at once when no
 * turn holds it, else when that turn ends.
 */
export class SqliteWriter {
  readonly #lock: WriteLock
  #shared: SqliteHandle | undefined
  /** Counts {@link retire} calls, so a handle that finished opening after one is not kept. */
  #retirements = 0
  #idleSince = 0
  #idleTimer: NodeJS.Timeout | undefined

  constructor(private readonly options: SqliteWriterOptions) {
    this.#lock = new WriteLock(options.timeoutMs, options.timedOut)
  }

  /**
   * A turn at once, with no promise made, when the lock is free and the handle to lend is open;
   * undefined otherwise (the lock is held, or the shared handle must open first): then {@link acquire}.
   */
  tryAcquire(own: SqliteHandle): WriterTurn | undefined {
    const shared = this.#shared
    const lendsShared = this.options.openShared !== undefined
    if (lendsShared && shared === undefined) return undefined
    const releaseLock = this.#lock.tryAcquire()
    if (releaseLock === undefined) return undefined
    return lendsShared ? this.#lend(shared!, releaseLock) : { handle: own, release: releaseLock }
  }

  /** Waits in line for the write lock (at most the timeout), then lends the shared handle, or `own` without one. */
  async acquire(own: SqliteHandle): Promise<WriterTurn> {
    const releaseLock = await this.#lock.acquire()
    const open = this.options.openShared
    if (open === undefined) return { handle: own, release: releaseLock }
    let handle = this.#shared
    if (handle === undefined) {
      const retirements = this.#retirements
      try {
        handle = await open()
      } catch (error) {
        releaseLock()
        throw error
      }
      // Retired while it opened (a dispose() meanwhile): lent for this turn only, closed at its end.
      if (retirements === this.#retirements) this.#shared = handle
    }
    return this.#lend(handle, releaseLock)
  }

  /** The turn on `handle` for the holder of the lock: its release closes a handle that is no longer the shared one (or unusable), then gives the lock back. */
  #lend(handle: SqliteHandle, releaseLock: ReleaseLock): WriterTurn {
    let released = false
    return {
      handle,
      release: () => {
        if (released) return
        released = true
        if (handle !== this.#shared || !handle.db.open || handle.inTransaction) this.#close(handle)
        else this.#startIdle()
        releaseLock()
      },
    }
  }

  /** Closes the shared handle now when no turn holds it, else at the end of the turn; the next turn opens a new one. */
  retire(): void {
    this.#retirements++
    const handle = this.#shared
    this.#shared = undefined
    clearTimeout(this.#idleTimer)
    this.#idleTimer = undefined
    if (handle !== undefined && !this.#lock.held) this.#close(handle)
  }

  /** Notes when the shared handle went idle; one unref'd timer retires it once it stayed idle for the idle timeout. */
  #startIdle(): void {
    const timeoutMs = this.options.idleTimeoutMs
    if (timeoutMs === undefined || timeoutMs < 0) return
    this.#idleSince = performance.now()
    if (this.#idleTimer !== undefined) return
    const sweep = (): void => {
      this.#idleTimer = undefined
      if (this.#shared === undefined) return
      const idleFor = performance.now() - this.#idleSince
      if (this.#lock.held) return
      if (idleFor >= timeoutMs) this.retire()
      else this.#idleTimer = setTimeout(sweep, timeoutMs - idleFor).unref()
    }
    this.#idleTimer = setTimeout(sweep, timeoutMs).unref()
  }

  #close(handle: SqliteHandle): void {
    if (this.#shared === handle) this.#shared = undefined
    try {
      handle.close()
    } catch {
      // Closing releases the file either way; a failure leaves nothing to undo.
    }
  }
}
