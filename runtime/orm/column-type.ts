/** A column definition's value type as the runtime binds, reads and compares it: list, native type, stored enum names, constant defaults. */
import { Decimal } from 'decimal.js'
import type { ColumnType, ScalarType, ValueType } from '../sql/nodes.js'
import type { ColumnDefinition } from './metadata.js'

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
function constantOf(scalar: ScalarType, value: unknown): unknown {
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

/** What a list column without a default holds: empty and frozen, as lists the session holds are. */
const NO_ITEMS: readonly unknown[] = Object.freeze([])

/**
 * A reader of the value the column takes when left unset, from its schema constant (`@default(...)`),
 * as a fresh value of its type on each call: a list's items converted and frozen, so no two rows share
 * one array; a list without a default reads as the empty list (PrismaClient reads a missing list as
 * `[]`). Undefined when the column has no constant default.
 */
export function constantDefaultOf(definition: ColumnDefinition, type: ColumnType): (() => unknown) | undefined {
  const written = definition.default
  const list = typeof type !== 'string' && type.list
  if (written === undefined) return list ? () => NO_ITEMS : undefined
  if (written.kind !== 'value') return undefined
  const constant = written.value
  const scalar = typeof type === 'string' ? type : type.scalar
  return list ? () => Object.freeze((constant as readonly unknown[]).map((item) => constantOf(scalar, item))) : () => constantOf(scalar, constant)
}
