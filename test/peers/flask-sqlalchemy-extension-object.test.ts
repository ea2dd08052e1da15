// Flask-SQLAlchemy's tests/test_extension_object.py in prismalchemy's terms: db.getOr404, with and without loader options.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { joinedload, NotFoundError, type Db } from 'prismalchemy'
import { DIALECTS } from '../helpers/dialects.js'
import { peerApp, type PeerApp } from './flask-sqlalchemy-app.js'

/** A todo that belongs to a user (test_get_or_404_kwargs' models). */
const USER_TODO_SCHEMA = `datasource db {
  provider = "sqlite"
}

model User {
  id    Int    @id @default(autoincrement())
  todos Todo[]
  @@map("user")
}

model Todo {
  id     Int  @id @default(autoincrement())
  userId Int  @map("user_id")
  /// @lazy(select)
  user   User @relation(fields: [userId], references: [id])
  @@map("todo")
}
`

describe.each(DIALECTS)('on %s', (dialect) => {
  describe('db.getOr404', () => {
    let app: PeerApp
    let db: Db
    let Todo: PeerApp['classes'][string]

    beforeAll(async () => {
      app = await peerApp('flask-extension-object', dialect)
      db = app.db
      Todo = app.classes.Todo
    })

    afterAll(async () => {
      await app?.dispose()
    })

    afterEach(() => app.reset('todo'))

    // tests/test_extension_object.py::test_get_or_404
    it('answers the object by key, the same one the session holds, and NotFoundError for a missing key', async () => {
      await db.scope(async () => {
        const item = new Todo()
        db.session.add(item)
        await db.session.commit()
        expect(await db.getOr404(Todo, 1)).toBe(item)
        await expect(db.getOr404(Todo, 2)).rejects.toBeInstanceOf(NotFoundError)
      })
    })
  })

  describe('db.getOr404 with loader options', () => {
    let app: PeerApp

    beforeAll(async () => {
      app = await peerApp('flask-extension-object-options', dialect, USER_TODO_SCHEMA, { recordQueries: true })
    })

    afterAll(async () => {
      await app?.dispose()
    })

    // tests/test_extension_object.py::test_get_or_404_kwargs
    it('loads the relationships named by its options in the same statement', async () => {
      const { db } = app
      const { User, Todo } = app.classes
      await db.scope(() => db.session.add(new Todo({ user: new User() })), { commit: true })
      await db.scope(async () => {
        const item = await db.getOr404(Todo, 1, { options: [joinedload('user')] })
        expect((await item.user).id).toBe(1)
        // One statement with the join; reading the relationship runs none.
        expect(db.getRecordedQueries()).toHaveLength(1)
      })
    })
  })
})
