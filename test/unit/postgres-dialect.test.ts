// Compile-only tests for the PostgreSQL dialect: `$n` placeholders, values encoded as adapter-pg binds them, rows decoded from what it returns.
import { Decimal } from 'decimal.js'
import { describe, expect, it } from 'vitest'
import { postgresDialect } from '../../runtime/databases/postgres/postgres-dialect.js'
import { sql, type StatementNode } from '../../runtime/sql/nodes.js'

function compile(node: StatementNode) {
  const { sql: text, parameters } = postgresDialect.createCompiler().compile(node)
  return { text, parameters }
}

const users = sql.table('users')
const id = sql.column('id')
const name = sql.column('name')

describe('the PostgreSQL compiler', () => {
  it('numbers placeholders in order, across WHERE, LIMIT and OFFSET', () => {
    const { text, parameters } = compile({
      kind: 'select',
      from: users,
      selection: { kind: 'columns', columns: [id] },
      where: sql.and([sql.binary(id, '>', sql.value(3, 'Int')), sql.in(name, [sql.value('a', 'String'), sql.value('b', 'String')])]),
      orderBy: [sql.orderBy(name, 'asc')],
      limit: 10,
      offset: 20,
    })
    expect(text).toBe('SELECT "id" FROM "users" WHERE "id" > $1 AND "name" IN ($2, $3) ORDER BY "name" ASC LIMIT $4 OFFSET $5')
    expect(parameters).toEqual([3, 'a', 'b', 10, 20])
  })

  it('sends OFFSET alone (no LIMIT -1, which PostgreSQL rejects)', () => {
    expect(compile({ kind: 'select', from: users, selection: { kind: 'columns', columns: [id] }, offset: 5 }).text).toBe('SELECT "id" FROM "users" OFFSET $1')
  })

  it('drops ORDER BY from a count, which PostgreSQL refuses for ungrouped columns', () => {
    expect(compile({ kind: 'select', from: users, selection: { kind: 'count' }, orderBy: [sql.orderBy(name, 'asc')] }).text).toBe('SELECT count(*) FROM "users"')
  })

  it('encodes JSON as text (pg would turn an array into a PostgreSQL array literal) and Decimal exactly', () => {
    const { parameters } = compile({
      kind: 'insert',
      into: users,
      columns: [sql.column('settings'), sql.column('balance'), sql.column('quota')],
      rows: [[sql.value([1, { a: 'x' }], 'Json'), sql.value(new Decimal('12345678901234567890.123456789'), 'Decimal'), sql.value(9007199254740993n, 'BigInt')]],
    })
    expect(parameters).toEqual(['[1,{"a":"x"}]', '12345678901234567890.123456789', 9007199254740993n])
  })
})

describe('PostgreSQL decoders', () => {
  it('read int8 and numeric from the strings adapter-pg returns, exactly', () => {
    expect(postgresDialect.decoder('BigInt')('9007199254740993')).toBe(9007199254740993n)
    expect((postgresDialect.decoder('Decimal')('0.100000000') as Decimal).equals(new Decimal('0.1'))).toBe(true)
    expect(postgresDialect.decoder('Int')('42')).toBe(42)
  })

  it('read timestamps, JSON text and bytea', () => {
    expect(postgresDialect.decoder('DateTime')('2024-01-02T03:04:05.678+00:00')).toEqual(new Date('2024-01-02T03:04:05.678Z'))
    expect(postgresDialect.decoder('Json')('{"a": [1, "x"]}')).toEqual({ a: [1, 'x'] })
    expect(postgresDialect.decoder('Bytes')(Buffer.from([1, 2]))).toEqual(new Uint8Array([1, 2]))
    expect(postgresDialect.decoder('Boolean')(true)).toBe(true)
  })
})
