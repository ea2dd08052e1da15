// Soak: 10,000 tenant SQLite databases through an EngineRegistry of 32 engines and 32 connections (the `slow` project).
import { describe, expect, it } from 'vitest'
import { EngineRegistry, Session } from 'prismalchemy'
import { Role } from '../../generated/models.js'
import { openFiles, roleNames, useTenantTemplate } from '../helpers/tenants.js'

const tenants = useTenantTemplate()

describe('10,000 tenant databases', () => {
  it('go through a registry of 32 engines and 32 connections with never more than 32 database files open, losing no committed row', async () => {
    const TENANTS = 10_000
    const WORKERS = 64
    const LIMIT = 32
    const t = tenants('load', TENANTS)
    const registry = new EngineRegistry({ maxEngines: LIMIT, maxConnections: LIMIT })
    // Every even tenant gets a second session 0 to 63 jobs after its first, so it finds its engine
    // live, draining (taken back) or gone (created anew), sometimes while the first still runs.
    const expected = (tenant: number) => (tenant % 2 === 0 ? 'first,second' : 'first')
    const jobs = Array.from({ length: TENANTS }, (_, tenant) => ({ tenant, name: 'first', at: tenant }))
    for (let tenant = 0; tenant < TENANTS; tenant += 2) jobs.push({ tenant, name: 'second', at: tenant + ((tenant * 7) % 64) + 0.5 })
    jobs.sort((a, b) => a.at - b.at)

    let next = 0
    let maxFiles = 0
    let maxDescriptors = 0
    let maxOpen = 0
    let maxDraining = 0
    const worker = async () => {
      while (next < jobs.length) {
        const job = next++
        const { tenant, name } = jobs[job]
        const session = new Session({ bind: registry.get(t.url(tenant)) })
        try {
          session.add(new Role({ name }))
          await session.flush() // the connection is out: when the most files are open
          const stats = registry.stats()
          maxOpen = Math.max(maxOpen, stats.connections.open)
          maxDraining = Math.max(maxDraining, stats.draining)
          if (job % 4 === 0) {
            const open = openFiles(t.dir)
            maxFiles = Math.max(maxFiles, open.files)
            maxDescriptors = Math.max(maxDescriptors, open.descriptors)
          }
          await session.commit()
        } finally {
          await session.close()
        }
      }
    }
    const started = performance.now()
    await Promise.all(Array.from({ length: WORKERS }, worker))
    const seconds = (performance.now() - started) / 1000
    const stats = registry.stats()
    await registry.dispose()

    const wrong: string[] = []
    for (let tenant = 0; tenant < TENANTS; tenant++) {
      const names = roleNames(t.file(tenant))
      if (names.join() !== expected(tenant)) wrong.push(`tenant ${tenant}: ${names.join()}`)
    }
    console.log(
      `${TENANTS} tenants, ${jobs.length} sessions in ${seconds.toFixed(1)} s: at most ${maxFiles} database files (${maxDescriptors} descriptors) ` +
        `and ${maxOpen} connections open, ${maxDraining} engines draining; created ${stats.created}, evicted ${stats.evicted}, ` +
        `revived ${stats.revived}, disposed after draining ${stats.disposed}`,
    )
    expect(wrong).toEqual([])
    expect(maxFiles).toBeLessThanOrEqual(LIMIT)
    expect(maxOpen).toBeLessThanOrEqual(LIMIT)
    expect(maxFiles).toBeGreaterThan(LIMIT / 2) // the workers really ran side by side
    expect(stats.engines).toBe(LIMIT)
    expect(stats.created + stats.revived).toBeGreaterThanOrEqual(TENANTS)
    expect(openFiles(t.dir).files).toBe(0)
    expect(registry.stats().connections.open).toBe(0)
  }, 120_000)
})
