// Compile-only SQL tests for the SQLite dialect: every value bound, every identifier quoted.
import { describe, expect, it } from 'vitest'
import { sqliteDialect } from '../../runtime/databases/sqlite/sqlite-dialect.js'
import { sql, type StatementNode } from '../../runtime/sql/nodes.js'

function compile(node: StatementNode) {
  const { sql: text, parameters } = sqliteDialect.createCompiler().compile(node)
  return { text, parameters }
}

const users = sql.table('users')
const id = sql.column('id')
const name = sql.column('name')

describe('the SQLite compiler', () => {
  it('quotes identifiers and doubles embedded quotes', () => {
    expect(compile({ kind: 'select', from: sql.table('we"ird'), selection: { kind: 'columns', columns: [sql.column('a"b')] } }).text).toBe(
      'SELECT "a""b" FROM "we""ird"',
    )
  })

  it('binds values, including LIKE patterns, as parameters', () => {
    const { text, parameters } = compile({
      kind: 'select',
      from: users,
      selection: { kind: 'columns', columns: [id] },
      where: sql.and([sql.binary(id, '>', sql.value(3, 'Int')), sql.like(name, sql.value('%a\\%%', 'String'))]),
      orderBy: [sql.orderBy(name, 'desc')],
      limit: 10,
    })
    expect(text).toBe(`SELECT "id" FROM "users" WHERE "id" > ? AND "name" LIKE ? ESCAPE '\\' ORDER BY "name" DESC LIMIT ?`)
    expect(parameters).toEqual([3, '%a\\%%', 10])
  })

  it('puts a LIMIT before an OFFSET, as SQLite requires', () => {
    expect(compile({ kind: 'select', from: users, selection: { kind: 'count' }, offset: 5 })).toEqual({
      text: 'SELECT count(*) FROM "users" LIMIT ? OFFSET ?',
      parameters: [-1, 5],
    })
  })

  it('compiles empty IN lists and empty AND/OR to constants', () => {
    const where = sql.and([sql.in(id, []), sql.in(id, [], true), sql.or([])])
    expect(compile({ kind: 'delete', from: users, where }).text).toBe('DELETE FROM "users" WHERE 1 = 0 AND 1 = 1 AND (1 = 0)')
  })

  it('parenthesises nested logic and negation', () => {
    const where = sql.or([sql.and([sql.isNull(name), sql.binary(id, '=', sql.value(1, 'Int'))]), sql.not(sql.isNull(name, true))])
    expect(compile({ kind: 'delete', from: users, where }).text).toBe(
      'DELETE FROM "users" WHERE ("name" IS NULL AND "id" = ?) OR NOT ("name" IS NOT NULL)',
    )
  })

  it('compiles multi-row INSERT ... RETURNING and UPDATE', () => {
    const insert = compile({
      kind: 'insert',
      into: users,
      columns: [name],
      rows: [[sql.value('a', 'String')], [sql.value('b', 'String')]],
      returning: [id],
    })
    expect(insert).toEqual({ text: 'INSERT INTO "users" ("name") VALUES (?), (?) RETURNING "id"', parameters: ['a', 'b'] })
    const update = compile({ kind: 'update', table: users, set: [[name, sql.value(null, 'String')]], where: sql.binary(id, '=', sql.value(1, 'Int')) })
    expect(update).toEqual({ text: 'UPDATE "users" SET "name" = ? WHERE "id" = ?', parameters: [null, 1] })
  })

  it('encodes values as Prisma stores them on SQLite', () => {
    const values = [
      sql.value(true, 'Boolean'),
      sql.value(new Date('2024-01-02T03:04:05.678Z'), 'DateTime'),
      sql.value(5, 'BigInt'),
      sql.value({ a: [1] }, 'Json'),
      sql.value('1.25', 'Decimal'),
      sql.value(new Uint8Array([1, 2]), 'Bytes'),
    ]
    const { parameters } = compile({ kind: 'insert', into: users, columns: values.map((_, i) => sql.column(`c${i}`)), rows: [values] })
    expect(parameters).toEqual([1, '2024-01-02T03:04:05.678+00:00', 5n, '{"a":[1]}', 1.25, Buffer.from([1, 2])])
  })
})
