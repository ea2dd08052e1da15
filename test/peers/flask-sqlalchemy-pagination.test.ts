// Flask-SQLAlchemy's tests/test_pagination.py in prismalchemy's terms: the page arithmetic over a range of numbers (no database), then db.paginate() behind real HTTP requests.
import express from 'express'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { NotFoundError, paginate, type Model, type Pagination, type Query } from 'prismalchemy'
import { expressScope } from '../../runtime/middleware/express.js'
import { DIALECTS } from '../helpers/dialects.js'
import { peerApp, request, serve, type PeerApp, type Served } from './flask-sqlalchemy-app.js'

/**
 * A stand-in query over `rows` numbers whose COUNT answers `total` (Flask's `RangePagination`
 * overrides the item and count queries the same way): only what `paginate()` calls.
 */
function rangeQuery(rows: number, total = rows): Query<Model> {
  const make = (limit: number, offset: number): unknown => ({
    limit: (n: number) => make(n, offset),
    offset: (n: number) => make(limit, n),
    all: async () => Array.from({ length: Math.max(0, Math.min(limit, rows - offset)) }, (_, i) => offset + i),
    count: async () => total,
  })
  return make(Number.POSITIVE_INFINITY, 0) as Query<Model>
}

/** A page of a range query: 150 numbers, 10 per page, unless told. */
function rangePage(options: { rows?: number; total?: number; page?: number; count?: boolean } = {}): Promise<Pagination<Model>> {
  const rows = options.rows ?? 150
  return paginate(rangeQuery(rows, options.total ?? rows), { page: options.page ?? 1, perPage: 10, count: options.count })
}

describe('page arithmetic', () => {
  // tests/test_pagination.py::test_first_page
  it('describes the first page', async () => {
    const p = await rangePage()
    expect(p).toMatchObject({ page: 1, perPage: 10, total: 150, pages: 15, hasPrev: false, prevNum: null, hasNext: true, nextNum: 2 })
  })

  // tests/test_pagination.py::test_last_page
  it('describes the last page', async () => {
    const p = await rangePage({ page: 15 })
    expect(p).toMatchObject({ page: 15, hasPrev: true, prevNum: 14, hasNext: false, nextNum: null })
  })

  // tests/test_pagination.py::test_item_numbers_first_page
  it('numbers the items of the first page from 1', async () => {
    const p = await rangePage()
    expect(p.items).toHaveLength(10)
    expect([p.first, p.last]).toEqual([1, 10])
  })

  // tests/test_pagination.py::test_item_numbers_last_page
  it('numbers the items of a short last page', async () => {
    // 150 counted, 145 there: the last page holds 5 items.
    const p = await rangePage({ rows: 145, total: 150, page: 15 })
    expect(p.items).toHaveLength(5)
    expect([p.first, p.last]).toEqual([141, 145])
  })

  // tests/test_pagination.py::test_item_numbers_0
  it('numbers an empty page 0 to 0', async () => {
    const p = await rangePage({ rows: 0 })
    expect([p.first, p.last]).toEqual([0, 0])
  })

  // tests/test_pagination.py::test_0_pages (total 0, and no count)
  it.each([
    ['a total of 0', { rows: 0 }],
    ['no count', { count: false }],
  ])('has no pages with %s', async (_, options) => {
    const p = await rangePage(options)
    expect(p).toMatchObject({ pages: 0, hasPrev: false, hasNext: false })
  })

  // tests/test_pagination.py::test_iter_pages
  it.each([
    [1, [1, 2, 3, 4, 5, null, 14, 15]],
    [2, [1, 2, 3, 4, 5, 6, null, 14, 15]],
    [3, [1, 2, 3, 4, 5, 6, 7, null, 14, 15]],
    [4, [1, 2, 3, 4, 5, 6, 7, 8, null, 14, 15]],
    [5, [1, 2, 3, 4, 5, 6, 7, 8, 9, null, 14, 15]],
    [6, [1, 2, null, 4, 5, 6, 7, 8, 9, 10, null, 14, 15]],
    [7, [1, 2, null, 5, 6, 7, 8, 9, 10, 11, null, 14, 15]],
    [8, [1, 2, null, 6, 7, 8, 9, 10, 11, 12, null, 14, 15]],
    [9, [1, 2, null, 7, 8, 9, 10, 11, 12, 13, 14, 15]],
    [10, [1, 2, null, 8, 9, 10, 11, 12, 13, 14, 15]],
    [11, [1, 2, null, 9, 10, 11, 12, 13, 14, 15]],
    [12, [1, 2, null, 10, 11, 12, 13, 14, 15]],
    [13, [1, 2, null, 11, 12, 13, 14, 15]],
    [14, [1, 2, null, 12, 13, 14, 15]],
    [15, [1, 2, null, 13, 14, 15]],
  ])('lists the pager numbers around page %i of 15', async (page, expected) => {
    const p = await rangePage({ page })
    expect([...p.iterPages()]).toEqual(expected)
  })

  // tests/test_pagination.py::test_iter_0_pages
  it('lists no pager numbers without items', async () => {
    const p = await rangePage({ rows: 0 })
    expect([...p.iterPages()]).toEqual([])
  })

  // tests/test_pagination.py::test_iter_pages_short
  it.each([1, 2, 3, 4])('lists every number of 4 pages on page %i', async (page) => {
    const p = await rangePage({ rows: 40, page })
    expect([...p.iterPages()]).toEqual([1, 2, 3, 4])
  })
})

