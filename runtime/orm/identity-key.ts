/** Identity keys: one value per row identity, equal exactly when two key tuples name the same row, built by column type. */
import { Decimal } from 'decimal.js'
import type { ScalarType } from '../sql/nodes.js'

/** One key column's value in comparable form: a primitive that `Map` and `===` compare by value. */
export type KeyPart = string | number | bigint | boolean

/** Turns a column value into its {@link KeyPart}. */
export type KeyPartEncoder = (value: unknown) => KeyPart

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

const asIs: KeyPartEncoder = (value) => value as KeyPart

/**
 * The encoder of one column type: a `Date` becomes its epoch milliseconds (two `Date` objects of
 * one instant are one key), a BigInt column's value a `bigint` (whether given as number, string or
 * bigint), a Decimal its canonical text (`1.50` and `1.5` agree), bytes their hex text, and a
 * number given as text to an Int or Float column a number.
 */
export function keyPartEncoder(type: ScalarType): KeyPartEncoder {
  switch (type) {
    case 'DateTime':
      // Text that is not a date stays text: it matches no stored row rather than every other such text.
      return (value) => {
        if (value instanceof Date) return value.getTime()
        if (typeof value !== 'string') return value as KeyPart
        const time = Date.parse(value)
        return Number.isNaN(time) ? value : time
      }
    case 'BigInt':
      return (value) => {
        if (typeof value === 'bigint') return value
        try {
          return BigInt(value as string | number)
        } catch {
          return value as KeyPart
        }
      }
    case 'Int':
    case 'Float':
      return (value) => (typeof value === 'number' ? value : typeof value === 'bigint' || (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) ? Number(value) : (value as KeyPart))
    case 'Decimal':
      return (value) => {
        try {
          return new Decimal(value as Decimal.Value).toString()
        } catch {
          return value as KeyPart
        }
      }
    case 'Bytes':
      return (value) => (value instanceof Uint8Array ? hex(value) : (value as KeyPart))
    default:
      return asIs
  }
}

/** Something with a key-part encoder per column: a mapper's primary key, a relationship's remote columns. */
export interface KeyColumn {
  readonly encodeKeyPart: KeyPartEncoder
}

/**
 * The identity key of `values` for `columns`, the one function every identity is formed with: the
 * encoded value itself for one column, and for several a JSON array of the encoded values (so no
 * separator inside a string value can make two tuples collide).
 */
export function identityKey(columns: readonly KeyColumn[], values: readonly unknown[]): KeyPart {
  if (columns.length === 1) return columns[0].encodeKeyPart(values[0])
  const parts = new Array<unknown>(columns.length)
  for (let i = 0; i < columns.length; i++) {
    const part = columns[i].encodeKeyPart(values[i])
    parts[i] = typeof part === 'bigint' ? String(part) : part
  }
  return JSON.stringify(parts)
}
