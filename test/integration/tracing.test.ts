// OpenTelemetry spans (flush, query, commit, rollback, pool checkout) recorded by the real SDK in memory on every database; without @opentelemetry/api nothing is traced and nothing breaks.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sql, UniqueViolationError } from 'prismalchemy'
import { Role } from '../../generated/models.js'
import { importIfInstalled } from '../../runtime/engine/optional-package.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, sqlOn, type TestDialect } from '../helpers/dialects.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const exporter = new InMemorySpanExporter()
const contextManager = new AsyncLocalStorageContextManager()

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable())
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))
})

afterAll(() => {
  trace.disable()
  context.disable()
})

/** The spans ended since the last reset, in the order they ended. */
function spans(): ReadableSpan[] {
  return exporter.getFinishedSpans()
}

function named(name: string): ReadableSpan[] {
  return spans().filter((span) => span.name === name)
}

function only(name: string): ReadableSpan {
  const found = named(name)
  expect(found, name).toHaveLength(1)
  return found[0]!
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId
}

/** The statements of the tests below, pinned per dialect. */
const EXPECTED_SQL = {
  // MySQL has no RETURNING: the driver reports the generated key (lastInsertId).
  insertRole: { sqlite: 'INSERT INTO "Role" ("name") VALUES (?) RETURNING "id"', postgresql: 'INSERT INTO "Role" ("name") VALUES ($1) RETURNING "id"', mysql: 'INSERT INTO `Role` (`name`) VALUES (?)' },
  updateRole: 'UPDATE "Role" SET "name" = ? WHERE "id" = ?',
  deleteRole: 'DELETE FROM "Role" WHERE "id" IN (?)',
  getRole: 'SELECT "id", "name" FROM "Role" WHERE "id" = ?',
} as const

/** `db.system.name` and the connection attributes every span about the engine carries. */
function engineAttributes(database: TestDatabase, dialect: TestDialect): Record<string, unknown> {
  if (dialect === 'sqlite') return { 'db.system.name': 'sqlite', 'db.namespace': database.url.slice('file:'.length) }
  const url = new URL(database.url)
  return { 'db.system.name': dialect, 'db.namespace': url.pathname.slice(1), 'server.address': url.hostname, 'server.port': Number(url.port) }
}

describe.each(DIALECTS)('on %s', (dialect) => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase({}, dialect)
    // The API is imported in the background when the engine is created; the first checkout waits for it.
    const warmUp = database.session()
    await warmUp.execute(sql`SELECT 1 AS one`)
    await warmUp.close()
  })

  afterAll(async () => {
    await database.dispose()
  })

  beforeEach(() => {
    exporter.reset()
  })

  it('nests commit > flush > INSERT > pool checkout, with the database attributes and the SQL that ran', async () => {
    const session = database.session()
    session.add(new Role({ name: `nest-${dialect}` }))
    const ran = await capturedSql(database.engine, () => session.commit())
    await session.close()

    const commit = only('prismalchemy.commit')
    const flush = only('prismalchemy.flush')
    const insert = only('prismalchemy.query')
    const checkout = only('prismalchemy.pool.checkout')
    expect(parentOf(commit)).toBeUndefined()
    expect(parentOf(flush)).toBe(commit.spanContext().spanId)
    expect(parentOf(insert)).toBe(flush.spanContext().spanId)
    // The first statement checks the connection out: the wait for it is part of the statement's time.
    expect(parentOf(checkout)).toBe(insert.spanContext().spanId)
    expect(new Set(spans().map((span) => span.spanContext().traceId)).size).toBe(1)

    expect(insert.kind).toBe(SpanKind.CLIENT)
    expect(insert.attributes).toEqual({
      ...engineAttributes(database, dialect),
      'db.query.text': sqlOn(dialect, EXPECTED_SQL.insertRole),
      'db.operation.name': 'INSERT',
      'db.collection.name': 'Role',
    })
    expect(ran).toContain(insert.attributes['db.query.text'])
    expect(checkout.kind).toBe(SpanKind.INTERNAL)
    expect(checkout.attributes).toEqual(engineAttributes(database, dialect))
    expect(flush.attributes).toEqual({
      'prismalchemy.flush.statements': 1,
      'prismalchemy.flush.inserts': 1,
      'prismalchemy.flush.updates': 0,
      'prismalchemy.flush.deletes': 0,
    })
    for (const span of spans()) expect(span.status.code, span.name).toBe(SpanStatusCode.UNSET)
    // No span carries the bound values or the password of the URL.
    expect(JSON.stringify(spans().map((span) => span.attributes))).not.toContain(`nest-${dialect}`)
  })

  it('counts a flush that inserts, updates and deletes, one child span per statement in the order they ran', async () => {
    const setup = database.session()
    const kept = new Role({ name: `kept-${dialect}` })
    const doomed = new Role({ name: `doomed-${dialect}` })
    setup.addAll([kept, doomed])
    await setup.commit()
    await setup.close()

    const session = database.session()
    const renamed = await session.get(Role, kept.id)
    const deleted = await session.get(Role, doomed.id)
    renamed!.name = `renamed-${dialect}`
    session.delete(deleted!)
    session.add(new Role({ name: `added-${dialect}` }))
    exporter.reset()
    await session.flush()
    await session.rollback()

    const flush = only('prismalchemy.flush')
    const statements = named('prismalchemy.query')
    expect(statements.map((span) => span.attributes['db.query.text'])).toEqual([
      sqlOn(dialect, EXPECTED_SQL.insertRole),
      sqlOn(dialect, EXPECTED_SQL.updateRole),
      sqlOn(dialect, EXPECTED_SQL.deleteRole),
    ])
    expect(statements.map((span) => span.attributes['db.operation.name'])).toEqual(['INSERT', 'UPDATE', 'DELETE'])
    for (const span of statements) expect(parentOf(span)).toBe(flush.spanContext().spanId)
    expect(flush.attributes).toEqual({
      'prismalchemy.flush.statements': 3,
      'prismalchemy.flush.inserts': 1,
      'prismalchemy.flush.updates': 1,
      'prismalchemy.flush.deletes': 1,
    })
    // The rollback of the open transaction is a root span of its own.
    expect(parentOf(only('prismalchemy.rollback'))).toBeUndefined()
  })

  it('records a failed flush: the statement and the flush end with status ERROR, the exception and error.type', async () => {
    const setup = database.session()
    setup.add(new Role({ name: `taken-${dialect}` }))
    await setup.commit()
    await setup.close()

    const session = database.session()
    session.add(new Role({ name: `taken-${dialect}` }))
    exporter.reset()
    await expect(session.flush()).rejects.toBeInstanceOf(UniqueViolationError)
    await session.rollback()

    const flush = only('prismalchemy.flush')
    const insert = only('prismalchemy.query')
    expect(parentOf(insert)).toBe(flush.spanContext().spanId)
    for (const span of [insert, flush]) {
      expect(span.status.code, span.name).toBe(SpanStatusCode.ERROR)
      expect(span.attributes['error.type'], span.name).toBe('UniqueViolationError')
      expect(span.events.map((event) => [event.name, event.attributes?.['exception.type']]), span.name).toEqual([['exception', 'unique_violation']])
    }
    // What it wrote is unknown: only the statements it ran are counted.
    expect(flush.attributes).toEqual({ 'prismalchemy.flush.statements': 1, 'error.type': 'UniqueViolationError' })
    expect(only('prismalchemy.rollback').status.code).toBe(SpanStatusCode.UNSET)
  })

  it('traces a get that misses the identity map as one SELECT, and a hit as nothing', async () => {
    const setup = database.session()
    const role = new Role({ name: `read-${dialect}` })
    setup.add(role)
    await setup.commit()
    await setup.close()

    const session = database.session()
    exporter.reset()
    const first = await session.get(Role, role.id)
    const hit = await session.get(Role, role.id)
    expect(hit).toBe(first)
    await session.close()

    const select = only('prismalchemy.query')
    expect(parentOf(select)).toBeUndefined()
    expect(select.attributes).toEqual({
      ...engineAttributes(database, dialect),
      'db.query.text': sqlOn(dialect, EXPECTED_SQL.getRole),
      'db.operation.name': 'SELECT',
      'db.collection.name': 'Role',
    })
    // Closing a session that only read rolls back its transaction.
    expect(named('prismalchemy.rollback')).toHaveLength(1)
  })

  it("gives raw SQL the text and the engine's attributes, with no operation or table it would have to guess", async () => {
    const session = database.session()
    const rows = (await session.execute<{ one: number }>(sql`SELECT ${1} AS one`)).all()
    await session.close()
    expect(rows.map((row) => Number(row.one))).toEqual([1])
    expect(only('prismalchemy.query').attributes).toEqual({
      ...engineAttributes(database, dialect),
      'db.query.text': sqlOn(dialect, 'SELECT ? AS one'),
    })
  })
})

