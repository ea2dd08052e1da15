/** PostgreSQL: `$n` placeholders, and values stored exactly as PrismaClient stores them through @prisma/adapter-pg. */
import { Decimal } from 'decimal.js'
import { DefaultCompiler } from '../sql/compiler.js'
import type { ScalarType } from '../sql/nodes.js'
import type { Decoder, Dialect } from './dialect.js'

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

/** Compiles for PostgreSQL. */
export class PostgresCompiler extends DefaultCompiler {
  protected placeholder(index: number): string {
    return `$${index + 1}`
  }

  protected encodeValue(value: unknown, type: ScalarType): unknown {
    return encodePostgres(value, type)
  }
}

/** The PostgreSQL dialect. */
export const postgresDialect: Dialect = {
  name: 'postgresql',
  createCompiler: () => new PostgresCompiler(),
  decoder: (type) => POSTGRES_DECODERS[type],
  encode: encodePostgres,
  supportsReturning: true,
  // The wire protocol counts bind parameters in an int16: at most 65,535 per statement.
  maxParameters: 65_535,
}
