/** Evaluates a WHERE condition node in memory against an object's values, with each database's SQL semantics (SQLAlchemy's `evaluator.py`). */
import { Decimal } from 'decimal.js'
import type { BinaryNode, ColumnNode, ColumnType, ConditionNode, InNode, LikeNode, ScalarType, ValueNode } from './nodes.js'

/** SQL's three-valued truth: true, false, or NULL (unknown). */
export type Truth = boolean | null

/**
 * Thrown when a condition (or a value met while evaluating it) has no in-memory equivalent that
 * matches what the database would answer: a subquery, an array operator, a Json comparison, an
 * ordering the database decides by its collation. Callers fall back to asking the database.
 * @internal
 */
export class Unevaluatable extends Error {
  override readonly name = 'Unevaluatable'
}

/** Thrown by a {@link ColumnReader} for a column whose value is not in memory (expired). @internal */
export const EXPIRED: unique symbol = Symbol('prismalchemy.expired')

/** Reads the value a column holds in the database, as the object last saw it; throws {@link EXPIRED} when it is expired. */
export type ColumnReader = (column: ColumnNode) => unknown

/** What the evaluator needs to know about the table the condition filters. */
export interface EvaluationTarget {
  /** The dialect whose semantics to mirror: `sqlite`, `postgresql` or `mysql` (others are not evaluated). */
  readonly dialect: string
  /** The type of a column of the filtered table (by its node), or undefined for a column of another table. */
  columnType(column: ColumnNode): ColumnType | undefined
}

/** A compiled condition: its truth for one object's values. */
export type Evaluator = (read: ColumnReader) => Truth

/** SQL AND over three-valued operands: false wins, then NULL. */
function and(values: readonly Truth[]): Truth {
  let unknown = false
  for (const value of values) {
    if (value === false) return false
    if (value === null) unknown = true
  }
  return unknown ? null : true
}

/** SQL OR over three-valued operands: true wins, then NULL. */
function or(values: readonly Truth[]): Truth {
  let unknown = false
  for (const value of values) {
    if (value === true) return true
    if (value === null) unknown = true
  }
  return unknown ? null : false
}

function isNull(value: unknown): boolean {
  return value === null || value === undefined
}

/** Lower-cases ASCII letters only: SQLite's LIKE and `lower()` fold no other characters. */
function foldAscii(text: string): string {
  return text.replace(/[A-Z]/g, (char) => char.toLowerCase())
}

/** Compares two non-null values of one scalar kind as the database orders them (negative, zero, positive). */
type Comparator = (a: unknown, b: unknown) => number

