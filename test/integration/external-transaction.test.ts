// Joining a session into an external transaction (SQLAlchemy's test recipe): the session's commits are savepoints, the outer transaction decides.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { InvalidRequestError, Session } from 'prismalchemy'
import { DIALECTS, normalizeSql } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { recordSql } from '../helpers/sql-recorder.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model Note {
  id   Int    @id @default(autoincrement())
  text String
}
`

describe.each(DIALECTS)('on %s', (dialect) => {
  let models: InlineModels
  let Note: InlineModels['classes'][string]

  beforeAll(async () => {
    models = await inlineModels('external-transaction', SCHEMA, dialect)
    ;({ Note } = models.classes)
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  beforeEach(async () => {
    await models.database.execute('DELETE FROM "Note"')
  })

  it('rolls back everything a session committed inside it', async () => {
    const outer = await models.engine.begin()
    const recorder = recordSql(models.engine)
    const session = new Session({ bind: models.engine, joinTransaction: outer })
    session.add(new Note({ text: 'kept only inside' }))
    await session.commit()
    expect(recorder.sql().map(normalizeSql).filter((text) => !text.startsWith('BEGIN'))).toEqual([
      'SAVEPOINT ext_sp_1',
      // MySQL has no RETURNING: the driver reports the generated key (lastInsertId).
      dialect === 'mysql' ? 'INSERT INTO "Note" ("text") VALUES (?)' : 'INSERT INTO "Note" ("text") VALUES (?) RETURNING "id"',
      'RELEASE SAVEPOINT ext_sp_1',
    ])
    recorder.stop()
    // The next session transaction is a new savepoint that sees the committed row.
    expect((await session.query(Note).all()).map((note: { text: string }) => note.text)).toEqual(['kept only inside'])
    await session.close()
    // Not visible outside while the external transaction is open, and gone once it rolls back.
    expect(await models.readRows('SELECT "text" FROM "Note"')).toEqual([])
    await outer.rollback()
    expect(await models.readRows('SELECT "text" FROM "Note"')).toEqual([])
    expect(models.engine.poolStatus().checkedOut).toBe(0)
  })

  it('a session rollback undoes only its own savepoint; the external commit keeps what the session committed', async () => {
    const outer = await models.engine.begin()
    const session = new Session({ bind: models.engine, joinTransaction: outer })
    session.add(new Note({ text: 'first' }))
    await session.commit()
    session.add(new Note({ text: 'second' }))
    await session.flush()
    await session.rollback()
    await session.close()
    await outer.commit()
    expect(await models.readRows('SELECT "text" FROM "Note"')).toEqual([{ text: 'first' }])
    await expect(outer.rollback()).rejects.toBeInstanceOf(InvalidRequestError)
  })
})
