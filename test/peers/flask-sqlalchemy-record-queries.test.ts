// Flask-SQLAlchemy's tests/test_record_queries.py in prismalchemy's terms: createDb(..., { recordQueries: true }) and db.getRecordedQueries() in a db.scope().
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, sqlOn } from '../helpers/dialects.js'
import { peerApp, type PeerApp } from './flask-sqlalchemy-app.js'

describe.each(DIALECTS)('on %s', (dialect) => {
  let app: PeerApp

  beforeAll(async () => {
    app = await peerApp('flask-record-queries', dialect, undefined, { recordQueries: true })
  })

  afterAll(async () => {
    await app?.dispose()
  })

  // tests/test_record_queries.py::test_query_info
  it('records the statement, its parameters, its timing and the caller', async () => {
    const { db } = app
    const { Todo } = app.classes
    const info = await db.scope(async () => {
      await db.session.query(Todo).where({ id: { lt: 5 } }).all()
      return db.getRecordedQueries().at(-1)!
    })
    expect(info.statement).toContain('SELECT')
    expect(info.statement).toContain(sqlOn(dialect, 'FROM "todo"'))
    expect(info.parameters[0]).toBe(5)
    // Milliseconds as floats: equal up to rounding.
    expect(info.duration).toBeCloseTo(info.endTime - info.startTime, 6)
    expect(info.location).toContain(`peers/flask-sqlalchemy-record-queries.test.ts:`)
  })
})
