// Soak: memory stays flat across 10,000 real HTTP requests through expressScope and db.session (the `slow` project).
import v8 from 'node:v8'
import vm from 'node:vm'
import { describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { CONCURRENCY, fire, outcomeOf, pathOf, useLoadApp } from '../helpers/load-app.js'

describe.each(DIALECTS)('on %s', (dialect) => {
  const app = useLoadApp(dialect)

  describe('db.session under load', () => {
    it('keeps memory flat across 10,000 requests', { timeout: 120_000 }, async () => {
      v8.setFlagsFromString('--expose-gc')
      const gc = vm.runInNewContext('gc') as () => void
      const heapAfterGc = async () => {
        await app.drained()
        for (let i = 0; i < 3; i++) {
          gc()
          await new Promise((resolve) => setImmediate(resolve))
        }
        return process.memoryUsage()
      }
      const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(2)
      const total = 10_000
      const step = 2_000
      const started = performance.now()
      const statuses = new Map<number, number>()
      const samples: { requests: number; heapUsed: number; rss: number }[] = []
      for (let from = 0; from < total; from += step) {
        const batch = await fire(from, from + step, CONCURRENCY, async (n) => {
          const { status } = await app.post(pathOf('mem', n))
          return status === (outcomeOf(n) === 'commit' ? 201 : 500)
        })
        statuses.set(from, batch.filter((ok) => !ok).length)
        const usage = await heapAfterGc()
        samples.push({ requests: from + step, heapUsed: usage.heapUsed, rss: usage.rss })
      }
      const seconds = (performance.now() - started) / 1000
      const growth = samples.at(-1)!.heapUsed - samples[0].heapUsed
      console.log(
        `${dialect} memory: ${total} requests in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} req/s, ${CONCURRENCY} in flight); heapUsed after GC at ` +
          samples.map((s) => `${s.requests}: ${mb(s.heapUsed)} MB`).join(', ') +
          `; growth ${step}->${total}: ${mb(growth)} MB; rss ${mb(samples[0].rss)} -> ${mb(samples.at(-1)!.rss)} MB`,
      )

      expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(0) // every request got its expected status
      expect((await app.committedNames('mem')).size).toBe(Array.from({ length: total }, (_, n) => outcomeOf(n)).filter((o) => o === 'commit').length)
      expect(app.scopes.live.size).toBe(0)
      expect(app.scopes.ended).toBe(app.scopes.opened)
      expect(app.scopes.endedWithSession).toBe(0)
      expect(app.sharedSessions).toEqual([])
      expect(app.teardownErrors).toEqual([])
      expect(app.db.engine.poolStatus()).toMatchObject({ checkedOut: 0, waiting: 0 })
      // 4 MB over 8,000 requests is ~500 bytes each: keeping even the closed, empty Session of every request (~850 bytes) fails this.
      expect(growth).toBeLessThan(4 * 2 ** 20)
    })
  })
})
