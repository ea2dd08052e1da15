// EngineRegistry on real SQLite files: LRU eviction, evicted engines draining under live sessions, and the shared connection budget (10,000 tenants: engine-registry.soak.test.ts).
import path from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { createDb, DatabaseError, EngineRegistry, PoolTimeoutError, Session, type Engine } from 'prismalchemy'
import { Role, registry as models } from '../../generated/models.js'
import { openFiles, roleNames, useTenantTemplate } from '../helpers/tenants.js'

const tenants = useTenantTemplate()

async function insertRole(engine: Engine, name: string): Promise<void> {
  const session = new Session({ bind: engine })
  try {
    session.add(new Role({ name }))
    await session.commit()
  } finally {
    await session.close()
  }
}

/** Lets an evicted engine's disposal, which runs in the background, finish. */
const settle = () => new Promise((resolve) => setImmediate(resolve))
/** Holds a connection a while, so that concurrent sessions overlap (not a wait for a state). */
const hold = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('EngineRegistry', () => {
  it('returns one engine per URL and evicts the least recently used past maxEngines', async () => {
    const t = tenants('lru', 3)
    const registry = new EngineRegistry({ maxEngines: 2 })
    const first = registry.get(t.url(0))
    const second = registry.get(t.url(1))
    expect(registry.get(t.url(0))).toBe(first) // now the most recently used
    registry.get(t.url(2))
    expect(registry.stats()).toMatchObject({ engines: 2, draining: 1, created: 3, evicted: 1 })
    await settle()
    expect(registry.stats()).toMatchObject({ engines: 2, draining: 0, disposed: 1 })
    expect(registry.get(t.url(0))).toBe(first)
    const again = registry.get(t.url(1)) // evicts tenant 2, the least recently used now
    expect(again).not.toBe(second)
    expect(registry.stats()).toMatchObject({ engines: 2, created: 4, evicted: 2, revived: 0 })
    expect(registry.size).toBe(2)
    await registry.dispose()
  })

  it('keeps an evicted engine working for the session holding its connection, and disposes it once that connection came back', async () => {
    const t = tenants('drain', 2)
    const registry = new EngineRegistry({ maxEngines: 1 })
    const engine = registry.get(t.url(0))
    const session = new Session({ bind: engine })
    session.add(new Role({ name: 'before eviction' }))
    await session.flush() // the write transaction holds a connection now
    registry.get(t.url(1))
    await settle()
    expect(registry.stats()).toMatchObject({ engines: 1, draining: 1, evicted: 1, disposed: 0 })
    expect(openFiles(t.dir).files).toBe(1)
    session.add(new Role({ name: 'after eviction' }))
    expect(await session.query(Role).count()).toBe(2)
    await session.commit()
    await settle()
    expect(registry.stats()).toMatchObject({ draining: 0, disposed: 1 })
    expect(engine.poolStatus()).toMatchObject({ checkedOut: 0, idle: 0 })
    expect(openFiles(t.dir).files).toBe(0)
    expect(roleNames(t.file(0))).toEqual(['after eviction', 'before eviction'])
    await session.close()
    await registry.dispose()
  })

  it('keeps draining while sessions check out connections after the eviction, and forgets the engine only when none is out', async () => {
    const t = tenants('drain-late', 2)
    const registry = new EngineRegistry({ maxEngines: 1 })
    const engine = registry.get(t.url(0))
    const early = new Session({ bind: engine })
    early.add(new Role({ name: 'early' }))
    await early.flush()
    const late = new Session({ bind: engine }) // made before the eviction, first statement after it
    registry.get(t.url(1))
    expect(await late.query(Role).count()).toBe(0) // a read: no write lock needed while `early` holds it
    await early.commit()
    await settle()
    expect(registry.stats()).toMatchObject({ draining: 1, disposed: 0 })
    await late.commit()
    await settle()
    expect(registry.stats()).toMatchObject({ draining: 0, disposed: 1 })
    expect(engine.poolStatus()).toMatchObject({ checkedOut: 0, idle: 0 })
    expect(openFiles(t.dir).files).toBe(0)
    await Promise.all([early.close(), late.close()])
    await registry.dispose()
  })

  it('takes a draining engine back when its URL is asked for again, instead of opening a second engine on the file', async () => {
    const t = tenants('revive', 2)
    const registry = new EngineRegistry({ maxEngines: 1 })
    const engine = registry.get(t.url(0))
    const session = new Session({ bind: engine })
    session.add(new Role({ name: 'held' }))
    await session.flush()
    registry.get(t.url(1))
    await settle()
    expect(registry.get(t.url(0))).toBe(engine)
    expect(registry.stats()).toMatchObject({ engines: 1, created: 2, evicted: 2, revived: 1 })
    const queued = insertRole(engine, 'queued behind the held write lock') // same engine, so it waits on the same write lock
    await vi.waitFor(() => expect(registry.stats().connections.open).toBe(2)) // its flush has opened its connection: it waits on the lock
    await session.commit()
    await session.close()
    await queued
    await settle()
    // Only tenant 1's engine was disposed; tenant 0's is live again and keeps its pooled connections.
    expect(registry.stats()).toMatchObject({ engines: 1, draining: 0, disposed: 1 })
    expect(registry.get(t.url(0))).toBe(engine)
    expect(roleNames(t.file(0))).toEqual(['held', 'queued behind the held write lock'])
    await registry.dispose()
  })

  it('serves a session that starts a new transaction on an engine the registry already disposed, and closes its connection at dispose()', async () => {
    const t = tenants('straggler', 2)
    const registry = new EngineRegistry({ maxEngines: 1 })
    const session = new Session({ bind: registry.get(t.url(0)) })
    registry.get(t.url(1))
    await settle()
    expect(registry.stats()).toMatchObject({ draining: 0, disposed: 1 })
    session.add(new Role({ name: 'late' }))
    await session.commit()
    await session.close()
    expect(registry.stats().connections.open).toBe(1) // idle in the forgotten engine's pool
    await registry.dispose()
    expect(registry.stats().connections.open).toBe(0)
    expect(openFiles(t.dir).files).toBe(0)
    expect(roleNames(t.file(0))).toEqual(['late'])
  })

  it("gives a db.scope() session a tenant's engine with { bind }", async () => {
    const t = tenants('scope', 2)
    const registry = new EngineRegistry()
    const db = createDb(models, { url: t.url(0) })
    await db.scope(
      async () => {
        db.session.add(new Role({ name: 'tenant 1' }))
        expect(db.session.current.bind).toBe(registry.get(t.url(1)))
      },
      { commit: true, bind: registry.get(t.url(1)) },
    )
    expect(roleNames(t.file(1))).toEqual(['tenant 1'])
    expect(roleNames(t.file(0))).toEqual([])
    await db.dispose()
    await registry.dispose()
  })
})

