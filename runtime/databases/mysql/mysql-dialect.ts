/** MySQL and MariaDB: `?` placeholders, backtick quoting, and values stored exactly as PrismaClient stores them through @prisma/adapter-mariadb. */
import { DefaultCompiler } from '../../sql/compiler.js'
import { sql, type ArithmeticNode, type ColumnType, type LikeNode, type ScalarType } from '../../sql/nodes.js'
import type { Decoder, Dialect } from '../../dialect/dialect.js'
import { ADAPTER_DECODERS, dateAs, encodeAdapterText } from '../../dialect/adapter-values.js'
import { ValueCodecs } from '../../dialect/value-codecs.js'
import { formatDate, formatTime, parseTime } from '../../dialect/utc-time-text.js'

/**
 * Encodes a value for adapter-mariadb. The engine binds every value with the argument type `unknown`,
 * so nothing is left for the adapter's `mapArg` to convert: dates go as the UTC wall-clock text it
 * writes for PrismaClient (`YYYY-MM-DD HH:MM:SS[.mmm]`; DATETIME has no zone), the rest as every adapter
 * takes it. Booleans stay `true`/`false`: the driver binds them as 1/0.
 */
const encodeMysql = encodeAdapterText

/**
 * Decoders for what adapter-mariadb returns: those of every adapter (BIGINT as text, a number for some
 * unsigned results; DECIMAL as exact text padded to the column's scale; DATETIME and TIMESTAMP as ISO
 * text ending `+00:00`; JSON as its text; bytes as a Buffer), with TINYINT(1) read as 1/0 (BIT(1) as a
 * one-byte Buffer) for Boolean.
 */
const MYSQL_DECODERS: Record<ScalarType, Decoder> = {
  ...ADAPTER_DECODERS,
  Boolean: (raw) => {
    if (raw === null || typeof raw === 'boolean') return raw
    if (Buffer.isBuffer(raw)) return raw.some((byte) => byte !== 0)
    return Number(raw) !== 0
  },
}

/**
 * MySQL has no scalar lists. `@db.Date` and `@db.Time` columns are written as text of their own shape,
 * as adapter-mariadb writes them for PrismaClient; a TIME is read back on 1970-01-01 UTC.
 */
const MYSQL_CODECS = new ValueCodecs({
  encode: encodeMysql,
  encodeElement: encodeMysql,
  decoders: MYSQL_DECODERS,
  nativeTypes: {
    Date: { encode: dateAs(formatDate) },
    Time: { encode: dateAs(formatTime), decode: parseTime },
  },
})

/**
 * The LIMIT PrismaClient sends with an OFFSET alone (MySQL has no OFFSET without LIMIT): the largest
 * BIGINT, written in the statement.
 */
const NO_LIMIT = '9223372036854775807'

/**
 * A LIKE pattern escaped with backslashes (`\%`, `\_`, `\\`), as the query builder writes it,
 * re-escaped with `/`. A backslash is an escape character in MySQL string literals as well as in LIKE,
 * and `NO_BACKSLASH_ESCAPES` changes what `ESCAPE '\\'` means; `/` means the same in every SQL mode
 * (SQLAlchemy's `autoescape` uses it on MySQL for the same reason).
 */
function slashEscaped(pattern: string): string {
  let escaped = ''
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]
    if (char === '\\' && i + 1 < pattern.length) {
      const literal = pattern[++i]
      escaped += literal === '%' || literal === '_' || literal === '/' ? `/${literal}` : literal
    } else escaped += char === '/' ? '//' : char
  }
  return escaped
}

/** Compiles for MySQL and MariaDB (no ANSI_QUOTES: double quotes would make string literals). */
export class MysqlCompiler extends DefaultCompiler {
  private readonly backticked = new Map<string, string>()

  protected placeholder(): string {
    return '?'
  }

  protected encodeValue(value: unknown, type: ColumnType): unknown {
    return MYSQL_CODECS.encode(value, type)
  }

  /** Quotes an identifier in backticks, doubling embedded ones (memoised, as the base class does). */
  override quoteIdentifier(name: string): string {
    let quoted = this.backticked.get(name)
    if (quoted === undefined) {
      quoted = `\`${name.replaceAll('`', '``')}\``
      this.backticked.set(name, quoted)
    }
    return quoted
  }

  protected override limitOffset(limit: number | undefined, offset: number | undefined): void {
    this.append(` LIMIT ${limit === undefined ? NO_LIMIT : this.bind(limit)}`)
    if (offset !== undefined) this.append(` OFFSET ${this.bind(offset)}`)
  }

  /** Prisma's `skipDuplicates` on MySQL, as PrismaClient sends it. */
  protected override insertSkippingDuplicates(): string {
    return 'INSERT IGNORE INTO '
  }

  protected override skipDuplicatesClause(): string {
    return ''
  }

  /** MySQL has no `DEFAULT VALUES`: an empty column list and an empty row. */
  protected override defaultValues(): string {
    return ' () VALUES ()'
  }

  /**
   * An integer column divided by an integer (Prisma's `divide` on Int and BigInt, bound as BigInt) is
   * `DIV`, which truncates as PostgreSQL's and SQLite's integer division does: MySQL's `/` gives a
   * decimal, which the INT column would then round (7 / 2 would store 4).
   */
  override visitArithmetic(node: ArithmeticNode): void {
    if (node.op !== '/' || node.right.type !== 'BigInt') {
      super.visitArithmetic(node)
      return
    }
    this.visitColumn(node.left)
    this.append(' DIV ')
    this.visitValue(node.right)
  }

  /** `LIKE ? ESCAPE '/'`, with the pattern re-escaped by {@link slashEscaped}. */
  override visitLike(node: LikeNode): void {
    this.visitColumn(node.operand)
    this.append(' LIKE ')
    this.visitValue(sql.value(slashEscaped(String(node.pattern.value)), 'String'))
    this.append(" ESCAPE '/'")
  }
}

/** The MySQL/MariaDB dialect. */
export const mysqlDialect: Dialect = {
  name: 'mysql',
  createCompiler: () => new MysqlCompiler(),
  decoder: (type) => MYSQL_CODECS.decoder(type),
  encode: (value, type) => MYSQL_CODECS.encode(value, type),
  // MariaDB has INSERT/DELETE ... RETURNING, MySQL 8 none: keys are read from the driver's last insert id on both.
  supportsReturning: false,
  // The protocol counts a prepared statement's parameters in 16 bits.
  maxParameters: 65_535,
}
