// A server that accepts TCP and never answers: the read's connect times out once, and is not retried on
// one new connection after another (each would wait poolTimeout again), as a dead pooled connection is.
import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConnectionLostError, createEngine, DatabaseUnavailableError, Session, sql } from 'prismalchemy'

describe('a PostgreSQL server that accepts connections and never answers', () => {
  let server: Server
  let port: number
  const sockets: Socket[] = []

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.push(socket) // hold it open, say nothing
      socket.on('error', () => undefined)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as { port: number }).port
  })

  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })

  it('fails the read after one connection attempt, with poolSize + maxOverflow room for sixteen', async () => {
    const engine = createEngine(`postgresql://app:secret@127.0.0.1:${port}/app`, { poolSize: 5, maxOverflow: 10, poolTimeout: 0.5 })
    const session = new Session({ bind: engine })
    try {
      const error = await session.execute(sql`SELECT 1`).catch((caught: unknown) => caught)
      expect(error instanceof ConnectionLostError || error instanceof DatabaseUnavailableError).toBe(true)
      expect(sockets).toHaveLength(1)
    } finally {
      await session.close().catch(() => undefined)
      await engine.dispose()
    }
  })
})
