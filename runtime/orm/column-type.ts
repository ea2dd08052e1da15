/** A column definition's value type as the runtime binds, reads and compares it: list, native type, stored enum names, constant defaults. */
import { Decimal } from 'decimal.js'
import type { ColumnType, ScalarType, ValueType } from '../sql/nodes.js'
import type { ColumnDefinition, DefaultDefinition } from './metadata.js'

/**
 * Native types whose values PrismaClient writes (and reads) as text of their own shape rather than as
 * their scalar kind's (see the PostgreSQL dialect). Every other native type reads and writes as its
 * scalar kind, so its columns keep the plain kind as their type.
 */
const NATIVE_TYPES_WITH_CODECS: ReadonlySet<string> = new Set(['Date', 'Time', 'Timetz'])

/**
 * The type values of the column are encoded and decoded with: its scalar kind, or one
 * {@link ValueType} object for a list, a native type with a codec or an enum stored under `@map`
 * names (the dialects cache codecs by that object).
 */
export function columnType(definition: ColumnDefinition): ColumnType {
  const nativeType = definition.nativeType !== undefined && NATIVE_TYPES_WITH_CODECS.has(definition.nativeType) ? definition.nativeType : undefined
  if (definition.list !== true && nativeType === undefined && definition.enumValues === undefined) return definition.type
  const type: ValueType = {
    scalar: definition.type,
    list: definition.list === true,
    ...(nativeType !== undefined ? { nativeType } : {}),
    ...(definition.enumValues !== undefined ? { enumValues: definition.enumValues } : {}),
  }
  return Object.freeze(type)
}

/**
 * The type the column is read as where it is selected, as PrismaClient reads it: `money` as `numeric`
 * (adapter-pg hands money out as locale-formatted text such as `$1,234.51`), and an enum array as
 * `text[]` (adapter-pg hands it out unparsed, as `{a,b}`).
 */
export function readCast(definition: ColumnDefinition): string | undefined {
  const element = definition.nativeType === 'Money' ? 'numeric' : definition.list === true && definition.type === 'Enum' ? 'text' : undefined
  if (element === undefined) return undefined
  return definition.list === true ? `${element}[]` : element
}

/** A schema constant (DMMF gives BigInt, DateTime and Decimal constants as text, Json ones as JSON text) as a value of `scalar`. */
export function constantOf(scalar: ScalarType, value: unknown): unknown {
  switch (scalar) {
    case 'BigInt':
      return BigInt(value as string | number)
    case 'DateTime':
      return new Date(value as string)
    case 'Decimal':
      return new Decimal(value as string | number)
    case 'Json':
      return typeof value === 'string' ? JSON.parse(value) : structuredClone(value)
    default:
      return value
  }
}

/**
 * The definition the runtime fills unset columns from. A list's constant default (`@default(["a"])`),
 * or the empty list when it has none (PrismaClient reads a missing list as `[]`), and the constant of a
 * column with a {@link ValueType} are handed out as a fresh value of the column's type on each read of
 * `default.value`: no two rows share one array, and assigning in place never changes the default.
 * Every other definition is returned as it is.
 */
export function withTypedDefault(definition: ColumnDefinition, type: ColumnType): ColumnDefinition {
  if (typeof type === 'string') return definition
  const written = definition.default
  if (written === undefined ? !type.list : written.kind !== 'value') return definition
  const constant = written?.kind === 'value' ? written.value : undefined
  const fresh =
    constant === undefined
      ? () => Object.freeze([])
      : type.list
        ? () => Object.freeze((constant as readonly unknown[]).map((item) => constantOf(type.scalar, item)))
        : () => constantOf(type.scalar, constant)
  const typed: DefaultDefinition = Object.defineProperties({ kind: 'value' }, { value: { get: fresh, enumerable: true } }) as DefaultDefinition
  return { ...definition, default: typed }
}
