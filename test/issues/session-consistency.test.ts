// Regressions from the review of the session: changes during a flush, commit racing close, rollback bookkeeping, late scope use, pool waiters.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createDb, createEngine, IllegalStateChangeError, inspect, InvalidRequestError, NoScopeError, Session } from 'prismalchemy'
import { Role, User, registry } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS } from '../helpers/dialects.js'

describe.each(DIALECTS)('on %s', (dialect) => {
  let db: TestDatabase

  beforeEach(async () => {
    db = await createTestDatabase({ busyTimeout: 1 }, dialect)
  })

  afterEach(async () => {
    await db.dispose()
  })

  async function seeded(session: Session, ...names: string[]): Promise<User[]> {
    const users = names.map((username) => new User({ username }))
    session.addAll(users)
    await session.commit()
    for (const user of users) await session.get(User, user.id)
    return users
  }

  it('keeps a change made while a flush runs, and writes it at the next flush', async () => {
    const s = db.session()
    const [ann, bob] = await seeded(s, 'ann', 'bob')
    ann.email = 'a@x'
    const flushing = s.flush()
    bob.email = 'b@x'
    await flushing
    expect(s.dirty).toEqual([bob])
    await s.commit()
    expect(await db.readRows('SELECT "email" FROM "users" ORDER BY "id"')).toEqual([{ email: 'a@x' }, { email: 'b@x' }])
    await s.close()
  })

  it('keeps a delete() made while a flush runs, and writes it at the next flush', async () => {
    const s = db.session()
    const [ann, bob] = await seeded(s, 'ann', 'bob')
    ann.email = 'a@x'
    const flushing = s.flush()
    s.delete(bob)
    await flushing
    expect(inspect(bob).persistent).toBe(true)
    await s.commit()
    expect(await db.readRows('SELECT "username" FROM "users"')).toEqual([{ username: 'ann' }])
    await s.close()
  })

  it('keeps an assigned relationship when an unrelated column is expired', async () => {
    const s = db.session()
    const admin = new Role({ name: 'admin' })
    const [ann] = await seeded(s, 'ann')
    s.add(admin)
    ann.role = admin
    s.expire(ann, ['email'])
    await s.commit()
    expect(await db.readRows('SELECT "roleId" FROM "users"')).toEqual([{ roleId: admin.id }])
    await s.close()
  })

  it('lets a foreign key set after a relationship assignment win', async () => {
    const s = db.session()
    const [r1, r2] = [new Role({ name: 'r1' }), new Role({ name: 'r2' })]
    s.addAll([r1, r2])
    const [ann] = await seeded(s, 'ann')
    ann.role = r1
    ann.roleId = r2.id
    await s.commit()
    expect(await db.readRows('SELECT "roleId" FROM "users"')).toEqual([{ roleId: r2.id }])
    await s.close()
  })

  it('makes commit() fail when a concurrent close() rolled the transaction back', async () => {
    const s = db.session()
    s.add(new Role({ name: 'admin' }))
    await s.flush()
    const committing = s.commit().then(
      () => 'committed',
      (error: unknown) => error,
    )
    await s.close()
    expect(await committing).toBeInstanceOf(IllegalStateChangeError)
    expect(await db.readRows('SELECT "name" FROM "Role"')).toEqual([])
  })

  it('does not put an expunged or transient object back into the identity map on rollback', async () => {
    const s = db.session()
    const [ann] = await seeded(s, 'ann')
    s.delete(ann)
    await s.flush()
    s.expunge(ann)
    await s.rollback()
    const again = await s.get(User, ann.id)
    expect(again).not.toBe(ann)
    expect(inspect(again!).persistent).toBe(true)

    const fresh = new User({ username: 'fresh' })
    s.add(fresh)
    await s.flush()
    s.delete(fresh)
    await s.flush()
    await s.rollback()
    expect(inspect(fresh).transient).toBe(true)
    expect([...s.identityMap.states()].every((state) => state.key !== undefined)).toBe(true)
    await s.close()
  })

  it('files an object under its old key again when a flushed primary-key change is rolled back', async () => {
    const s = db.session()
    const role = new Role({ name: 'admin' })
    s.add(role)
    await s.commit()
    await s.get(Role, role.id)
    const oldId = role.id
    role.id = 99
    await s.flush()
    await s.rollback()
    expect(role.id).toBe(oldId)
    expect(await s.get(Role, oldId)).toBe(role)
    expect(await s.get(Role, 99)).toBeNull()
    await s.close()
  })

  it('refuses to add back an object whose deletion was committed', async () => {
    const s = db.session()
    const [ann] = await seeded(s, 'ann')
    s.delete(ann)
    await s.commit()
    expect(() => s.add(ann)).toThrow(InvalidRequestError)
    expect(() => s.add(ann)).toThrow(expect.objectContaining({ code: 'object_deleted' }))
    await s.close()
  })

  it('finds no related rows for a pending parent when autoflush is off', async () => {
    const s = db.session({ autoflush: false })
    await seeded(s, 'orphan')
    const role = new Role({ name: 'new' })
    s.add(role)
    expect(await role.users.all()).toEqual([])
    expect(await role.users.count()).toBe(0)
    await s.close()
  })

  it('raises NoScopeError for a query built in a scope and run after it ended, leaking no connection', async () => {
    const app = createDb(registry, { url: db.url })
    let late!: ReturnType<typeof User.query.filterBy>
    await app.scope(async () => {
      late = User.query.filterBy({ username: 'x' })
    })
    await expect(late.all()).rejects.toBeInstanceOf(NoScopeError)
    expect(app.engine.poolStatus().checkedOut).toBe(0)
    await app.dispose()
  })

  it('serves a caller waiting for a connection once a connection retired by dispose() comes back', async () => {
    const engine = createEngine(db.url, { poolSize: 1, maxOverflow: 0, poolTimeout: 1 })
    const a = new Session({ bind: engine })
    const b = new Session({ bind: engine })
    await a.query(User).all()
    const waiting = b.query(User).all().then(
      () => 'served',
      (error: unknown) => error,
    )
    await vi.waitFor(() => expect(engine.poolStatus().waiting).toBe(1))
    await engine.dispose()
    await a.close()
    expect(await waiting).toBe('served')
    await b.close()
    await engine.dispose()
  })
})