describe('without @opentelemetry/api', () => {
  it('importIfInstalled answers undefined for a package Node cannot find, and passes other failures through', async () => {
    const notFound = Object.assign(new Error("Cannot find package '@opentelemetry/api' imported from /app/index.js"), { code: 'ERR_MODULE_NOT_FOUND' })
    await expect(importIfInstalled('@opentelemetry/api', () => Promise.reject(notFound))).resolves.toBeUndefined()
    const broken = new SyntaxError('Unexpected token')
    await expect(importIfInstalled('@opentelemetry/api', () => Promise.reject(broken))).rejects.toBe(broken)
  })

  it('runs sessions untraced when the package cannot be resolved (the built package, in a process whose resolver hides it)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-untraced-'))
    const runtime = pathToFileURL(fileURLToPath(new URL('../../dist/runtime/index.js', import.meta.url))).href
    // A resolve hook that answers for @opentelemetry/api as Node does for a package that is not installed.
    const hook = `export async function resolve(specifier, context, next) {
      if (specifier === '@opentelemetry/api' || specifier.startsWith('@opentelemetry/api/')) {
        throw Object.assign(new Error("Cannot find package '@opentelemetry/api' imported from " + context.parentURL), { code: 'ERR_MODULE_NOT_FOUND' })
      }
      return next(specifier, context)
    }`
    const script = `
      import { register } from 'node:module'
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}))
      const { createEngine, Session, sql } = await import(${JSON.stringify(runtime)})
      const missing = await import('@opentelemetry/api').then(() => 'resolved', (error) => error.code)
      const engine = createEngine('file:' + ${JSON.stringify(path.join(dir, 'app.db'))})
      const session = new Session({ bind: engine })
      await session.execute(sql\`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)\`)
      await session.execute(sql\`INSERT INTO notes (body) VALUES (\${'hello'})\`)
      await session.commit()
      const rows = (await session.execute(sql\`SELECT body FROM notes\`)).all()
      await session.close()
      await engine.dispose()
      console.log(JSON.stringify({ missing, rows }))`
    try {
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' })
      expect(run.stderr).toBe('')
      expect(JSON.parse(run.stdout)).toEqual({ missing: 'ERR_MODULE_NOT_FOUND', rows: [{ body: 'hello' }] })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
