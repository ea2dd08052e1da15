// Regression: the adapter driver sends a session connection's statements one at a time (a pg client runs one query at a time; queuing inside pg is deprecated and goes in pg@9).
import type { SqlDriverAdapterFactory, SqlQuery } from '@prisma/driver-adapter-utils'
import { describe, expect, it, vi } from 'vitest'
import { PrismaAdapterDriver } from '../../runtime/engine/adapter-driver.js'
import type { CompiledQuery } from '../../runtime/sql/compiled-query.js'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A factory whose transactions fail a statement sent while another still runs, and record what started and what ran. */
function strictFactory(ran: string[], started: string[] = []): SqlDriverAdapterFactory {
  const adapter = {
    provider: 'postgres' as const,
    adapterName: 'strict-fake',
    queryRaw: async () => ({ columnNames: [], columnTypes: [], rows: [] }),
    executeRaw: async () => 0,
    executeScript: async () => undefined,
    dispose: async () => undefined,
    startTransaction: async () => {
      let busy = false
      const run = async (request: SqlQuery) => {
        if (busy) throw new Error(`"${request.sql}" sent while another statement was still running`)
        started.push(request.sql)
        busy = true
        await sleep(2)
        busy = false
        ran.push(request.sql)
      }
      return {
        provider: 'postgres' as const,
        adapterName: 'strict-fake',
        options: { usePhantomQuery: false },
        queryRaw: async (request: SqlQuery) => (await run(request), { columnNames: [], columnTypes: [], rows: [] }),
        executeRaw: async (request: SqlQuery) => (await run(request), 1),
        commit: async () => undefined,
        rollback: async () => undefined,
      }
    },
  }
  return { provider: 'postgres', adapterName: 'strict-fake', connect: async () => adapter }
}

/** A write: it runs inside the connection's transaction (reads before the first write may run outside). */
function update(sql: string): CompiledQuery {
  return { sql, parameters: [], result: 'changes', exactIntegers: false, isWrite: true } as unknown as CompiledQuery
}

describe('PrismaAdapterDriver', () => {
  it('runs concurrent statements of one connection one after the other, then COMMIT', async () => {
    const ran: string[] = []
    const driver = new PrismaAdapterDriver({ factory: strictFactory(ran), poolSize: 1, maxOverflow: 0, poolTimeoutMs: 1000, reporter: { active: false, report: () => undefined } })
    const connection = await driver.acquire()
    await connection.begin()
    await Promise.all([connection.execute(update('UPDATE 1')), connection.execute(update('UPDATE 2')), connection.execute(update('UPDATE 3'))])
    await connection.commit()
    await driver.release(connection)
    expect(ran).toEqual(['UPDATE 1', 'UPDATE 2', 'UPDATE 3', 'COMMIT'])
  })

  it('sends ROLLBACK only after a statement still running when the connection is released', async () => {
    const ran: string[] = []
    const started: string[] = []
    const driver = new PrismaAdapterDriver({ factory: strictFactory(ran, started), poolSize: 1, maxOverflow: 0, poolTimeoutMs: 1000, reporter: { active: false, report: () => undefined } })
    const connection = await driver.acquire()
    await connection.begin()
    await connection.execute(update('UPDATE 1'))
    const running = connection.execute(update('UPDATE 2'))
    await vi.waitFor(() => expect(started).toContain('UPDATE 2'))
    await driver.release(connection)
    await running
    expect(ran).toEqual(['UPDATE 1', 'UPDATE 2', 'ROLLBACK'])
  })
})
