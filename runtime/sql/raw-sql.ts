/** Raw SQL: the `sql` tagged template (values always bound, never spliced) and the `Result` it returns. */
import { Decimal } from 'decimal.js'
import { MultipleResultsFoundError, NoResultFoundError } from '../errors.js'
import type { QueryResult } from '../engine/driver.js'
import type { RawNode, ScalarType, ValueNode } from './nodes.js'

/** The scalar type a raw SQL value is bound as, from its JavaScript type. */
function typeOf(value: unknown): ScalarType {
  if (value instanceof Date) return 'DateTime'
  if (typeof value === 'bigint') return 'BigInt'
  if (typeof value === 'boolean') return 'Boolean'
  if (typeof value === 'number') return Number.isInteger(value) ? 'Int' : 'Float'
  if (Decimal.isDecimal(value)) return 'Decimal'
  if (value instanceof Uint8Array) return 'Bytes'
  if (value !== null && typeof value === 'object') return 'Json'
  return 'String'
}

const RETURNS_ROWS = /^\s*(?:\(\s*)?(?:SELECT|WITH|VALUES|PRAGMA|EXPLAIN|SHOW|TABLE)\b|\bRETURNING\b/i
const READ_ONLY = /^\s*(?:\(\s*)?(?:SELECT|VALUES|EXPLAIN|SHOW|TABLE)\b/i
/** Row locks: such a SELECT belongs in the write transaction, not in an autocommit read. */
const LOCKS_ROWS = /\bFOR\s+(?:UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b/i
/** Leading comments, skipped before the statement's first keyword is read. */
const LEADING_COMMENTS = /^(?:\s*(?:--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/))*/

/**
 * A statement written as a tagged template. Build it with {@link sql}; run it with
 * `session.execute()` or `(await session.connection()).execute()`.
 */
export class RawSql {
  /** @internal */
  constructor(
    /** The template's literal parts. */
    readonly parts: readonly string[],
    /** The interpolated values, bound in order. */
    readonly values: readonly unknown[],
  ) {}

  /** The statement node the compiler turns into the dialect's SQL with its placeholders. @internal */
  toNode(): RawNode {
    // The literal parts only (values are bound, never text), without leading comments.
    const text = this.parts.join('?').replace(LEADING_COMMENTS, '')
    const values: ValueNode[] = this.values.map((value) => ({ kind: 'value', value: value === undefined ? null : value, type: typeOf(value) }))
    return { kind: 'raw', parts: this.parts, values, returnsRows: RETURNS_ROWS.test(text), isWrite: !READ_ONLY.test(text) || LOCKS_ROWS.test(text) }
  }
}

/**
 * Raw SQL as a tagged template: every `${value}` becomes a bound parameter (`?` on SQLite, `$n`
 * on PostgreSQL), never text, so user input cannot change the statement. Identifiers are written
 * in the template itself.
 *
 * ### Examples
 * ```ts
 * const result = await session.execute(sql`SELECT "username" FROM "users" WHERE "id" = ${id}`)
 * result.scalar() // 'ann'
 * await session.execute(sql`UPDATE "users" SET "active" = ${false} WHERE "id" = ${id}`)
 * ```
 */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): RawSql {
  return new RawSql([...strings], values)
}

/** What a raw statement returned: rows as objects keyed by column name, and the number of rows it changed. */
export class Result<R extends Record<string, unknown> = Record<string, unknown>> {
  /** The rows, each an object keyed by column name, values as the driver returned them. */
  readonly rows: R[]
  /** Rows changed by an INSERT, UPDATE or DELETE without RETURNING (0 for a SELECT). */
  readonly rowCount: number

  /** @internal */
  constructor(result: QueryResult) {
    const columns = result.columns ?? []
    this.rows = result.rows.map((row) => {
      const record: Record<string, unknown> = {}
      columns.forEach((name, i) => (record[name] = row[i]))
      return record as R
    })
    this.rowCount = result.changes
  }

  /** Every row. */
  all(): R[] {
    return this.rows
  }

  /** The first row, or null. */
  first(): R | null {
    return this.rows[0] ?? null
  }

  /** Exactly one row: `NoResultFoundError` for none, `MultipleResultsFoundError` for several. */
  one(): R {
    if (this.rows.length === 0) throw NoResultFoundError.forModel('raw SQL')
    if (this.rows.length > 1) throw MultipleResultsFoundError.forModel('raw SQL')
    return this.rows[0]
  }

  /** The first column of the first row, or null when there is no row. */
  scalar(): unknown {
    const first = this.rows[0]
    return first === undefined ? null : Object.values(first)[0]
  }

  /** The first column of every row. */
  scalars(): unknown[] {
    return this.rows.map((row) => Object.values(row)[0])
  }
}
