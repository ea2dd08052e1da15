// db.paginate(): Flask-SQLAlchemy's page arithmetic and its answers to bad page input, over a real query.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NotFoundError, paginate, type Session } from 'prismalchemy'
import { Role, User } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS } from '../helpers/dialects.js'

describe.each(DIALECTS)('on %s', (dialect) => {
  let database: TestDatabase
  let session: Session

  beforeAll(async () => {
    database = await createTestDatabase({}, dialect)
    session = database.session()
    const admin = new Role({ name: 'admin' })
    session.add(admin)
    for (let i = 1; i <= 45; i++) session.add(new User({ username: `u${String(i).padStart(2, '0')}`, role: i % 2 === 0 ? admin : null }))
    await session.commit()
  })

  afterAll(async () => {
    await session.close()
    await database.dispose()
  })

  const users = () => session.query(User).orderBy({ username: 'asc' })

  describe('paginate', () => {
    it('returns the page, the totals and the neighbours', async () => {
      const page = await paginate(users(), { page: 2, perPage: 20 })
      expect(page.items.map((user) => user.username)).toEqual(Array.from({ length: 20 }, (_, i) => `u${i + 21}`))
      expect(page).toMatchObject({ page: 2, perPage: 20, total: 45, pages: 3, hasPrev: true, prevNum: 1, hasNext: true, nextNum: 3, first: 21, last: 40 })
      const last = await page.next()
      expect(last.items).toHaveLength(5)
      expect(last).toMatchObject({ page: 3, hasNext: false, nextNum: null, first: 41, last: 45 })
      expect((await last.prev()).page).toBe(2)
    })

    it('accepts page numbers from a query string and caps perPage at maxPerPage', async () => {
      const page = await paginate(users(), { page: '3', perPage: '500', maxPerPage: 10 })
      expect(page.perPage).toBe(10)
      expect(page.items[0].username).toBe('u21')
    })

    it('takes a repeated query-string key by its first value and refuses a nested one, as Flask reads request.args', async () => {
      const repeated = await paginate(users(), { page: ['2', '7'], perPage: ['5'] })
      expect(repeated).toMatchObject({ page: 2, perPage: 5 })
      expect(repeated.items[0].username).toBe('u06')
      await expect(paginate(users(), { page: { x: '1' } })).rejects.toBeInstanceOf(NotFoundError)
      expect(await paginate(users(), { page: { x: '1' }, errorOut: false })).toMatchObject({ page: 1 })
    })

    it('answers bad input with 404 by default, and with defaults when errorOut is false', async () => {
      for (const options of [{ page: 0 }, { page: 'abc' }, { page: -1 }, { perPage: -5 }, { page: 99 }]) {
        await expect(paginate(users(), options)).rejects.toBeInstanceOf(NotFoundError)
      }
      const lenient = await paginate(users(), { page: 'abc', perPage: -5, errorOut: false })
      expect(lenient).toMatchObject({ page: 1, perPage: 20 })
      const empty = await paginate(users(), { page: 99, errorOut: false })
      expect(empty.items).toEqual([])
    })

    it('skips the COUNT when count is false', async () => {
      const page = await paginate(users(), { count: false, perPage: 5 })
      expect(page.total).toBeNull()
      expect(page.pages).toBe(0)
    })

    it('works on a dynamic relationship', async () => {
      const admin = (await session.query(Role).one())!
      const page = await admin.users.orderBy({ username: 'asc' }).paginate({ perPage: 10 })
      expect(page.total).toBe(22)
      expect(page.items[0].username).toBe('u02')
    })

    it('lists pager numbers with gaps as Flask-SQLAlchemy does', async () => {
      const many = await paginate(users(), { page: 8, perPage: 2 })
      expect(many.pages).toBe(23)
      expect([...many.iterPages()]).toEqual([1, 2, null, 6, 7, 8, 9, 10, 11, 12, null, 22, 23])
      expect([...(await paginate(users(), { page: 1, perPage: 20 })).iterPages()]).toEqual([1, 2, 3])
      expect([...many.iterPages({ leftEdge: 1, leftCurrent: 1, rightCurrent: 1, rightEdge: 1 })]).toEqual([1, null, 7, 8, 9, null, 23])
    })
  })
})
