// Isolation levels per engine and per session: PostgreSQL and MySQL begin at the first statement for a level other than their default (READ COMMITTED, REPEATABLE READ); SQLite takes SERIALIZABLE only.
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
  } else if (dialect === 'mysql') {
    /** The counter's value as `s` reads it now. */
    async function valueIn(s: Session): Promise<number> {
      return Number((await s.execute(sql`SELECT \`value\` FROM \`Counter\` WHERE \`id\` = ${1}`)).scalar())
    }

    /** 1 while `s` has a transaction open on the server (MariaDB's session variable), 0 in autocommit. */
    async function inTransaction(s: Session): Promise<number> {
      return Number((await s.execute(sql`SELECT @@in_transaction AS t`)).scalar())
    }

    it('READ COMMITTED begins at the first read and sees another session commit inside the transaction', async () => {
      await setElsewhere(1)
      const s = new Session({ bind: models.engine, isolationLevel: 'READ COMMITTED' })
      try {
        const statements = await capturedSql(models.engine, () => valueIn(s))
        expect(statements[0]).toBe('BEGIN ISOLATION LEVEL READ COMMITTED')
        expect(await inTransaction(s)).toBe(1)
        await setElsewhere(2)
        expect(await valueIn(s)).toBe(2)
      } finally {
        await s.close()
      }
    })

    it('the default REPEATABLE READ reads in autocommit until the first write, then keeps the snapshot of its first read', async () => {
      await setElsewhere(1)
      const s = new Session({ bind: models.engine })
      try {
        const statements = await capturedSql(models.engine, () => valueIn(s))
        expect(statements.filter((text) => text.startsWith('BEGIN'))).toEqual([])
        expect(await inTransaction(s)).toBe(0)
        await setElsewhere(2)
        expect(await valueIn(s)).toBe(2)
        // A write begins the transaction (plain BEGIN: the connection's level is the server's REPEATABLE READ).
        s.add(new Counter({ id: 2, value: 0 }))
        expect((await capturedSql(models.engine, () => s.flush()))[0]).toBe('BEGIN')
        expect(await valueIn(s)).toBe(2)
        await setElsewhere(3)
        expect(await valueIn(s)).toBe(2)
        await s.rollback()
        expect(await valueIn(s)).toBe(3)
      } finally {
        await s.close()
      }
    })

    it('READ UNCOMMITTED reads a write another transaction has not committed', async () => {
      await setElsewhere(1)
      const writer = new Session({ bind: models.engine })
      const s = new Session({ bind: models.engine, isolationLevel: 'READ UNCOMMITTED' })
      try {
        ;(await writer.get(Counter, 1)).value = 7
        await writer.flush()
        expect(await capturedSql(models.engine, () => valueIn(s).then((value) => expect(value).toBe(7)))).toContain('BEGIN ISOLATION LEVEL READ UNCOMMITTED')
        await writer.rollback()
        expect(await valueIn(s)).toBe(1)
      } finally {
        await writer.close()
        await s.close()
      }
    })

    it('SERIALIZABLE begins at the first read, which locks the row read (InnoDB reads in share mode): a writer waits for the lock', async () => {
      await setElsewhere(1)
      const s = new Session({ bind: models.engine, isolationLevel: 'SERIALIZABLE' })
      const writer = new Session({ bind: models.engine })
      try {
        const statements = await capturedSql(models.engine, () => s.get(Counter, 1))
        expect(statements[0]).toBe('BEGIN ISOLATION LEVEL SERIALIZABLE')
        expect(statements[1]).toMatch(/^SELECT /)
        // MariaDB's per-statement lock wait, so the writer gives up after 1 s instead of innodb_lock_wait_timeout's 50.
        const blocked = writer.execute(sql`SET STATEMENT innodb_lock_wait_timeout = 1 FOR UPDATE \`Counter\` SET \`value\` = ${5} WHERE \`id\` = ${1}`)
        await expect(blocked).rejects.toMatchObject({ name: 'DatabaseLockedError', code: 'lock_wait_timeout' })
        await s.rollback()
        await writer.execute(sql`UPDATE \`Counter\` SET \`value\` = ${5} WHERE \`id\` = ${1}`)
        await writer.commit()
        expect(await valueIn(s)).toBe(5)
      } finally {
        await writer.close()
        await s.close()
      }
    })

    it('an engine-wide level applies to its sessions, and a session level overrides it', async () => {
      const engine = createEngine(models.database.url, { isolationLevel: 'SERIALIZABLE' })
      try {
        const plain = new Session({ bind: engine })
        expect(await capturedSql(engine, () => plain.get(Counter, 1))).toContain('BEGIN ISOLATION LEVEL SERIALIZABLE')
        await plain.close()
        const own = new Session({ bind: engine, isolationLevel: 'READ COMMITTED' })
        expect(await capturedSql(engine, () => own.get(Counter, 1))).toContain('BEGIN ISOLATION LEVEL READ COMMITTED')
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
