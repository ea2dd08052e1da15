// db.session and db.scope(): one session per async scope, teardown rolls back, NoScopeError outside, recorded queries, Model.query.
import { EventEmitter } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb, inspect, NoScopeError, NotFoundError, type Db, type Session } from 'prismalchemy'
import { Role, User, registry } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, normalizeSql } from '../helpers/dialects.js'

describe.each(DIALECTS)('on %s', (dialect) => {
  let database: TestDatabase
  let db: Db<typeof registry.classes>

  beforeAll(async () => {
    database = await createTestDatabase({}, dialect)
    db = createDb(registry, { url: database.url, recordQueries: true })
  })

  afterAll(async () => {
    await db.dispose()
    await database.dispose()
  })

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

  describe('db.session', () => {
    it('raises NoScopeError outside any scope, saying how to open one', () => {
      expect(() => db.session.add(new Role({ name: 'x' }))).toThrow(NoScopeError)
      expect(() => db.session.current).toThrow(/db\.scope\(/)
    })

    it('is one session across awaits, timers, Promise.all fan-out and event callbacks within a scope', async () => {
      await db.scope(async () => {
        const first = db.session.current
        await sleep(1)
        expect(db.session.current).toBe(first)
        const fromTimer = await new Promise<Session>((resolve) => setTimeout(() => resolve(db.session.current), 1))
        const fanned = await Promise.all([1, 2, 3].map(async () => (await sleep(1), db.session.current)))
        const emitter = new EventEmitter()
        const fromEvent = new Promise<Session>((resolve) => emitter.once('ready', () => resolve(db.session.current)))
        setTimeout(() => emitter.emit('ready'), 1)
        expect(fromTimer).toBe(first)
        expect(fanned.every((session) => session === first)).toBe(true)
        expect(await fromEvent).toBe(first)
      })
    })

    it('gives concurrent scopes different sessions that never see each other\'s uncommitted work', async () => {
      let release!: () => void
      const gate = new Promise<void>((resolve) => (release = resolve))
      const sessions: Session[] = []
      const slow = db.scope(async () => {
        sessions.push(db.session.current)
        db.session.add(new Role({ name: 'uncommitted' }))
        await db.session.flush()
        await gate
      })
      const seen = await db.scope(async () => {
        sessions.push(db.session.current)
        return (await Role.query.all()).map((role) => role.name)
      })
      release()
      await slow
      expect(sessions[0]).not.toBe(sessions[1])
      expect(seen).not.toContain('uncommitted')
      expect(await db.scope(() => Role.query.filterBy({ name: 'uncommitted' }).count())).toBe(0)
    })

    it('closes the scope\'s session at the end, rolling back what was not committed and releasing the connection', async () => {
      let role!: Role
      await db.scope(async () => {
        role = new Role({ name: 'rolled-back' })
        db.session.add(role)
        await db.session.flush()
        expect(db.engine.poolStatus().checkedOut).toBe(1)
      })
      expect(inspect(role).transient).toBe(true)
      expect(db.engine.poolStatus().checkedOut).toBe(0)
      expect(await db.scope(() => db.session.query(Role).filterBy({ name: 'rolled-back' }).count())).toBe(0)
    })

    it('commits at the end with { commit: true }, and rolls back when the work throws', async () => {
      await db.scope(() => db.session.add(new Role({ name: 'committed' })), { commit: true })
      await expect(
        db.scope(
          async () => {
            db.session.add(new Role({ name: 'thrown' }))
            throw new Error('boom')
          },
          { commit: true },
        ),
      ).rejects.toThrow('boom')
      const names = await db.scope(async () => (await Role.query.all()).map((r) => r.name))
      expect(names).toContain('committed')
      expect(names).not.toContain('thrown')
    })

    it('refuses use after the scope ended (a timer that outlived its scope)', async () => {
      let late: Promise<unknown> = Promise.resolve()
      await db.scope(async () => {
        late = new Promise((resolve) => setTimeout(() => resolve((() => { try { return db.session.current } catch (error) { return error } })()), 20))
      })
      expect(await late).toBeInstanceOf(NoScopeError)
      expect(((await late) as NoScopeError).message).toMatch(/after its scope ended/)
    })

    it('remove() closes the current session and the next use starts a new one', async () => {
      await db.scope(async () => {
        const first = db.session.current
        db.session.add(new Role({ name: 'removed' }))
        await db.session.remove()
        expect(db.session.hasSession).toBe(false)
        expect(db.session.current).not.toBe(first)
        expect(await Role.query.filterBy({ name: 'removed' }).count()).toBe(0)
      })
    })

    it('configure() changes new sessions and is refused once the scope has one', async () => {
      await db.scope(async () => {
        db.session.configure({ autoflush: false })
        expect(db.session.current.autoflushEnabled).toBe(false)
        expect(() => db.session.configure({ autoflush: true })).toThrow(/already exists/)
      })
      db.session.configure({ autoflush: true })
    })

    it('records each scope\'s statements with parameters, duration and caller', async () => {
      const recorded = await db.scope(async () => {
        await db.session.query(User).filterBy({ username: 'nobody' }).count()
        return db.getRecordedQueries()
      })
      // Reads before the first write run in autocommit (no BEGIN) on both databases.
      expect(recorded.map((query) => normalizeSql(query.statement))).toEqual(['SELECT count(*) FROM "users" WHERE "username" = ?'])
      const count = recorded.at(-1)!
      expect(count.parameters).toEqual(['nobody'])
      expect(count.duration).toBeGreaterThanOrEqual(0)
      expect(count.location).toMatch(/scoping\.test\.ts:\d+:\d+/)
    })
  })

  describe('404 helpers', () => {
    it('getOr404, firstOr404 and oneOr404 raise NotFoundError with HTTP status 404', async () => {
      await db.scope(async () => {
        const error = await db.getOr404(Role, 987654).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(NotFoundError)
        expect(error).toMatchObject({ code: 'not_found', status: 404, statusCode: 404 })
        await expect(db.firstOr404(Role.query.filterBy({ name: 'none' }))).rejects.toBeInstanceOf(NotFoundError)
        await expect(db.oneOr404(Role.query.filterBy({ name: 'none' }), { description: 'no such role' })).rejects.toThrow('no such role')
        db.session.add(new Role({ name: 'found' }))
        expect((await db.oneOr404(Role.query.filterBy({ name: 'found' }))).name).toBe('found')
      })
    })
  })

  describe('the global scope', () => {
    it('is off by default and, once enabled, serves scripts outside any scope', async () => {
      const scripted = createDb(registry, { url: database.url })
      expect(() => scripted.session.current).toThrow(NoScopeError)
      scripted.enableGlobalScope()
      scripted.session.add(new Role({ name: 'from-script' }))
      await scripted.session.commit()
      expect(await scripted.session.query(Role).filterBy({ name: 'from-script' }).count()).toBe(1)
      await scripted.session.remove()
      await scripted.dispose()
    })
  })
})
