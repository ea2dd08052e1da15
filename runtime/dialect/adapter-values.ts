/** Values as Prisma's driver adapters (adapter-pg, adapter-mariadb) take and return them: the codecs both dialects share. */
import { Decimal } from 'decimal.js'
import type { ScalarType } from '../sql/nodes.js'
import type { Decoder } from './dialect.js'
import { formatTimestamp } from './utc-time-text.js'
import type { Encoder } from './value-codecs.js'

/**
 * Encodes a value for a driver adapter: JSON as its text (a driver would turn a JS array into an
 * array literal, or bind a string as a plain value), BigInt as a bigint, Decimal as exact text,
 * integers and floats as numbers, bytes as a Buffer; dates stay `Date`s (see {@link encodeAdapterText}).
 */
export function encodeAdapterValue(value: unknown, type: ScalarType): unknown {
  switch (type) {
    case 'Json':
      return JSON.stringify(value)
    case 'BigInt':
      return typeof value === 'bigint' ? value : BigInt(value as number | string)
    case 'Decimal':
      return value instanceof Decimal ? value.toString() : String(value)
    case 'Int':
    case 'Float':
      return typeof value === 'bigint' ? Number(value) : value
    case 'Bytes':
      return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value
    default:
      return value
  }
}

/**
 * Like {@link encodeAdapterValue}, with a `Date` sent as the UTC wall-clock text the adapters write for
 * PrismaClient (`YYYY-MM-DD HH:MM:SS.mmm`): where the driver would format it in local time (pg in an
 * array literal) or the engine's `unknown` argument type leaves the adapter nothing to convert (MySQL).
 */
export function encodeAdapterText(value: unknown, type: ScalarType): unknown {
  return type === 'DateTime' && value instanceof Date ? formatTimestamp(value) : encodeAdapterValue(value, type)
}

/** A `Date` sent as `format(date)`; text passes through (the database parses it): for native date and time types. */
export function dateAs(format: (date: Date) => string): Encoder {
  return (value) => (value instanceof Date ? format(value) : value)
}

const identity: Decoder = (raw) => raw

/**
 * Decoders for what the adapters return: 64-bit integers and decimals as text (a bigint or number for
 * some results), timestamps as ISO text, JSON as its text, bytes as a Buffer.
 */
export const ADAPTER_DECODERS: Readonly<Record<ScalarType, Decoder>> = {
  String: identity,
  Enum: identity,
  Int: (raw) => (typeof raw === 'string' || typeof raw === 'bigint' ? Number(raw) : raw),
  Float: (raw) => (typeof raw === 'string' || typeof raw === 'bigint' ? Number(raw) : raw),
  BigInt: (raw) => (raw === null || typeof raw === 'bigint' ? raw : BigInt(raw as string | number)),
  Decimal: (raw) => (raw === null ? null : new Decimal(raw as string | number)),
  Boolean: identity,
  DateTime: (raw) => (raw === null ? null : raw instanceof Date ? raw : new Date(String(raw))),
  Json: (raw) => (raw === null ? null : typeof raw === 'string' ? JSON.parse(raw) : raw),
  Bytes: (raw) => (raw === null ? null : Buffer.isBuffer(raw) ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) : raw),
}
