// Flask-SQLAlchemy's tests/test_track_modifications.py in prismalchemy's terms: its before_models_committed and models_committed signals, built from session events with listen().
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listen, Session, type Model } from 'prismalchemy'
import { DIALECTS } from '../helpers/dialects.js'
import { peerApp, type PeerApp } from './flask-sqlalchemy-app.js'

type Change = [Model, 'insert' | 'update' | 'delete']

describe.each(DIALECTS)('on %s', (dialect) => {
  let app: PeerApp

  beforeAll(async () => {
    app = await peerApp('flask-track-modifications', dialect)
  })

  afterAll(async () => {
    await app?.dispose()
  })

  // tests/test_track_modifications.py::test_track_modifications
  it('reports each committed object with its operation, before and after the commit', async () => {
    const { db } = app
    const { Todo } = app.classes
    // What Flask-SQLAlchemy does when SQLALCHEMY_TRACK_MODIFICATIONS is on: note the session's new, dirty and deleted
    // objects before each flush and before commit, hand them out before and after the commit.
    const changes = new WeakMap<Session, Map<Model, Change>>()
    const note = (session: Session) => {
      const seen = changes.get(session) ?? new Map<Model, Change>()
      changes.set(session, seen)
      for (const obj of session.new) seen.set(obj, [obj, 'insert'])
      for (const obj of session.dirty) seen.set(obj, [obj, 'update'])
      for (const obj of session.deleted) seen.set(obj, [obj, 'delete'])
    }
    let before: Change[] = []
    let after: Change[] = []
    const stops = [
      listen(Session, 'beforeFlush', note),
      listen(Session, 'beforeCommit', (session: Session) => {
        note(session)
        const seen = changes.get(session)
        if (seen !== undefined && seen.size > 0) before = [...seen.values()]
      }),
      listen(Session, 'afterCommit', (session: Session) => {
        const seen = changes.get(session)
        if (seen !== undefined && seen.size > 0) after = [...seen.values()]
        seen?.clear()
      }),
    ]
    try {
      await db.scope(async () => {
        let item = new Todo()
        db.session.add(item)
        expect(before).toEqual([])
        expect(after).toEqual([])
        await db.session.commit()
        expect(before).toHaveLength(1)
        expect(before[0][0]).toBe(item)
        expect(before[0][1]).toBe('insert')
        expect(after).toEqual(before)

        await db.session.remove()
        item = (await db.session.get(Todo, 1))!
        item.title = 'test'
        await db.session.commit()
        expect(before).toHaveLength(1)
        expect(before[0][0]).toBe(item)
        expect(before[0][1]).toBe('update')
        expect(after).toEqual(before)

        await db.session.remove()
        item = (await db.session.get(Todo, 1))!
        db.session.delete(item)
        await db.session.commit()
        expect(before).toHaveLength(1)
        expect(before[0][0]).toBe(item)
        expect(before[0][1]).toBe('delete')
        expect(after).toEqual(before)
      })
    } finally {
      for (const stop of stops) stop()
    }
  })
})
