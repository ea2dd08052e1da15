// Isolation levels per engine and per session: PostgreSQL begins at the first statement for a level other than READ COMMITTED; SQLite takes SERIALIZABLE only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigurationError, createEngine, Session, sql } from 'prismalchemy'
import { DIALECTS } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model Counter {
  id    Int @id
  value Int
}
`

describe.each(DIALECTS)('on %s', (dialect) => {
  let models: InlineModels
  let Counter: InlineModels['classes'][string]

  beforeAll(async () => {
    models = await inlineModels('isolation-levels', SCHEMA, dialect)
    ;({ Counter } = models.classes)
    await models.inSession(async (s) => {
      s.add(new Counter({ id: 1, value: 1 }))
      await s.commit()
    })
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  /** Sets the counter's value from another session, committed. */
  async function setElsewhere(value: number): Promise<void> {
    await models.inSession(async (s) => {
      ;(await s.get(Counter, 1)).value = value
      await s.commit()
    })
  }

  if (dialect === 'postgresql') {
    it('REPEATABLE READ begins at the first read and keeps reading its snapshot', async () => {
      await setElsewhere(1)
      const s = new Session({ bind: models.engine, isolationLevel: 'REPEATABLE READ' })
      try {
        const statements = await capturedSql(models.engine, () => s.execute(sql`SELECT "value" FROM "Counter" WHERE "id" = ${1}`))
        expect(statements[0]).toBe('BEGIN ISOLATION LEVEL REPEATABLE READ')
        await setElsewhere(2)
        expect((await s.execute(sql`SELECT "value" FROM "Counter" WHERE "id" = ${1}`)).scalar()).toBe(1)
      } finally {
        await s.close()
      }
    })

    it('the default READ COMMITTED reads in autocommit and sees the other commit', async () => {
      await setElsewhere(1)
      const s = new Session({ bind: models.engine })
      try {
        const statements = await capturedSql(models.engine, () => s.execute(sql`SELECT "value" FROM "Counter" WHERE "id" = ${1}`))
        expect(statements.filter((text) => text.startsWith('BEGIN'))).toEqual([])
        await setElsewhere(2)
        expect((await s.execute(sql`SELECT "value" FROM "Counter" WHERE "id" = ${1}`)).scalar()).toBe(2)
      } finally {
        await s.close()
      }
    })

    it('an engine-wide SERIALIZABLE applies to its sessions, and a session level overrides it', async () => {
      const engine = createEngine(models.database.url, { isolationLevel: 'SERIALIZABLE' })
      try {
        const plain = new Session({ bind: engine })
        expect(await capturedSql(engine, () => plain.get(Counter, 1))).toContain('BEGIN ISOLATION LEVEL SERIALIZABLE')
        await plain.close()
        const own = new Session({ bind: engine, isolationLevel: 'REPEATABLE READ' })
        expect(await capturedSql(engine, () => own.get(Counter, 1))).toContain('BEGIN ISOLATION LEVEL REPEATABLE READ')
        await own.close()
      } finally {
        await engine.dispose()
      }
    })
  } else {
    it('SERIALIZABLE takes the write lock at the first read (BEGIN IMMEDIATE), so the transaction reads one state', async () => {
      const s = new Session({ bind: models.engine, isolationLevel: 'SERIALIZABLE' })
      try {
        const sql = await capturedSql(models.engine, () => s.get(Counter, 1))
        expect(sql[0]).toBe('BEGIN IMMEDIATE')
        expect(sql[1]).toMatch(/^SELECT /)
      } finally {
        await s.close()
      }
    })

    it('refuses a level SQLite cannot give, on the engine at once and on a session at its first statement', async () => {
      expect(() => createEngine(models.database.url, { isolationLevel: 'REPEATABLE READ' })).toThrow(ConfigurationError)
      const s = new Session({ bind: models.engine, isolationLevel: 'READ COMMITTED' })
      try {
        await expect(s.get(Counter, 1)).rejects.toThrow(/isolationLevel.*SERIALIZABLE/)
      } finally {
        await s.close()
      }
    })
  }
})
