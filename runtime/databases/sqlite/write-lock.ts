/** WriteLock: the process-wide SQLite write lock, first come first served, with a timer only while a caller waits. */

/** Gives the lock back; calling it again does nothing. */
export type ReleaseLock = () => void

interface Waiter {
  readonly grant: (release: ReleaseLock) => void
  readonly timer: NodeJS.Timeout
}

/**
 * An asynchronous mutex for SQLite's single writer: the next write transaction gets the lock when the
 * current one releases it, in the order they asked. A free lock is taken at once, with no timer; a
 * caller that waits longer than `timeoutMs` leaves the line and gets the error `timedOut()` makes.
 * (async-mutex's `withTimeout` arms a timer for every acquisition, which cost more than the whole
 * rest of a small write transaction.)
 */
export class WriteLock {
  #held = false
  readonly #waiters: Waiter[] = []

  constructor(
    private readonly timeoutMs: number,
    private readonly timedOut: () => Error,
  ) {}

  /** True while someone holds the lock. */
  get held(): boolean {
    return this.#held
  }

  /** Takes the lock when it is free and returns the function that releases it; undefined (nothing taken, nothing queued) when it is held. */
  tryAcquire(): ReleaseLock | undefined {
    if (this.#held) return undefined
    this.#held = true
    return this.#releaser()
  }

  /** Resolves with the function that releases the lock once the caller holds it. */
  acquire(): Promise<ReleaseLock> {
    const release = this.tryAcquire()
    if (release !== undefined) return Promise.resolve(release)
    return new Promise<ReleaseLock>((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        timer: setTimeout(() => {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
          reject(this.timedOut())
        }, this.timeoutMs),
      }
      this.#waiters.push(waiter)
    })
  }

  /** A release function for the holder: hands the lock to the next waiter, or frees it. */
  #releaser(): ReleaseLock {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#waiters.shift()
      if (next === undefined) {
        this.#held = false
        return
      }
      clearTimeout(next.timer)
      next.grant(this.#releaser())
    }
  }
}
