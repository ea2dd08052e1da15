/** SQLite: `?` placeholders, and values stored exactly as Prisma's better-sqlite3 adapter stores them. */
import { Decimal } from 'decimal.js'
import { DefaultCompiler } from '../../sql/compiler.js'
import { sql, type ColumnType, type LikeNode, type ScalarType } from '../../sql/nodes.js'
import type { Decoder, Dialect } from '../../dialect/dialect.js'
import { ValueCodecs } from '../../dialect/value-codecs.js'

let lastTime = Number.NaN
let lastText = ''

/** Encodes a Date the way Prisma's SQLite adapter does: ISO-8601 in UTC with `+00:00`. */
export function encodeSqliteDateTime(value: Date): string {
  // A flush stamps many rows with the same instant (now(), @updatedAt): format it once.
  const time = value.getTime()
  if (time !== lastTime) {
    lastText = value.toISOString().replace('Z', '+00:00')
    lastTime = time
  }
  return lastText
}

function encodeSqlite(value: unknown, type: ScalarType): unknown {
  switch (type) {
    case 'Boolean':
      return value ? 1 : 0
    case 'DateTime':
      return value instanceof Date ? encodeSqliteDateTime(value) : value
    case 'BigInt':
      return typeof value === 'bigint' ? value : BigInt(value as number | string)
    case 'Decimal':
      // Prisma stores Decimal on SQLite as REAL (lossy); do the same so both read the same bytes.
      return typeof value === 'number' ? value : Number.parseFloat(String(value))
    case 'Json':
      return JSON.stringify(value)
    case 'Bytes':
      return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value
    case 'Int':
    case 'Float':
      return typeof value === 'bigint' ? Number(value) : value
    default:
      return value
  }
}

const identity: Decoder = (raw) => raw

/** The DateTime text decoded last and its time: the rows one flush wrote share their timestamps, parsed once. */
let lastDecodedText = ''
let lastDecodedTime = Number.NaN

const SQLITE_DECODERS: Record<ScalarType, Decoder> = {
  String: identity,
  Enum: identity,
  Int: (raw) => (typeof raw === 'bigint' ? Number(raw) : raw),
  Float: (raw) => (typeof raw === 'bigint' ? Number(raw) : raw),
  BigInt: (raw) => (raw === null || typeof raw === 'bigint' ? raw : BigInt(raw as number)),
  Decimal: (raw) => (raw === null ? null : new Decimal(typeof raw === 'bigint' ? raw.toString() : (raw as number | string))),
  Boolean: (raw) => (raw === null ? null : raw === 1 || raw === 1n || raw === true || raw === 'true'),
  DateTime: (raw) => {
    if (raw === null) return null
    if (typeof raw === 'number' || typeof raw === 'bigint') return new Date(Number(raw))
    const text = String(raw)
    if (text !== lastDecodedText) {
      // Rows written by SQLite's CURRENT_TIMESTAMP have no `T` and no zone; they are UTC.
      lastDecodedTime = new Date(text.includes('T') ? text : `${text.replace(' ', 'T')}Z`).getTime()
      lastDecodedText = text
    }
    return new Date(lastDecodedTime)
  },
  Json: (raw) => (raw === null ? null : JSON.parse(String(raw))),
  Bytes: (raw) => (raw === null ? null : Buffer.isBuffer(raw) ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) : raw),
}

/** SQLite has neither scalar lists nor native type attributes in Prisma: only enums stored under `@map` names go beyond the scalar table. */
const SQLITE_CODECS = new ValueCodecs({ encode: encodeSqlite, encodeElement: encodeSqlite, decoders: SQLITE_DECODERS, nativeTypes: {} })

/** Compiles for SQLite. */
export class SqliteCompiler extends DefaultCompiler {
  protected placeholder(): string {
    return '?'
  }

  protected encodeValue(value: unknown, type: ColumnType): unknown {
    return SQLITE_CODECS.encode(value, type)
  }

  protected override limitOffset(limit: number | undefined, offset: number | undefined): void {
    // SQLite accepts OFFSET only after a LIMIT; -1 means no limit.
    this.append(` LIMIT ${this.bind(limit ?? -1)}`)
    if (offset !== undefined) this.append(` OFFSET ${this.bind(offset)}`)
  }

  /**
   * SQLite stops reading a LIKE pattern at a NUL, so `contains: 'a\u0000b'` would match every value
   * containing `a`. Text with a NUL is matched on bytes instead, with LIKE's case folding (ASCII only,
   * `lower()`): `instr(...) > 0` (contains), `= 1` (startsWith), the last bytes (endsWith).
   */
  override visitLike(node: LikeNode): void {
    const match = node.match
    if (match === undefined || !match.text.includes('\u0000')) {
      super.visitLike(node)
      return
    }
    const text = () => this.visitValue(sql.value(match.text, 'String'))
    const column = () => {
      this.append('CAST(lower(')
      this.visitColumn(node.operand)
      this.append(') AS BLOB)')
    }
    if (match.mode === 'endsWith') {
      this.append('substr(')
      column()
      this.append(', -length(CAST(')
      text()
      this.append(' AS BLOB))) = CAST(lower(')
      text()
      this.append(') AS BLOB)')
      return
    }
    this.append('instr(')
    column()
    this.append(', CAST(lower(')
    text()
    this.append(match.mode === 'contains' ? ') AS BLOB)) > 0' : ') AS BLOB)) = 1')
  }
}

/** The SQLite dialect. */
export const sqliteDialect: Dialect = {
  name: 'sqlite',
  createCompiler: () => new SqliteCompiler(),
  decoder: (type) => SQLITE_CODECS.decoder(type),
  encode: (value, type) => SQLITE_CODECS.encode(value, type),
  supportsReturning: true,
  // SQLite's default SQLITE_MAX_VARIABLE_NUMBER since 3.32.
  maxParameters: 32_766,
}
