// Values for every column of a corpus model, built from the generated metadata and Prisma's DMMF (native types, lists, enums): distinct per row, valid per type.
import { randomUUID } from 'node:crypto'
import type { DMMF } from '@prisma/generator-helper'
import { Decimal } from 'prismalchemy'
import type { ColumnDefinition } from 'prismalchemy/internal'

/** A column as the value generator sees it: our metadata plus Prisma's view of the same field. */
export interface ColumnFacts {
  readonly column: ColumnDefinition
  readonly field: DMMF.Field
  /** The enum's value names (Prisma Client's values) when the field is an enum. */
  readonly enumValues?: readonly string[]
}

/** A value in two spellings: what a session's model constructor takes, and what PrismaClient's `create` takes. */
export interface GeneratedValue {
  readonly forSession: unknown
  readonly forPrisma: unknown
}

let counter = 0

/** A number never handed out before in this process, so unique columns never collide. */
function next(): number {
  return ++counter
}

/** The native type's name and its numeric arguments, e.g. `VarChar(12)` -> ['VarChar', [12]]. */
function nativeOf(field: DMMF.Field): { name: string | undefined; args: number[] } {
  const native = field.nativeType
  return { name: native?.[0], args: (native?.[1] ?? []).map(Number) }
}

function stringValue(field: DMMF.Field, n: number): string {
  const { name, args } = nativeOf(field)
  switch (name) {
    case 'Uuid':
      return randomUUID()
    case 'Inet':
      return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
    case 'Xml':
      return `<note n="${n}">ä</note>`
    case 'Bit':
      return (n.toString(2).padStart(args[0] ?? 1, '0')).slice(-(args[0] ?? 1))
    case 'VarBit':
      return n.toString(2).slice(-(args[0] ?? 8))
    case 'Char': {
      // A char(n) is blank-padded: a value of exactly n characters reads back unchanged.
      const length = args[0] ?? 1
      return `c${n}`.padEnd(length, 'x').slice(-length)
    }
    case 'VarChar':
      return `v${n}`.slice(0, args[0] ?? 255)
    default:
      return `${field.name} #${n} ä✓`
  }
}

function dateValue(field: DMMF.Field, n: number): Date {
  const { name, args } = nativeOf(field)
  if (name === 'Date') return new Date(Date.UTC(2024, 0, 1 + (n % 3000)))
  // Times of day read back on 1970-01-01, as PrismaClient returns them.
  if (name === 'Time' || name === 'Timetz') return new Date(Date.UTC(1970, 0, 1, 3, 4, n % 60, (args[0] ?? 6) >= 3 ? 678 : 0))
  const millis = name !== undefined && args.length > 0 && args[0]! < 3 ? 0 : 678
  return new Date(Date.UTC(2024, 0, 2, 3, 4, 5, millis) + n * 1000)
}

function decimalText(field: DMMF.Field, n: number, provider: string): string {
  const { name, args } = nativeOf(field)
  if (name === 'Money') return `${1234 + n}.51`
  if (name === 'Decimal' && args.length === 2) {
    const [precision, scale] = args as [number, number]
    const whole = String(n % 10 ** Math.max(1, Math.min(6, precision - scale)))
    return scale === 0 ? whole : `${whole}.${'5'.padEnd(scale, '0').slice(0, Math.min(scale, 2))}`
  }
  // SQLite keeps a Decimal as a REAL-affine number: stay within 15 significant digits there.
  return provider === 'sqlite' ? `${n}.25` : `12345678901234567890.${String(n).padStart(6, '0')}`
}

/** One value of a scalar (not list) field. */
function scalarValue(facts: ColumnFacts, n: number, row: number, provider: string): GeneratedValue {
  const { column, field } = facts
  const same = (value: unknown): GeneratedValue => ({ forSession: value, forPrisma: value })
  switch (column.type) {
    case 'String':
      return same(stringValue(field, n))
    case 'Int':
      return same(nativeOf(field).name === 'SmallInt' ? n % 30000 : n * 1000 + 7)
    case 'BigInt':
      return same(9007199254740993n + BigInt(n))
    case 'Float':
      return same(n + 0.5)
    case 'Decimal': {
      const text = decimalText(field, n, provider)
      return { forSession: new Decimal(text), forPrisma: text }
    }
    case 'Boolean':
      return same(row % 2 === 0)
    case 'DateTime':
      return same(dateValue(field, n))
    case 'Json':
      return same({ n, text: 'ä "quoted"', list: [1, 2.5, null, true], nested: { empty: {}, none: null } })
    case 'Bytes':
      return { forSession: new Uint8Array([0, n & 255, 255]), forPrisma: new Uint8Array([0, n & 255, 255]) }
    case 'Enum': {
      const values = facts.enumValues ?? []
      return same(values[(n + row) % values.length])
    }
    default:
      throw new Error(`no value generator for column type ${String(column.type)}`)
  }
}

/** A value for the column: lists get two distinct elements. */
export function columnValue(facts: ColumnFacts, row: number, provider: string): GeneratedValue {
  if (!facts.field.isList) return scalarValue(facts, next(), row, provider)
  const elements = [scalarValue(facts, next(), row, provider), scalarValue(facts, next(), row + 1, provider)]
  return { forSession: elements.map((e) => e.forSession), forPrisma: elements.map((e) => e.forPrisma) }
}

/** True when the database or the runtime assigns the column, so the corpus never sets it. */
export function assignedForUs(column: ColumnDefinition): boolean {
  return column.updatedAt === true || column.default?.kind === 'autoincrement' || column.default?.kind === 'dbgenerated'
}

/** True when a row must give the column a value: not null, not a list (PrismaClient never requires one), and nothing fills it otherwise. */
export function requiredValue(column: ColumnDefinition, field: DMMF.Field): boolean {
  return !column.nullable && column.default === undefined && !column.updatedAt && !field.isList
}
