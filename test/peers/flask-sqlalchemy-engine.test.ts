// Flask-SQLAlchemy's tests/test_engine.py in prismalchemy's terms: db.engine and db.engines per bind, engine options from createDb()/configure() and per bind, bind URLs, and an in-memory SQLite database.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb, type BindConfig, type Db } from 'prismalchemy'
import { DIALECTS, type TestDialect } from '../helpers/dialects.js'
import { importInlineModels, type InlineRegistry } from '../helpers/inline-models.js'
import { TODO_SCHEMA } from './flask-sqlalchemy-app.js'

/** The Todo model plus one model in bind `a`, so that every db below must configure `a`. */
const SCHEMA = `${TODO_SCHEMA}
/// @bind(a)
model Note {
  id Int @id @default(autoincrement())
  @@map("note")
}
`

let models: InlineRegistry
let dir: string

beforeAll(async () => {
  models = await importInlineModels('flask-engine', SCHEMA)
  dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-flask-engine-'))
})

afterAll(() => {
  rmSync(models.dir, { recursive: true, force: true })
  rmSync(dir, { recursive: true, force: true })
})

describe.each(DIALECTS)('on %s', (dialect: TestDialect) => {
  /** A database URL of the dialect; creating an engine on it opens no connection. */
  const url = (name: string) => (dialect === 'sqlite' ? `file:${path.join(dir, `${name}.db`)}` : `postgresql://app@127.0.0.1:5432/${name}`)
  const made: Db[] = []
  const make = (options: Parameters<typeof createDb>[1]) => {
    const db = createDb(models.registry, options)
    made.push(db)
    return db
  }

  afterAll(async () => {
    for (const db of made) await db.dispose()
  })

  // tests/test_engine.py::test_default_engine (there is no app context to leave: our engines are usable everywhere)
  it('db.engine is the default entry of db.engines', () => {
    const db = make({ url: url('default'), binds: { a: url('a') } })
    expect(db.engine).toBe(db.engines.get(null))
  })

  // tests/test_engine.py::test_engine_per_bind
  it('gives a bind its own engine', () => {
    const db = make({ url: url('default'), binds: { a: url('a') } })
    expect(db.engines.get('a')).not.toBe(db.engine)
  })

  // tests/test_engine.py::test_config_engine_options
  it('applies engine options given to createDb', () => {
    const db = make({ url: url('default'), binds: { a: url('a') }, echo: true, logger: () => undefined })
    expect(db.engine.echo).toBe(true)
  })

  // tests/test_engine.py::test_init_engine_options (the db's options are every engine's defaults; a bind's own options override them)
  it("gives binds the db's engine options, and lets a bind's own options override them", () => {
    const inherits = make({ url: url('default'), echo: true, logger: () => undefined, binds: { a: url('a') } })
    expect(inherits.engines.get('a')!.echo).toBe(true)
    const overrides = make({ url: url('default'), echo: true, logger: () => undefined, binds: { a: { url: url('a'), echo: false } } })
    expect(overrides.engines.get('a')!.echo).toBe(false)
    expect(overrides.engine.echo).toBe(true)
  })

  // tests/test_engine.py::test_config_echo
  it('turns echo on from configure()', () => {
    const db = make({ url: url('default'), binds: { a: url('a') } })
    db.configure({ echo: true, logger: () => undefined })
    expect(db.engine.echo).toBe(true)
  })

  // tests/test_engine.py::test_url_type (a URL string or { url }; SQLAlchemy's URL objects have no equivalent)
  it.each<[string, (u: string) => BindConfig]>([
    ['a URL', (u) => u],
    ['{ url }', (u) => ({ url: u })],
  ])('takes a bind given as %s', (_, bind) => {
    const db = make({ url: url('default'), binds: { a: bind(url('a')) } })
    expect(db.engines.get('a')!.url).toBe(url('a'))
  })
})

describe('an in-memory SQLite database', () => {
  // tests/test_engine.py::test_sqlite_memory_defaults (Flask gives sqlite:// one shared connection, so every session sees one database)
  // Skipped: not built yet: an in-memory SQLite URL (README: Not yet).
  it.skip('is one database for every session of the db', async () => {
    if (!DIALECTS.includes('sqlite')) return
    const db = createDb(models.registry, { url: 'file::memory:', binds: { a: 'file::memory:' } })
    try {
      await db.createAll({ bind: null })
      const { Todo } = models.classes
      await db.scope(() => db.session.add(new Todo({ title: 'kept' })), { commit: true })
      expect(await db.scope(() => db.session.query(Todo).count())).toBe(1)
      // Two scopes at once still share the one database.
      const counts = await Promise.all([db.scope(() => db.session.query(Todo).count()), db.scope(() => db.session.query(Todo).count())])
      expect(counts).toEqual([1, 1])
    } finally {
      await db.dispose()
    }
  })
})
