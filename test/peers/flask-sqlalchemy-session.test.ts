// Flask-SQLAlchemy's tests/test_session.py in prismalchemy's terms: db.session per db.scope(), and a session's statements going to each model's bind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NoScopeError, Session, sql, type Db } from 'prismalchemy'
import { DIALECTS } from '../helpers/dialects.js'
import { boundApp, peerApp, type BoundApp, type PeerApp } from './flask-sqlalchemy-app.js'

/** `User` in the default database; the others in bind `a` (the models of test_session_uses_bind_key, test_get_bind_inheritance, test_session_multiple_dbs). */
const BOUND_SCHEMA = `datasource db {
  provider = "sqlite"
}

model User {
  id   Int     @id @default(autoincrement())
  name String?
  @@map("user")
}

/// @bind(a)
model Post {
  id Int @id @default(autoincrement())
  @@map("post")
}

/// @bind(a)
model Admin {
  id  Int    @id @default(autoincrement())
  org String
  @@map("admin")
}

/// @bind(a)
model Product {
  id   Int     @id @default(autoincrement())
  name String?
  @@map("product")
}
`

describe.each(DIALECTS)('on %s', (dialect) => {
  describe('db.session', () => {
    let app: PeerApp
    let db: Db

    beforeAll(async () => {
      app = await peerApp('flask-session', dialect)
      db = app.db
    })

    afterAll(async () => {
      await app?.dispose()
    })

    // tests/test_session.py::test_scope
    it('raises outside a scope, is one Session within a scope, and another in the next scope', async () => {
      expect(() => db.session.current).toThrow(NoScopeError)
      const first = await db.scope(() => {
        const one = db.session.current
        const two = db.session.current
        expect(one).toBe(two)
        expect(one).toBeInstanceOf(Session)
        return one
      })
      const third = await db.scope(() => db.session.current)
      expect(third).not.toBe(first)
    })
  })

  describe('with a bind', () => {
    let app: BoundApp
    let db: Db

    beforeAll(async () => {
      app = await boundApp('flask-session-binds', dialect, BOUND_SCHEMA, ['a'])
      db = app.db
    })

    afterAll(async () => {
      await app?.dispose()
    })

    // tests/test_session.py::test_session_uses_bind_key
    it("answers each model's bind engine from getBind", async () => {
      const { User, Post } = app.classes
      await db.scope(() => {
        expect(db.session.getBind(User)).toBe(db.engine)
        expect(db.session.getBind(Post)).toBe(db.engines.get('a'))
      })
    })

    // tests/test_session.py::test_get_bind_inheritance (Prisma has no model inheritance; what carries over is reloading an expired object from its bind)
    it('reloads an expired object of a bound model from its bind', async () => {
      const { Admin } = app.classes
      await db.scope(async () => {
        db.session.add(new Admin({ org: 'pallets' }))
        await db.session.commit()
        const admin = await db.session.query(Admin).one()
        db.session.expire(admin)
        await db.session.refresh(admin)
        expect(admin.org).toBe('pallets')
      })
    })

    // tests/test_session.py::test_session_multiple_dbs
    it('runs raw INSERTs on the default database and on a bind, and reads each back', async () => {
      const { User, Product } = app.classes
      await db.scope(async () => {
        // MySQL quotes identifiers with backticks (a double-quoted name is a string there).
        await db.session.execute(
          dialect === 'mysql' ? sql`INSERT INTO \`user\` (\`name\`) VALUES (${'User1'}), (${'User2'})` : sql`INSERT INTO "user" ("name") VALUES (${'User1'}), (${'User2'})`,
        )
        await db.session.commit()
        expect(await db.session.query(User).all()).toHaveLength(2)

        await db.session.execute(
          dialect === 'mysql' ? sql`INSERT INTO \`product\` (\`name\`) VALUES (${'Product1'}), (${'Product2'})` : sql`INSERT INTO "product" ("name") VALUES (${'Product1'}), (${'Product2'})`,
          { bind: Product },
        )
        await db.session.commit()
        expect(await db.session.query(Product).all()).toHaveLength(2)
      })
    })
  })
})
