// Flask-SQLAlchemy's tests/test_model.py in prismalchemy's terms: columns filled in at insert (the rest of the file is about Python's declarative base classes, see the peers README).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../helpers/dialects.js'
import { peerApp, type PeerApp } from './flask-sqlalchemy-app.js'

/** Flask's abstract `TimestampModel` (or mixin) as the columns themselves: Prisma has neither abstract models nor mixins. */
const SCHEMA = `datasource db {
  provider = "sqlite"
}

model Post {
  id      Int      @id @default(autoincrement())
  title   String
  created DateTime @default(now())
  updated DateTime @default(now()) @updatedAt
  @@map("post")
}
`

describe.each(DIALECTS)('on %s', (dialect) => {
  let app: PeerApp

  beforeAll(async () => {
    app = await peerApp('flask-model', dialect, SCHEMA)
  })

  afterAll(async () => {
    await app?.dispose()
  })

  // tests/test_model.py::test_abstractmodel (test_mixinmodel declares the same columns through a mixin: the same schema here)
  it('fills in the created and updated timestamps when a row is inserted', async () => {
    const { db } = app
    const { Post } = app.classes
    await db.scope(async () => {
      db.session.add(new Post({ title: 'Admin Post' }))
      await db.session.commit()
    })
    const post = await db.scope(() => db.session.query(Post).first())
    expect(post).not.toBeNull()
    expect(post!.created).toBeInstanceOf(Date)
    expect(post!.updated).toBeInstanceOf(Date)
  })
})