describe.each(DIALECTS)('db.paginate() on %s', (dialect) => {
  let app: PeerApp
  let server: Served
  let Todo: PeerApp['classes'][string]

  beforeAll(async () => {
    app = await peerApp('flask-pagination', dialect)
    Todo = app.classes.Todo
    const web = express()
    web.set('env', 'test')
    web.use(expressScope(app.db))
    // Flask-SQLAlchemy reads ?page= and ?per_page= itself; here the handler hands the query string over.
    web.get('/todos', async (req, res) => {
      const flag = (name: string) => (req.query[name] === undefined ? undefined : req.query[name] === 'true')
      const p = await app.db.paginate(Todo.query, {
        page: req.query.page as string | undefined,
        perPage: req.query.per_page as string | undefined,
        maxPerPage: req.query.max_per_page === undefined ? undefined : Number(req.query.max_per_page),
        errorOut: flag('error_out'),
        count: flag('count'),
      })
      const next = p.hasNext ? await p.next() : undefined
      res.json({ page: p.page, perPage: p.perPage, items: p.items.length, total: p.total, pages: p.pages, next: next && { page: next.page, perPage: next.perPage } })
    })
    server = await serve(web)
  })

  afterAll(async () => {
    await server?.close()
    await app?.dispose()
  })

  afterEach(() => app.reset('todo'))

  /** Flask's `paginate` fixture: 250 todos, committed. */
  async function seed250(): Promise<void> {
    await app.db.scope(() => {
      for (let i = 1; i <= 250; i++) app.db.session.add(new Todo({ title: `task ${i}` }))
    }, { commit: true })
  }

  const page = (query = '') => request(`${server.url}/todos${query}`)

  describe('with 250 todos', () => {
    beforeEach(seed250)

    // tests/test_pagination.py::test_paginate
    it('answers the first page of 20 by default', async () => {
      const reply = await page()
      expect(reply.status).toBe(200)
      expect(reply.body).toMatchObject({ page: 1, perPage: 20, items: 20, total: 250, pages: 13 })
    })

    // tests/test_pagination.py::test_paginate_qs
    it('takes page and per_page from the query string', async () => {
      const reply = await page('?page=2&per_page=10')
      expect(reply.body).toMatchObject({ page: 2, perPage: 10 })
    })

    // tests/test_pagination.py::test_paginate_max
    it('caps per_page at maxPerPage', async () => {
      const reply = await page('?per_page=100&max_per_page=50')
      expect(reply.body.perPage).toBe(50)
    })

    // tests/test_pagination.py::test_next_page_size
    it('keeps the page size on the next page', async () => {
      const reply = await page('?per_page=110&max_per_page=250')
      expect(reply.body).toMatchObject({ page: 1, perPage: 110, next: { page: 2, perPage: 110 } })
    })

    // tests/test_pagination.py::test_no_count
    it('has no total without the count', async () => {
      const reply = await page('?count=false')
      expect(reply.body.total).toBeNull()
    })

    // tests/test_pagination.py::test_error_out
    it.each([
      ['page=abc', '?page=abc'],
      ['per_page=abc', '?per_page=abc'],
      ['page=0', '?page=0'],
      ['per_page=-1', '?per_page=-1'],
    ])('answers %s with 404', async (_, query) => {
      const reply = await page(query)
      expect(reply.status).toBe(404)
    })
  })

  // tests/test_pagination.py::test_no_items_404
  it('gives an empty first page, and 404 for page 2', async () => {
    await app.db.scope(async () => {
      const p = await app.db.paginate(Todo.query)
      expect(p.items).toHaveLength(0)
      await expect(app.db.paginate(Todo.query, { page: 2 })).rejects.toBeInstanceOf(NotFoundError)
    })
    expect((await page('?page=2')).status).toBe(404)
  })
})
