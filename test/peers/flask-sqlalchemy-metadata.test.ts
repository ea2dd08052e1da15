// Flask-SQLAlchemy's tests/test_metadata.py in prismalchemy's terms: db.createAll() and db.dropAll() per bind (the MetaData objects themselves have no equivalent: tables come from the Prisma schema).
import { afterEach, describe, expect, it } from 'vitest'
import { DatabaseError } from 'prismalchemy'
import { DIALECTS } from '../helpers/dialects.js'
import { boundApp, type BoundApp } from './flask-sqlalchemy-app.js'

/** `User` in the default database, `Post` in bind `a`. */
const SCHEMA = `datasource db {
  provider = "sqlite"
}

model User {
  id Int @id @default(autoincrement())
  @@map("user")
}

/// @bind(a)
model Post {
  id Int @id @default(autoincrement())
  @@map("post")
}
`

describe.each(DIALECTS)('on %s', (dialect) => {
  let app: BoundApp | undefined

  afterEach(async () => {
    await app?.dispose()
    app = undefined
  })

  // tests/test_metadata.py::test_create_drop_all
  it('creates every bind\'s tables with createAll and drops them with dropAll', async () => {
    app = await boundApp('flask-metadata-create-drop', dialect, SCHEMA, ['a'], { createAll: false })
    const { db } = app
    const { User, Post } = app.classes
    const selectBoth = () =>
      Promise.all([db.scope(() => db.session.query(User).all()), db.scope(() => db.session.query(Post).all())].map((query) => query.then(() => 'ok', (error: unknown) => error)))

    for (const outcome of await selectBoth()) expect(outcome).toBeInstanceOf(DatabaseError)
    await db.createAll()
    expect(await selectBoth()).toEqual(['ok', 'ok'])
    await db.dropAll()
    for (const outcome of await selectBoth()) expect(outcome).toBeInstanceOf(DatabaseError)
  })

  // tests/test_metadata.py::test_create_key_spec
  it.each([
    ['a key', 'a'],
    ['a list of keys', ['a']],
  ])('creates only the tables of the binds selected by %s', async (_, bind) => {
    app = await boundApp('flask-metadata-key-spec', dialect, SCHEMA, ['a'], { createAll: false })
    const { db } = app
    const { User, Post } = app.classes
    await db.createAll({ bind })
    expect(await db.scope(() => db.session.query(Post).all())).toEqual([])
    await expect(db.scope(() => db.session.query(User).all())).rejects.toBeInstanceOf(DatabaseError)
  })
})
