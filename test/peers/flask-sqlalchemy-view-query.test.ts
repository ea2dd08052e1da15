// Flask-SQLAlchemy's tests/test_view_query.py in prismalchemy's terms: db.getOr404, db.firstOr404, db.oneOr404 and db.paginate inside db.scope(), and their 404s through an Express app on loopback.
import express from 'express'
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { createDb, NotFoundError, type Db } from 'prismalchemy'
import { registry, Role } from '../../generated/models.js'
import { expressScope } from '../../runtime/middleware/express.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS } from '../helpers/dialects.js'
import { peerApp, request, serve, type PeerApp, type Served } from './flask-sqlalchemy-app.js'

describe.each(DIALECTS)('on %s', (dialect) => {
  let app: PeerApp
  let db: Db
  let Todo: PeerApp['classes'][string]
  let server: Served

  beforeAll(async () => {
    app = await peerApp('flask-view-query', dialect)
    db = app.db
    Todo = app.classes.Todo
    // The views a Flask app would write with these helpers; a NotFoundError becomes the client's 404.
    const web = express()
    web.set('env', 'test')
    web.use(expressScope(db))
    web.get('/todos/:id', async (req, res) => res.json({ title: (await db.getOr404(Todo, Number(req.params.id))).title }))
    web.get('/first', async (req, res) => res.json({ title: (await db.firstOr404(Todo.query.filterBy({ title: String(req.query.title) }))).title }))
    web.get('/one', async (req, res) => res.json({ title: (await db.oneOr404(Todo.query.filterBy({ title: String(req.query.title) }))).title }))
    server = await serve(web)
  })

  afterAll(async () => {
    await server?.close()
    await app?.dispose()
  })

  afterEach(() => app.reset('todo'))

  // tests/test_view_query.py::test_view_get_or_404
  it('getOr404 answers the object by key, the same one the session holds, and 404 for a missing key', async () => {
    await db.scope(async () => {
      const item = new Todo()
      db.session.add(item)
      await db.session.commit()
      expect(await db.getOr404(Todo, 1)).toBe(item)
      await expect(db.getOr404(Todo, 2)).rejects.toBeInstanceOf(NotFoundError)
    })
    expect((await request(`${server.url}/todos/1`)).status).toBe(200)
    expect((await request(`${server.url}/todos/2`)).status).toBe(404)
  })

  // tests/test_view_query.py::test_first_or_404
  it('firstOr404 answers the first match, and 404 without one', async () => {
    await db.scope(async () => {
      db.session.add(new Todo({ title: 'a' }))
      await db.session.commit()
      expect((await db.firstOr404(Todo.query.filterBy({ title: 'a' }))).title).toBe('a')
      await expect(db.firstOr404(Todo.query.filterBy({ title: 'b' }))).rejects.toBeInstanceOf(NotFoundError)
    })
    expect(await request(`${server.url}/first?title=a`)).toEqual({ status: 200, body: { title: 'a' } })
    expect((await request(`${server.url}/first?title=b`)).status).toBe(404)
  })

  // tests/test_view_query.py::test_view_one_or_404
  it('oneOr404 answers the only match, and 404 for several matches as for none', async () => {
    await db.scope(async () => {
      db.session.addAll([new Todo({ title: 'a' }), new Todo({ title: 'b' }), new Todo({ title: 'b' })])
      await db.session.commit()
      expect((await db.oneOr404(Todo.query.filterBy({ title: 'a' }))).title).toBe('a')
      // Several rows: Flask-SQLAlchemy turns MultipleResultsFound into a 404 too.
      await expect(db.oneOr404(Todo.query.filterBy({ title: 'b' }))).rejects.toBeInstanceOf(NotFoundError)
      await expect(db.oneOr404(Todo.query.filterBy({ title: 'c' }))).rejects.toBeInstanceOf(NotFoundError)
    })
    expect((await request(`${server.url}/one?title=a`)).status).toBe(200)
    expect((await request(`${server.url}/one?title=b`)).status).toBe(404)
    expect((await request(`${server.url}/one?title=c`)).status).toBe(404)
  })

  // tests/test_view_query.py::test_paginate
  it('paginate counts every row, gives 20 per page and moves to the next page', async () => {
    await db.scope(async () => {
      db.session.addAll(Array.from({ length: 150 }, () => new Todo()))
      await db.session.commit()
      const p = await db.paginate(Todo.query)
      expect(p.total).toBe(150)
      expect(p.items).toHaveLength(20)
      const p2 = await p.next()
      expect(p2.page).toBe(2)
      expect(p2.total).toBe(150)
    })
  })

  describe('with a typed model', () => {
    let database: TestDatabase
    let typed: Db<typeof registry.classes>

    beforeAll(async () => {
      database = await createTestDatabase({}, dialect)
      typed = createDb(registry, { url: database.url })
    })

    afterAll(async () => {
      await typed?.dispose()
      await database?.dispose()
    })

    // tests/test_view_query.py::test_view_get_or_404_typed
    it('getOr404 is typed as the model it was given', async () => {
      await typed.scope(async () => {
        const role = new Role({ name: 'Python' })
        typed.session.add(role)
        await typed.session.commit()
        const result = await typed.getOr404(Role, role.id)
        expectTypeOf(result).toEqualTypeOf<Role>()
        expect(result.name).toBe('Python')
        expect(result).toBe(role)
        await expect(typed.getOr404(Role, role.id + 1)).rejects.toBeInstanceOf(NotFoundError)
      })
    })
  })
})