function sign(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function toBytes(value: unknown): Buffer {
  if (!(value instanceof Uint8Array)) throw new Unevaluatable('not bytes')
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}

function toTime(value: unknown): number {
  if (!(value instanceof Date)) throw new Unevaluatable('not a Date')
  return value.getTime()
}

/**
 * The comparator of a scalar kind on `dialect`, or undefined when the database's answer cannot be
 * mirrored. `ordering` asks for `<`/`>` as well as `=`: text orders by collation on PostgreSQL
 * (its locale), enums by declaration order there; SQLite orders text by bytes (BINARY).
 */
function comparatorFor(scalar: ScalarType, dialect: string, ordering: boolean): Comparator | undefined {
  switch (scalar) {
    case 'Int':
    case 'Float':
      return (a, b) => sign(Number(a), Number(b))
    case 'BigInt':
      // Mixed bigint/number comparisons are exact in JavaScript.
      return (a, b) => sign(a as bigint | number, b as bigint | number)
    case 'Decimal':
      // SQLite stores Decimal as REAL (as Prisma does): compared as doubles there, exactly on PostgreSQL.
      return dialect === 'sqlite' ? (a, b) => sign(Number(a), Number(b)) : (a, b) => new Decimal(a as Decimal.Value).comparedTo(b as Decimal.Value)
    case 'Boolean':
      return (a, b) => sign(Number(a), Number(b))
    case 'DateTime':
      return (a, b) => sign(toTime(a), toTime(b))
    case 'Bytes':
      return (a, b) => Buffer.compare(toBytes(a), toBytes(b))
    case 'String':
      // MySQL compares text by the column's collation (utf8mb4_unicode_ci: case-, accent- and trailing-space-blind).
      if (dialect === 'mysql' || (ordering && dialect !== 'sqlite')) return undefined
      // UTF-8 byte order, SQLite's BINARY collation (equality is the same either way).
      return (a, b) => (a === b ? 0 : Buffer.compare(Buffer.from(String(a)), Buffer.from(String(b))))
    case 'Enum':
      // A MySQL ENUM compared with text goes through the collation too.
      return ordering || dialect === 'mysql' ? undefined : (a, b) => (a === b ? 0 : 1)
    case 'Json':
      // jsonb equality is semantic on PostgreSQL, text equality on SQLite: neither is JavaScript's.
      return undefined
  }
}

/** The scalar kind of a column type when values of it can be compared in memory: no lists, no native types read as text of their own shape. */
function plainScalar(type: ColumnType): ScalarType | undefined {
  if (typeof type === 'string') return type
  return type.list || type.nativeType !== undefined ? undefined : type.scalar
}

/** Compiles condition nodes for one target; throws {@link Unevaluatable} for a node it cannot mirror. */
class EvaluatorCompiler {
  constructor(private readonly target: EvaluationTarget) {}

  condition(node: ConditionNode): Evaluator {
    switch (node.kind) {
      case 'and':
      case 'or': {
        const operands = node.operands.map((operand) => this.condition(operand))
        const combine = node.kind === 'and' ? and : or
        return (read) => combine(operands.map((operand) => operand(read)))
      }
      case 'not': {
        const operand = this.condition(node.operand)
        return (read) => {
          const value = operand(read)
          return value === null ? null : !value
        }
      }
      case 'null-check': {
        this.scalarOf(node.operand)
        const { operand, negated } = node
        return (read) => isNull(read(operand)) !== negated
      }
      case 'binary':
        return this.binary(node)
      case 'in':
        return this.in(node)
      case 'like':
        return this.like(node)
      default:
        // Subqueries (IN (SELECT ...), EXISTS) and any node kind added later: the database decides.
        throw new Unevaluatable(`a "${node.kind}" condition`)
    }
  }

  /** The comparable scalar kind of a column of the target table. */
  private scalarOf(column: ColumnNode): ScalarType {
    const type = this.target.columnType(column)
    if (type === undefined) throw new Unevaluatable(`column "${column.name}" of another table`)
    const scalar = plainScalar(type)
    if (scalar === undefined) throw new Unevaluatable(`column "${column.name}" of a list or native type`)
    return scalar
  }

  private comparator(column: ColumnNode, ordering: boolean): Comparator {
    const compare = comparatorFor(this.scalarOf(column), this.target.dialect, ordering)
    if (compare === undefined) throw new Unevaluatable(`comparing "${column.name}" as the database does`)
    return compare
  }

  /** A bound value as the comparator takes it; BigInt and Decimal values may be given as numbers or text. */
  private operand(value: ValueNode, scalar: ScalarType): unknown {
    const raw = value.value
    if (isNull(raw)) return null
    if (scalar === 'BigInt' && typeof raw === 'string') return BigInt(raw)
    if (scalar === 'DateTime' && !(raw instanceof Date)) throw new Unevaluatable('a DateTime given as text')
    return raw
  }

  private binary(node: BinaryNode): Evaluator {
    const { op, left, right } = node
    if (op === '@>' || op === '&&') throw new Unevaluatable(`the ${op} operator`)
    const compare = this.comparator(left, op !== '=' && op !== '<>')
    const test = TESTS[op]
    if (right.kind === 'column') {
      this.scalarOf(right)
      return (read) => {
        const a = read(left)
        const b = read(right)
        return isNull(a) || isNull(b) ? null : test(compare(a, b))
      }
    }
    const b = this.operand(right, this.scalarOf(left))
    if (b === null) return () => null
    return (read) => {
      const a = read(left)
      return isNull(a) ? null : test(compare(a, b))
    }
  }

  private in(node: InNode): Evaluator {
    const { left, negated } = node
    // The compiler writes an empty list as a constant: false for IN, true for NOT IN, NULL or not.
    if (node.values.length === 0) return () => negated
    const compare = this.comparator(left, false)
    const scalar = this.scalarOf(left)
    const values = node.values.map((value) => this.operand(value, scalar))
    const hasNull = values.some((value) => value === null)
    return (read) => {
      const a = read(left)
      if (isNull(a)) return null
      const found = values.some((value) => value !== null && compare(a, value) === 0)
      const truth: Truth = found ? true : hasNull ? null : false
      return truth === null ? null : truth !== negated
    }
  }

  /**
   * `contains`/`startsWith`/`endsWith` as each database matches them: SQLite's LIKE folds ASCII
   * case, PostgreSQL's does not. On SQLite, a NUL byte in the text or the value is matched on bytes
   * (see the SQLite compiler), which the database answers.
   */
  private like(node: LikeNode): Evaluator {
    const match = node.match
    if (match === undefined) throw new Unevaluatable('a LIKE pattern')
    if (this.scalarOf(node.operand) !== 'String') throw new Unevaluatable('LIKE on a column that is not text')
    if (this.target.dialect === 'mysql') throw new Unevaluatable('LIKE under a MySQL collation')
    const sqlite = this.target.dialect === 'sqlite'
    if (sqlite && match.text.includes('\u0000')) throw new Unevaluatable('a NUL byte in a LIKE pattern')
    const fold = sqlite ? foldAscii : (text: string) => text
    const text = fold(match.text)
    const operand = node.operand
    return (read) => {
      const value = read(operand)
      if (isNull(value)) return null
      const subject = String(value)
      if (sqlite && subject.includes('\u0000')) throw new Unevaluatable('a NUL byte in a value matched with LIKE')
      const folded = fold(subject)
      return match.mode === 'contains' ? folded.includes(text) : match.mode === 'startsWith' ? folded.startsWith(text) : folded.endsWith(text)
    }
  }
}

/** The dialects whose comparisons this module mirrors. */
const EVALUATED_DIALECTS: ReadonlySet<string> = new Set(['sqlite', 'postgresql', 'mysql'])

/** What each comparison operator makes of a comparator's answer. */
const TESTS: Record<'=' | '<>' | '<' | '<=' | '>' | '>=', (order: number) => boolean> = {
  '=': (order) => order === 0,
  '<>': (order) => order !== 0,
  '<': (order) => order < 0,
  '<=': (order) => order <= 0,
  '>': (order) => order > 0,
  '>=': (order) => order >= 0,
}

/**
 * Compiles `condition` (a query's WHERE) into a function that answers it for one object's values as
 * the database would, NULL included. Throws {@link Unevaluatable} when the condition has a part the
 * database must answer (dialects other than SQLite, PostgreSQL and MySQL are never evaluated); the
 * returned function may throw it too, for a value it meets (a NUL byte matched on SQLite), and
 * passes on {@link EXPIRED} from the reader.
 * @internal
 */
export function compileEvaluator(condition: ConditionNode | undefined, target: EvaluationTarget): Evaluator {
  if (!EVALUATED_DIALECTS.has(target.dialect)) throw new Unevaluatable(`the ${target.dialect} dialect`)
  if (condition === undefined) return () => true
  return new EvaluatorCompiler(target).condition(condition)
}
