// SQLAlchemy's test/orm/test_scoping.py, ported: db.session (scoped_session) proxies the scope's Session.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createDb, InvalidRequestError, type Db } from 'prismalchemy'
import { DIALECTS } from '../helpers/dialects.js'
import { peerModels, type PeerModels } from './fixtures.js'

type Obj = any

/** The public members of `Session` as declared in its source: not private or protected, not marked `@internal`. */
function publicSessionMembers(): string[] {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../runtime/orm/session.ts')
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true)
  const names = new Set<string>()
  source.forEachChild((node) => {
    if (!ts.isClassDeclaration(node) || node.name?.text !== 'Session') return
    for (const member of node.members) {
      if (ts.isConstructorDeclaration(member) || member.name === undefined || !ts.isIdentifier(member.name)) continue
      const modifiers = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : []
      if (modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword || m.kind === ts.SyntaxKind.StaticKeyword)) continue
      if (ts.getJSDocTags(member).some((tag) => tag.tagName.text === 'internal')) continue
      names.add(member.name.text)
    }
  })
  return [...names].sort()
}

describe.each(DIALECTS)('on %s', (dialect) => {
  let models: PeerModels
  let User: any
  let Address: any
  let db: Db<any>

  beforeAll(async () => {
    models = await peerModels('sa-scoping', dialect)
    ;({ User, Address } = models.classes)
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  beforeEach(async () => {
    await models.clear()
    db = createDb(models.registry, { url: models.database.url })
  })

  afterEach(async () => {
    await db.dispose()
  })

  describe('ScopedSessionTest', () => {
    // test_scoping.py::ScopedSessionTest::test_basic
    it('adds, commits, refreshes and removes through db.session, then queries through it and Model.query', async () => {
      let sso!: Obj
      await db.scope(async () => {
        const s = new User({ id: 1, name: 'hello' })
        sso = new Address({ emailAddress: 'x', user: s })
        db.session.add(s)
        db.session.add(sso)
        await db.session.commit()
        await db.session.refresh(sso)
        await db.session.remove()

        const viaSession: Obj = await db.session.query(User).one()
        expect({ id: viaSession.id, name: viaSession.name, addresses: (await viaSession.addresses).map((a: Obj) => a.userId) }).toEqual({
          id: 1,
          name: 'hello',
          addresses: [1],
        })
        const viaModel = await User.query.one()
        expect(viaModel).toBe(viaSession)
        const other = await Address.query.filterBy({ userId: sso.userId }).one()
        expect(other.userId).toBe(1)
        expect(other).not.toBe(sso)
      })
    })

    // test_scoping.py::ScopedSessionTest::test_config_errors
    it('refuses configure() once the scope has its session', async () => {
      await db.scope(async () => {
        void db.session.current
        expect(() => db.session.configure({ autoflush: false })).toThrow(InvalidRequestError)
      })
    })

    // test_scoping.py::ScopedSessionTest::test_call_with_kwargs
    // SQLAlchemy passes options to the registry call per scope; ours configure the factory before a scope's first use.
    it('creates each scope\'s session with the options in force when it is first used', async () => {
      const factoryMade = db.Session()
      expect(factoryMade.autoflushEnabled).toBe(true)
      await factoryMade.close()
      await db.scope(async () => {
        expect(db.session.current.autoflushEnabled).toBe(true)
        expect(() => db.session.configure({ autoflush: false })).toThrow(InvalidRequestError)
      })
      await db.scope(async () => {
        db.session.configure({ autoflush: false })
        expect(db.session.current.autoflushEnabled).toBe(false)
      })
    })

    // test_scoping.py::ScopedSessionTest::test_methods_etc
    it('hands add, delete and get straight to the scope\'s session, and exposes its bind', async () => {
      await db.scope(async () => {
        const session = db.session.current
        const add = vi.spyOn(session, 'add').mockImplementation(() => undefined)
        const del = vi.spyOn(session, 'delete').mockImplementation(() => undefined)
        const get = vi.spyOn(session, 'get').mockResolvedValue(null)
        const a = new User({ name: 'add' })
        const d = new User({ name: 'delete' })
        db.session.add(a)
        db.session.delete(d)
        await db.session.get(User, 5)
        expect(add.mock.calls).toEqual([[a]])
        expect(del.mock.calls).toEqual([[d]])
        expect(get.mock.calls).toEqual([[User, 5]])
        expect((db.session as Obj).bind).toBe(session.bind)
      })
    })

    // test_scoping.py::ScopedSessionTest::test_attributes
    // SQLAlchemy's list of members a scoped session need not proxy, in our names: inTransaction, inNestedTransaction.
    it('exposes every public Session member on db.session', async () => {
      const ignored = new Set(['inTransaction', 'inNestedTransaction'])
      const members = publicSessionMembers()
      expect(members.length).toBeGreaterThan(10)
      const missing = members.filter((name) => !ignored.has(name) && !(name in db.session))
      expect(missing).toEqual([])
    })
  })
})
