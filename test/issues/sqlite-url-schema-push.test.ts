// Regression: createAll/dropAll (pushSchema/dropSchema) take the `sqlite:` URLs createEngine takes; they refused them with "Cannot create an engine for".
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { createEngine, Session } from 'prismalchemy'
import { Role, registry } from '../../generated/models.js'
import { dropSchema, pushSchema } from '../../runtime/engine/schema-engine.js'

let dir: string | undefined

afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

it('creates the tables on a sqlite: URL, serves an engine on the same URL, and drops them again', async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-sqlite-url-'))
  const url = `sqlite:${path.join(dir, 'app.db')}`
  const pushed = await pushSchema({ url, sources: registry.schema.sources })
  expect(pushed.executedSteps).toBeGreaterThan(0)

  const engine = createEngine(url)
  const session = new Session({ bind: engine })
  session.add(new Role({ name: 'admin' }))
  await session.commit()
  expect(await session.query(Role).count()).toBe(1)
  await session.close()
  await engine.dispose()

  await dropSchema({ url, sources: registry.schema.sources })
  expect(await pushSchema({ url, sources: registry.schema.sources })).toMatchObject({ executedSteps: pushed.executedSteps })
})
