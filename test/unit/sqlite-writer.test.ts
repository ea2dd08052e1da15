// SqliteWriter on a real SQLite file: turns share one handle, opened at the first turn; a handle given back closed or inside a transaction is replaced; retire() and the idle timeout close it now or at the end of the turn; without a shared handle each turn writes on the caller's own.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { SqliteHandle } from '../../runtime/databases/sqlite/sqlite-handle.js'
import { SqliteWriter } from '../../runtime/databases/sqlite/sqlite-writer.js'

describe('SqliteWriter', () => {
  let dir: string
  let opened: SqliteHandle[]
  let own: SqliteHandle
  let writer: SqliteWriter

  /** A writer lending a shared handle on the test's file (recorded in `opened`). */
  function sharedWriter(idleTimeoutMs?: number): SqliteWriter {
    return new SqliteWriter({
      openShared: async () => {
        const handle = await SqliteHandle.open(handleOptions())
        opened.push(handle)
        return handle
      },
      timeoutMs: 50,
      timedOut: () => new Error('timed out'),
      idleTimeoutMs,
    })
  }

  const handleOptions = () => ({ filename: path.join(dir, 'test.db'), busyTimeoutMs: 1_000, statementCacheSize: 10 })

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-writer-'))
    opened = []
    own = await SqliteHandle.open(handleOptions())
    writer = sharedWriter()
  })

  afterEach(() => {
    writer.retire()
    own.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('opens the handle at the first turn and lends the same one to every turn after', async () => {
    expect(opened).toHaveLength(0)
    const first = await writer.acquire(own)
    first.release()
    expect(first.handle).not.toBe(own)
    const second = await writer.acquire(own)
    expect(second.handle).toBe(first.handle)
    expect(opened).toHaveLength(1)
    second.release()
  })

  it('lends the handle to one turn at a time, and a turn waiting longer than the timeout fails', async () => {
    const holder = await writer.acquire(own)
    await expect(writer.acquire(own)).rejects.toThrow('timed out')
    const next = writer.acquire(own)
    holder.release()
    // A second release does nothing: the waiter keeps its turn.
    holder.release()
    const turn = await next
    expect(turn.handle).toBe(holder.handle)
    turn.release()
  })

  it('closes a handle given back inside a transaction (SQLite rolls it back) and opens a fresh one for the next turn', async () => {
    const turn = await writer.acquire(own)
    turn.handle.prepare('CREATE TABLE t (x INTEGER)').run()
    turn.handle.prepare('BEGIN IMMEDIATE').run()
    turn.handle.prepare('INSERT INTO t VALUES (1)').run()
    turn.release()
    expect(turn.handle.db.open).toBe(false)
    const next = await writer.acquire(own)
    expect(next.handle).not.toBe(turn.handle)
    expect(next.handle.inTransaction).toBe(false)
    expect(next.handle.prepare('SELECT count(*) FROM t').get()).toEqual([0])
    next.release()
  })

  it('retire() closes an idle handle at once, and a held one only when its turn ends', async () => {
    const idle = await writer.acquire(own)
    idle.release()
    writer.retire()
    expect(idle.handle.db.open).toBe(false)

    const held = await writer.acquire(own)
    expect(held.handle).not.toBe(idle.handle)
    writer.retire()
    expect(held.handle.db.open).toBe(true)
    held.handle.prepare('SELECT 1').get()
    held.release()
    expect(held.handle.db.open).toBe(false)
    const after = await writer.acquire(own)
    expect(opened).toHaveLength(3)
    expect(after.handle.db.open).toBe(true)
    after.release()
  })

  it('closes a handle given back closed behind its back, and opens a fresh one for the next turn', async () => {
    const turn = await writer.acquire(own)
    turn.handle.db.close()
    turn.release()
    const next = await writer.acquire(own)
    expect(next.handle).not.toBe(turn.handle)
    expect(next.handle.prepare('SELECT 1').get()).toEqual([1])
    next.release()
  })

  it('closes the shared handle once it stayed unused for the idle timeout, never while a turn holds it', async () => {
    writer.retire()
    writer = sharedWriter(30)
    const held = await writer.acquire(own)
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(held.handle.db.open).toBe(true)
    held.release()
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(held.handle.db.open).toBe(true)
    await vi.waitFor(() => expect(held.handle.db.open).toBe(false))
    const next = await writer.acquire(own)
    expect(next.handle.db.open).toBe(true)
    next.release()
  })

  it('without a shared handle, lends each turn the caller’s own handle, one turn at a time, and never closes it', async () => {
    writer.retire()
    writer = new SqliteWriter({ timeoutMs: 50, timedOut: () => new Error('timed out') })
    const turn = await writer.acquire(own)
    expect(turn.handle).toBe(own)
    await expect(writer.acquire(own)).rejects.toThrow('timed out')
    turn.handle.prepare('BEGIN IMMEDIATE').run()
    turn.handle.prepare('ROLLBACK').run()
    turn.release()
    expect(own.db.open).toBe(true)
    expect(opened).toHaveLength(0)
    const next = await writer.acquire(own)
    expect(next.handle).toBe(own)
    next.release()
  })

  it('a handle that finished opening after retire() serves its turn and is closed at the end of it', async () => {
    writer.retire()
    let finishOpening: () => void = () => undefined
    const opening = new Promise<void>((resolve) => (finishOpening = resolve))
    writer = new SqliteWriter({
      openShared: async () => {
        await opening
        const handle = await SqliteHandle.open(handleOptions())
        opened.push(handle)
        return handle
      },
      timeoutMs: 1_000,
      timedOut: () => new Error('timed out'),
    })
    const acquiring = writer.acquire(own)
    await new Promise((resolve) => setImmediate(resolve))
    // An engine's dispose() while the first turn's handle is still opening.
    writer.retire()
    finishOpening()
    const turn = await acquiring
    expect(turn.handle.db.open).toBe(true)
    turn.release()
    expect(turn.handle.db.open).toBe(false)
    const next = await writer.acquire(own)
    expect(next.handle).not.toBe(turn.handle)
    next.release()
  })
})
