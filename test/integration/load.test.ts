// Under load: overlapping real HTTP requests through expressScope and db.session each see only their own session and rows (memory over 10,000 requests: load.soak.test.ts).
import { describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { CONCURRENCY, fire, outcomeOf, pathOf, useLoadApp } from '../helpers/load-app.js'

describe.each(DIALECTS)('on %s', (dialect) => {
  const app = useLoadApp(dialect)

  describe('db.session under load', () => {
    it('keeps 500 overlapping requests apart: each sees only its own session and rows, exactly the committed rows remain', { timeout: 60_000 }, async () => {
      const count = 500
      const responses = await fire(0, count, CONCURRENCY, (n) => app.post(pathOf('load', n, 30)))
      await app.drained()

      expect(app.scopes.maxLive).toBeGreaterThanOrEqual(CONCURRENCY / 2)
      const expectedNames = new Set<string>()
      let sawOthers = 0
      responses.forEach(({ status, body }, n) => {
        const name = `load-${n}`
        const outcome = outcomeOf(n)
        expect(status, `${name}: ${body.error}`).toBe(outcome === 'commit' ? 201 : 500)
        expect(body.name).toBe(name)
        expect(body.pending).toEqual([name])
        expect(body.sameSession).toBe(true)
        if (outcome === 'commit') expectedNames.add(name)
        if (outcome === 'fail-before-flush') return
        expect(body.seen).toContain(name)
        const others = body.seen!.filter((seen) => seen !== name)
        // Another request's uncommitted (later rolled-back) row is never visible.
        expect(others.filter((other) => outcomeOf(Number(other.split('-')[1])) !== 'commit'), name).toEqual([])
        sawOthers += others.length
      })
      expect(sawOthers).toBeGreaterThan(0) // committed rows of other requests are visible, so the check above is not vacuous
      expect(app.sharedSessions).toEqual([])
      expect(app.teardownErrors).toEqual([])

      expect(await app.committedNames('load')).toEqual(expectedNames)
      expect(app.scopes).toMatchObject({ opened: count, ended: count, endedWithSession: 0 })
      expect(app.scopes.live.size).toBe(0)
      expect(app.db.session.registry.find()).toBeUndefined()
      expect(app.db.session.hasSession).toBe(false)
      expect(app.db.engine.poolStatus()).toMatchObject({ checkedOut: 0, waiting: 0 })
      console.log(`${dialect} load: ${count} requests, up to ${app.maxInFlight} in flight and ${app.scopes.maxLive} scopes open at once, ${expectedNames.size} committed; pool ${JSON.stringify(app.db.engine.poolStatus())}`)
    })
  })
})
