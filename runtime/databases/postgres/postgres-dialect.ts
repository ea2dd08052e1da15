/** PostgreSQL: `$n` placeholders, and values stored exactly as PrismaClient stores them through @prisma/adapter-pg. */
import { DefaultCompiler } from '../../sql/compiler.js'
import type { ColumnType } from '../../sql/nodes.js'
import { ADAPTER_DECODERS, dateAs, encodeAdapterText, encodeAdapterValue } from '../../dialect/adapter-values.js'
import type { Dialect } from '../../dialect/dialect.js'
import { formatDate, formatTime, parseTime } from '../../dialect/utc-time-text.js'
import { ValueCodecs } from '../../dialect/value-codecs.js'

/** adapter-pg writes a `Date` as UTC `YYYY-MM-DD HH:MM:SS.mmm` (Prisma's `timestamp(3)` format); JSON goes as text, because pg would turn a JS array into an array literal. */
const encodePostgres = encodeAdapterValue

/** An element of a list: pg writes the array literal itself and would format a `Date` in local time, so timestamps go as UTC text. */
const encodePostgresElement = encodeAdapterText

/** Decoders for what adapter-pg returns: int8 and numeric as strings, timestamps as ISO strings, json as text. */
const POSTGRES_DECODERS = ADAPTER_DECODERS

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
