// Client-side defaults without a database: the flush's time as each DateTime column stores it, generated ids,
// schema constants read as values of the column's type, and what an INSERT sends for an unset column.
import { describe, expect, it } from 'vitest'
import { clientDefault, storedTime, unsetColumnValue } from '../../runtime/orm/unit-of-work/client-defaults.js'
import { ColumnInfo } from '../../runtime/orm/mapper.js'
import type { ColumnDefinition } from '../../runtime/orm/metadata.js'

function column(definition: Partial<ColumnDefinition>): ColumnInfo {
  return new ColumnInfo({ name: 'c', column: 'c', type: 'String', nullable: false, ...definition }, 0)
}

const NOW = new Date('2026-03-04T05:06:07.891Z')

describe('storedTime', () => {
  it('keeps the milliseconds of a plain DateTime column, in a fresh Date', () => {
    const time = storedTime(column({ type: 'DateTime' }), NOW)
    expect(time).toEqual(NOW)
    expect(time).not.toBe(NOW)
  })

  it('rounds half up to the fractional-second digits the column keeps', () => {
    expect(storedTime(column({ type: 'DateTime', precision: 0 }), NOW).toISOString()).toBe('2026-03-04T05:06:08.000Z')
    expect(storedTime(column({ type: 'DateTime', precision: 2 }), NOW).toISOString()).toBe('2026-03-04T05:06:07.890Z')
  })

  it('keeps only the day for @db.Date and only the time of day for @db.Time', () => {
    expect(storedTime(column({ type: 'DateTime', nativeType: 'Date' }), NOW).toISOString()).toBe('2026-03-04T00:00:00.000Z')
    expect(storedTime(column({ type: 'DateTime', nativeType: 'Time' }), NOW).toISOString()).toBe('1970-01-01T05:06:07.891Z')
  })
})

describe('clientDefault', () => {
  it('generates ids of each kind Prisma Client generates', () => {
    expect(clientDefault(column({ default: { kind: 'uuid', version: 4 } }), NOW)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(clientDefault(column({ default: { kind: 'uuid', version: 7 } }), NOW)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(clientDefault(column({ default: { kind: 'cuid', version: 1 } }), NOW)).toMatch(/^c[0-9a-z]{24}$/)
    expect(clientDefault(column({ default: { kind: 'cuid', version: 2 } }), NOW)).toMatch(/^[a-z][0-9a-z]{23}$/)
    expect(clientDefault(column({ default: { kind: 'nanoid', size: 10 } }), NOW)).toHaveLength(10)
    expect(clientDefault(column({ default: { kind: 'ulid' } }), NOW)).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)
  })

  it('reads a schema constant as a fresh value of the column type', () => {
    const json = column({ type: 'Json', default: { kind: 'value', value: '{"a":[1]}' } })
    expect(clientDefault(json, NOW)).toEqual({ a: [1] })
    expect(clientDefault(json, NOW)).not.toBe(clientDefault(json, NOW))
    expect(clientDefault(column({ type: 'BigInt', default: { kind: 'value', value: '9007199254740993' } }), NOW)).toBe(9007199254740993n)
    expect(clientDefault(column({ type: 'DateTime', default: { kind: 'value', value: '2020-01-01T00:00:00.000Z' } }), NOW)).toEqual(new Date('2020-01-01T00:00:00.000Z'))
    expect(clientDefault(column({ type: 'DateTime', default: { kind: 'now' } }), NOW)).toEqual(NOW)
  })

  it('gives nothing for the database’s own defaults, and the empty list for a list without one', () => {
    expect(clientDefault(column({ type: 'Int', default: { kind: 'autoincrement' } }), NOW)).toBeUndefined()
    expect(clientDefault(column({ default: { kind: 'dbgenerated' } }), NOW)).toBeUndefined()
    expect(clientDefault(column({}), NOW)).toBeUndefined()
    expect(clientDefault(column({ list: true }), NOW)).toEqual([])
  })
})

describe('unsetColumnValue', () => {
  it('sends the flush time for @updatedAt, even over a default', () => {
    expect(unsetColumnValue(column({ type: 'DateTime', updatedAt: true, default: { kind: 'value', value: '2020-01-01T00:00:00.000Z' } }), NOW)).toEqual(NOW)
  })

  it('sends NULL for a nullable column without a default, and leaves out required and database-generated ones', () => {
    expect(unsetColumnValue(column({ nullable: true }), NOW)).toBeNull()
    expect(unsetColumnValue(column({}), NOW)).toBeUndefined()
    expect(unsetColumnValue(column({ nullable: true, default: { kind: 'dbgenerated' } }), NOW)).toBeUndefined()
    expect(unsetColumnValue(column({ nullable: true, default: { kind: 'value', value: 'x' } }), NOW)).toBe('x')
  })
})
