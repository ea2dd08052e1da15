// Regressions from the review of the fidelity change: listeners that query during a flush, a failed savepoint release, a change made while an UPDATE is in flight, the deleted-identity index after a savepoint rollback, raw SELECT ... FOR UPDATE.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { listen, Session, sql, UniqueViolationError } from 'prismalchemy'
import { DIALECTS } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model Note {
  id   Int    @id @default(autoincrement())
  text String @unique
}
`

describe.each(DIALECTS)('on %s', (dialect) => {
  let models: InlineModels
  let Note: InlineModels['classes'][string]

  beforeAll(async () => {
    models = await inlineModels('session-review', SCHEMA, dialect)
    ;({ Note } = models.classes)
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  beforeEach(async () => {
    await models.database.execute('DELETE FROM "Note"')
  })

  it('lets a beforeFlush listener query the session without flushing again', async () => {
    await models.inSession(async (s) => {
      const seen: number[] = []
      listen(s, 'beforeFlush', async (session: Session) => {
        seen.push((await session.query(Note).all()).length)
      })
      s.add(new Note({ text: 'a' }))
      await s.commit()
      expect(seen).toEqual([0])
    })
    expect(await models.readRows('SELECT "text" FROM "Note"')).toEqual([{ text: 'a' }])
  })

  it('lets an afterInsert listener query the session without waiting for its own flush', async () => {
    const counts: number[] = []
    const stop = listen(Note, 'afterInsert', async (_note: unknown, session: Session) => {
      counts.push((await session.query(Note).all()).length)
    })
    try {
      await models.inSession(async (s) => {
        s.add(new Note({ text: 'a' }))
        await s.commit()
      })
    } finally {
      stop()
    }
    expect(counts).toEqual([1])
  })

  it('rolls a savepoint back when its release fails at flush, and the session goes on', async () => {
    await models.inSession(async (s) => {
      s.add(new Note({ text: 'a' }))
      await s.flush()
      await expect(s.beginNested(async () => s.add(new Note({ text: 'a' })))).rejects.toBeInstanceOf(UniqueViolationError)
      s.add(new Note({ text: 'b' }))
      await s.commit()
    })
    expect(await models.readRows('SELECT "text" FROM "Note" ORDER BY "text"')).toEqual([{ text: 'a' }, { text: 'b' }])
  })

  it('keeps a change made while the UPDATE of the same object is in flight, and writes it next', async () => {
    await models.inSession(async (s) => {
      const note = new Note({ text: 'a' })
      s.add(note)
      await s.commit()
      await s.refresh(note)
      note.text = 'b'
      const flushing = s.flush()
      note.text = 'c'
      await flushing
      expect(s.dirty).toEqual([note])
      await s.commit()
    })
    expect(await models.readRows('SELECT "text" FROM "Note"')).toEqual([{ text: 'c' }])
  })

  it('finds a row again after a savepoint rollback brought back its deletion', async () => {
    await models.inSession(async (s) => {
      const [u, v] = [new Note({ text: 'u' }), new Note({ text: 'v' })]
      s.addAll([u, v])
      await s.commit()
      const nested = await s.beginNested()
      s.delete(await s.get(Note, u.id))
      await s.flush()
      expect(await s.get(Note, 999_999)).toBeNull()
      await nested.rollback()
      s.delete(await s.get(Note, v.id))
      await s.flush()
      s.expunge(u)
      expect((await s.get(Note, u.id))?.text).toBe('u')
    })
  })

  // SQLite has no FOR UPDATE.
  it.runIf(dialect === 'postgresql')('runs a raw SELECT ... FOR UPDATE inside the write transaction', async () => {
    await models.inSession(async (s) => {
      const statements = await capturedSql(models.engine, () => s.execute(sql`SELECT "id" FROM "Note" FOR UPDATE`))
      expect(statements[0]).toBe('BEGIN')
    })
  })
})