describe('the connection budget', () => {
  it('never lets concurrent sessions on many engines open more than maxConnections, and loses none of their rows', async () => {
    const t = tenants('budget', 8)
    const registry = new EngineRegistry({ maxEngines: 8, maxConnections: 3 })
    let maxFiles = 0
    let maxOpen = 0
    let maxWaiting = 0
    await Promise.all(
      Array.from({ length: 40 }, async (_, job) => {
        const session = new Session({ bind: registry.get(t.url(job % 8)) })
        try {
          session.add(new Role({ name: `job ${job}` }))
          await session.flush()
          const { connections } = registry.stats()
          maxOpen = Math.max(maxOpen, connections.open)
          maxWaiting = Math.max(maxWaiting, connections.waiting)
          maxFiles = Math.max(maxFiles, openFiles(t.dir).files)
          await hold(2)
          await session.commit()
        } finally {
          await session.close()
        }
      }),
    )
    expect(maxOpen).toBe(3)
    expect(maxFiles).toBe(3)
    expect(maxWaiting).toBeGreaterThan(0)
    for (let tenant = 0; tenant < 8; tenant++) {
      expect(roleNames(t.file(tenant))).toEqual([0, 1, 2, 3, 4].map((round) => `job ${round * 8 + tenant}`).sort())
    }
    await registry.dispose()
    expect(registry.stats().connections.open).toBe(0)
  })

  it('closes an idle connection of the least recently used engine when another engine needs room', async () => {
    const t = tenants('reclaim', 3)
    const registry = new EngineRegistry({ maxConnections: 2 })
    const [a, b, c] = [0, 1, 2].map((tenant) => registry.get(t.url(tenant)))
    await insertRole(a, 'a')
    await insertRole(b, 'b')
    await insertRole(a, 'a again') // b is now the least recently used
    expect([a.poolStatus().idle, b.poolStatus().idle]).toEqual([1, 1])
    await insertRole(c, 'c')
    expect([a.poolStatus().idle, b.poolStatus().idle, c.poolStatus().idle]).toEqual([1, 0, 1])
    expect(openFiles(t.dir).files).toBe(2)
    await registry.dispose()
  })

  it('gives the permit back when a connection fails to open', async () => {
    const t = tenants('open-failure', 1)
    const registry = new EngineRegistry({ maxConnections: 1, poolTimeout: 0.2 })
    const missing = registry.get(`file:${path.join(t.dir, 'no-such-folder', 'tenant.db')}`)
    await expect(insertRole(missing, 'lost')).rejects.toBeInstanceOf(DatabaseError)
    expect(registry.stats().connections.open).toBe(0)
    await insertRole(registry.get(t.url(0)), 'served')
    expect(roleNames(t.file(0))).toEqual(['served'])
    await registry.dispose()
  })

  it('raises PoolTimeoutError after poolTimeout when the budget stays used up', async () => {
    const t = tenants('timeout', 2)
    const registry = new EngineRegistry({ maxConnections: 1, poolTimeout: 0.1 })
    const holder = new Session({ bind: registry.get(t.url(0)) })
    holder.add(new Role({ name: 'holding' }))
    await holder.flush()
    const error = await insertRole(registry.get(t.url(1)), 'starved').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(PoolTimeoutError)
    expect(error).toMatchObject({ code: 'pool_timeout', message: expect.stringMatching(/1 of the 1 connections the engines' shared budget allows/) })
    await holder.commit()
    await holder.close()
    await insertRole(registry.get(t.url(1)), 'served') // the held connection went idle and is closed for it
    expect(roleNames(t.file(1))).toEqual(['served'])
    await registry.dispose()
  })
})
