// Flask-SQLAlchemy's tests/test_legacy_query.py in prismalchemy's terms: the 404 helpers and paginate() on Model.query, and which objects are queries.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { NotFoundError, Query, type Db } from 'prismalchemy'
import { DIALECTS } from '../helpers/dialects.js'
import { peerApp, type PeerApp } from './flask-sqlalchemy-app.js'

/** A parent with a dynamic collection of children (the `Parent`/`Child` pair of test_default_query_class). */
const PARENT_SCHEMA = `datasource db {
  provider = "sqlite"
}

model Parent {
  id       Int     @id @default(autoincrement())
  /// @lazy(dynamic)
  children Child[]
}

model Child {
  id       Int     @id @default(autoincrement())
  parentId Int?
  parent   Parent? @relation(fields: [parentId], references: [id])
}
`

describe.each(DIALECTS)('on %s', (dialect) => {
  let app: PeerApp
  let db: Db
  let Todo: PeerApp['classes'][string]

  beforeAll(async () => {
    app = await peerApp('flask-legacy-query', dialect)
    db = app.db
    Todo = app.classes.Todo
  })

  afterAll(async () => {
    await app?.dispose()
  })

  afterEach(() => app.reset('todo'))

  // tests/test_legacy_query.py::test_get_or_404
  it('Model.query.getOr404 answers the object by key, and NotFoundError for a missing key', async () => {
    await db.scope(async () => {
      const item = new Todo()
      db.session.add(item)
      await db.session.commit()
      expect(await Todo.query.getOr404(1)).toBe(item)
      await expect(Todo.query.getOr404(2)).rejects.toBeInstanceOf(NotFoundError)
    })
  })

  // tests/test_legacy_query.py::test_first_or_404
  it('Model.query.firstOr404 answers the first match, and NotFoundError without one', async () => {
    await db.scope(async () => {
      db.session.add(new Todo({ title: 'a' }))
      await db.session.commit()
      expect((await Todo.query.filterBy({ title: 'a' }).firstOr404()).title).toBe('a')
      await expect(Todo.query.filterBy({ title: 'b' }).firstOr404()).rejects.toBeInstanceOf(NotFoundError)
    })
  })

  // tests/test_legacy_query.py::test_one_or_404
  it('Model.query.oneOr404 answers the only match, and NotFoundError for several matches as for none', async () => {
    await db.scope(async () => {
      db.session.addAll([new Todo({ title: 'a' }), new Todo({ title: 'b' }), new Todo({ title: 'b' })])
      await db.session.commit()
      expect((await Todo.query.filterBy({ title: 'a' }).oneOr404()).title).toBe('a')
      await expect(Todo.query.filterBy({ title: 'b' }).oneOr404()).rejects.toBeInstanceOf(NotFoundError)
      await expect(Todo.query.filterBy({ title: 'c' }).oneOr404()).rejects.toBeInstanceOf(NotFoundError)
    })
  })

  // tests/test_legacy_query.py::test_paginate
  it('Model.query.paginate counts every row, gives 20 per page and moves to the next page', async () => {
    await db.scope(async () => {
      db.session.addAll(Array.from({ length: 150 }, () => new Todo()))
      await db.session.commit()
      const p = await Todo.query.paginate()
      expect(p.total).toBe(150)
      expect(p.items).toHaveLength(20)
      const p2 = await p.next()
      expect(p2.page).toBe(2)
      expect(p2.total).toBe(150)
    })
  })

  describe('query classes', () => {
    let parents: PeerApp

    beforeAll(async () => {
      parents = await peerApp('flask-legacy-query-parent', dialect, PARENT_SCHEMA)
    })

    afterAll(async () => {
      await parents?.dispose()
    })

    // tests/test_legacy_query.py::test_default_query_class (the viewonly backref has no Prisma equivalent)
    it('Model.query, a dynamic relationship and session.query() are all Query objects', async () => {
      const { Parent, Child } = parents.classes
      await parents.db.scope(async () => {
        const p = new Parent()
        expect(Parent.query).toBeInstanceOf(Query)
        expect(p.children).toBeInstanceOf(Query)
        expect(parents.db.session.query(Child)).toBeInstanceOf(Query)
      })
    })
  })
})
