// Prisma-style where objects compiled to SQL for the User model.
import { describe, expect, it } from 'vitest'
import { sqliteDialect } from '../../runtime/databases/sqlite/sqlite-dialect.js'
import { mapperOf } from '../../runtime/orm/model.js'
import { compileWhere } from '../../runtime/query/where.js'
import { User } from '../../generated/models.js'

function where(input: Record<string, unknown>) {
  const mapper = mapperOf(User)
  const { sql, parameters } = sqliteDialect
    .createCompiler()
    .compile({ kind: 'select', from: mapper.tableNode, selection: { kind: 'one' }, where: compileWhere(mapper, input) })
  return { sql: sql.replace('SELECT 1 FROM "users" WHERE ', ''), parameters }
}

describe('where objects', () => {
  it('maps field names to column names and values through the column type', () => {
    expect(where({ createdAt: { gte: new Date('2024-01-01T00:00:00Z') }, active: true })).toEqual({
      sql: '"created_at" >= ? AND "active" = ?',
      parameters: ['2024-01-01T00:00:00.000+00:00', 1],
    })
  })

  it('treats null as IS NULL and not: null as IS NOT NULL', () => {
    expect(where({ email: null, roleId: { not: null } }).sql).toBe('"email" IS NULL AND "roleId" IS NOT NULL')
  })

  it('escapes LIKE wildcards in contains/startsWith/endsWith', () => {
    expect(where({ username: { contains: '50%_off' } })).toEqual({ sql: `"username" LIKE ? ESCAPE '\\'`, parameters: ['%50\\%\\_off%'] })
    expect(where({ username: { startsWith: 'a', endsWith: 'z' } }).parameters).toEqual(['a%', '%z'])
  })

  it('combines AND, OR and NOT', () => {
    expect(where({ OR: [{ username: 'a' }, { AND: [{ score: { gt: 1 } }, { score: { lt: 2 } }] }], NOT: [{ plan: { in: ['PRO'] } }] }).sql).toBe(
      '("username" = ? OR ("score" > ? AND "score" < ?)) AND NOT ("plan" IN (?))',
    )
  })

  it('treats JSON objects and Dates as values, not filters', () => {
    expect(where({ settings: { theme: 'dark' } })).toEqual({ sql: '"settings" = ?', parameters: ['{"theme":"dark"}'] })
  })

  it('rejects unknown fields with a named error', () => {
    expect(() => where({ nope: 1 })).toThrow(expect.objectContaining({ code: 'unmapped' }))
  })
})
