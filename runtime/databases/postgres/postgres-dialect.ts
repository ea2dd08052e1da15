/** PostgreSQL: `$n` placeholders, and values stored exactly as PrismaClient stores them through @prisma/adapter-pg. */
import { Decimal } from 'decimal.js'
import { DefaultCompiler } from '../../sql/compiler.js'
import type { ColumnType, ScalarType } from '../../sql/nodes.js'
import type { Decoder, Dialect } from '../../dialect/dialect.js'
import { formatDate, formatTime, formatTimestamp, parseTime } from '../../dialect/utc-time-text.js'
import { ValueCodecs, type Encoder } from '../../dialect/value-codecs.js'

/**
 * Encodes a value for adapter-pg. Dates stay `Date`s (the adapter writes them as UTC
 * `YYYY-MM-DD HH:MM:SS.mmm`, Prisma's `timestamp(3)` format); JSON is always sent as text, because
 * pg would turn a JS array into a PostgreSQL array literal.
 */
function encodePostgres(value: unknown, type: ScalarType): unknown {
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
 * Encodes an element of a list. pg writes the array literal itself and would format a `Date` in
 * local time, so timestamps are sent as adapter-pg formats a single one (UTC text).
 */
function encodePostgresElement(value: unknown, type: ScalarType): unknown {
  return type === 'DateTime' && value instanceof Date ? formatTimestamp(value) : encodePostgres(value, type)
}

/** A `Date` sent as `format(date)`; text passes through (PostgreSQL parses it). */
function dateAs(format: (date: Date) => string): Encoder {
  return (value) => (value instanceof Date ? format(value) : value)
}

const identity: Decoder = (raw) => raw

/** Decoders for what adapter-pg returns: int8 and numeric as strings, timestamps as ISO strings, json as text. */
const POSTGRES_DECODERS: Record<ScalarType, Decoder> = {
  String: identity,
  Enum: identity,
  Int: (raw) => (typeof raw === 'string' ? Number(raw) : raw),
  Float: (raw) => (typeof raw === 'string' ? Number(raw) : raw),
  BigInt: (raw) => (raw === null || typeof raw === 'bigint' ? raw : BigInt(raw as string | number)),
  Decimal: (raw) => (raw === null ? null : new Decimal(raw as string | number)),
  Boolean: identity,
  DateTime: (raw) => (raw === null ? null : raw instanceof Date ? raw : new Date(String(raw))),
  Json: (raw) => (raw === null ? null : typeof raw === 'string' ? JSON.parse(raw) : raw),
  Bytes: (raw) => (raw === null ? null : Buffer.isBuffer(raw) ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) : raw),
}

/**
 * Values of native types PrismaClient sends and reads differently from their scalar kind: dates and
 * times as text of their own shape (the `dbType` it gives adapter-pg). `@db.Money` needs no codec: it
 * is selected as `numeric` (see `readCast` in `orm/column-type.ts`), as PrismaClient selects it.
 */
const POSTGRES_CODECS = new ValueCodecs({
  encode: encodePostgres,
  encodeElement: encodePostgresElement,
  decoders: POSTGRES_DECODERS,
  nativeTypes: {
    Date: { encode: dateAs(formatDate) },
    Time: { encode: dateAs(formatTime), decode: parseTime },
    Timetz: { encode: dateAs(formatTime), decode: parseTime },
  },
})

/** Compiles for PostgreSQL. */
export class PostgresCompiler extends DefaultCompiler {
  protected placeholder(index: number): string {
    return `$${index + 1}`
  }

  protected encodeValue(value: unknown, type: ColumnType): unknown {
    return POSTGRES_CODECS.encode(value, type)
  }
}

/** The PostgreSQL dialect. */
export const postgresDialect: Dialect = {
  name: 'postgresql',
  createCompiler: () => new PostgresCompiler(),
  decoder: (type) => POSTGRES_CODECS.decoder(type),
  encode: (value, type) => POSTGRES_CODECS.encode(value, type),
  supportsReturning: true,
  // The wire protocol counts bind parameters in an int16: at most 65,535 per statement.
  maxParameters: 65_535,
}
