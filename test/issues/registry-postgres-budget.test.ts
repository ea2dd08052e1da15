// Regression: PostgreSQL engines of an EngineRegistry keep only their own pool limits, as documented, instead of waiting on a budget that does not count their real connections.
import { expect, it } from 'vitest'
import { EngineRegistry, Session } from 'prismalchemy'
import { Role } from '../../generated/models.js'
import { scratchDatabase } from '../helpers/database.js'
import { describeOn } from '../helpers/dialects.js'

describeOn('postgresql', 'on postgresql', (dialect) => {
  it('serves a second tenant while another holds a connection, with maxConnections: 1', async () => {
    const tenants = await Promise.all([scratchDatabase(dialect, { fromTemplate: true }), scratchDatabase(dialect, { fromTemplate: true })])
    const registry = new EngineRegistry({ maxConnections: 1, poolTimeout: 0.3 })
    try {
      const holder = new Session({ bind: registry.get(tenants[0].url) })
      holder.add(new Role({ name: 'holding' }))
      await holder.flush()
      const other = new Session({ bind: registry.get(tenants[1].url) })
      other.add(new Role({ name: 'served' }))
      await other.commit()
      await other.close()
      await holder.commit()
      await holder.close()
      expect(await tenants[1].readRows('SELECT "name" FROM "Role"')).toEqual([{ name: 'served' }])
      expect(registry.stats().connections.open).toBe(0)
    } finally {
      await registry.dispose()
      for (const tenant of tenants) await tenant.drop()
    }
  })
})
