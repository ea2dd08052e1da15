/** Prisma scalar types -> runtime scalar kinds and TypeScript types, one table. */
import type { ScalarType } from '../../runtime/internal.js'

/** Prisma's scalar type names mapped to the runtime's scalar kinds. */
export const SCALAR_TYPES: Readonly<Record<string, ScalarType>> = {
  String: 'String',
  Int: 'Int',
  BigInt: 'BigInt',
  Float: 'Float',
  Decimal: 'Decimal',
  Boolean: 'Boolean',
  DateTime: 'DateTime',
  Json: 'Json',
  Bytes: 'Bytes',
}

/**
 * The TypeScript type of each scalar kind (enums use the enum's own type), as generated models.ts spells it: runtime
 * types under their `$` import aliases and globals through `globalThis`, which no model or enum name can shadow.
 */
export const TS_TYPES: Readonly<Record<Exclude<ScalarType, 'Enum'>, string>> = {
  String: 'string',
  Int: 'number',
  BigInt: 'bigint',
  Float: 'number',
  Decimal: '$Decimal',
  Boolean: 'boolean',
  DateTime: 'globalThis.Date',
  Json: '$JsonValue',
  Bytes: 'globalThis.Uint8Array',
}

/** The TypeScript type of a field, without null: a list is an array of its element's type. */
export function tsType(field: { type: ScalarType; enumName?: string; list?: boolean }): string {
  const element = field.type === 'Enum' ? field.enumName! : TS_TYPES[field.type]
  return field.list === true ? `${element}[]` : element
}
