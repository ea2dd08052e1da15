// WriteLock without a database: first come first served, a waiter that times out leaves the line, a second release does nothing.
import { describe, expect, it } from 'vitest'
import { WriteLock } from '../../runtime/databases/sqlite/write-lock.js'

const timedOut = () => new Error('timed out')

describe('WriteLock', () => {
  it('hands the lock to waiters in the order they asked', async () => {
    const lock = new WriteLock(1_000, timedOut)
    const order: string[] = []
    const release = await lock.acquire()
    const waiting = ['b', 'c'].map(async (name) => {
      const releaseNext = await lock.acquire()
      order.push(name)
      releaseNext()
    })
    order.push('a')
    release()
    await Promise.all(waiting)
    expect(order).toEqual(['a', 'b', 'c'])
  })

  it('rejects a waiter after the timeout and serves the next one', async () => {
    const lock = new WriteLock(20, timedOut)
    const release = await lock.acquire()
    await expect(lock.acquire()).rejects.toThrow('timed out')
    const next = lock.acquire()
    release()
    const releaseNext = await next
    releaseNext()
    // Free again: taken at once.
    ;(await lock.acquire())()
  })

  it('ignores a second release by the same holder', async () => {
    const lock = new WriteLock(1_000, timedOut)
    const release = await lock.acquire()
    const second = lock.acquire()
    release()
    release()
    const releaseSecond = await second
    let thirdHeld = false
    const third = lock.acquire().then((releaseThird) => {
      thirdHeld = true
      return releaseThird
    })
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(thirdHeld).toBe(false)
    releaseSecond()
    ;(await third)()
  })
})
