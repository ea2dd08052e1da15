/** The values of a bulk UPDATE: plain values and Prisma's atomic number operations, checked, compiled to SET items and computed in memory. */
import { Decimal } from 'decimal.js'
import { InvalidRequestError, UnmappedError } from '../errors.js'
import type { ColumnInfo, Mapper } from '../orm/mapper.js'
import { storedTime } from '../orm/unit-of-work/client-defaults.js'
import { Unevaluatable } from '../sql/evaluate.js'
import { sql, type ArithmeticNode, type ArithmeticOperator, type ColumnNode, type ValueNode } from '../sql/nodes.js'
import { isOperandObject } from './where.js'

/** Prisma's atomic number operations, one per value: `{ increment: 1 }`, `{ divide: 2 }`, or `{ set: v }`. */
export type NumberOperation<O, V> = { set: V } | { increment: O } | { decrement: O } | { multiply: O } | { divide: O }

/** A value a bulk UPDATE accepts for a column of type `V`: the value itself, `{ set: value }`, and for numbers the atomic operations. */
export type UpdateValue<V> = [NonNullable<V>] extends [number]
  ? V | NumberOperation<number, V>
  : [NonNullable<V>] extends [bigint]
    ? V | number | NumberOperation<bigint | number, V | number>
    : [NonNullable<V>] extends [Decimal]
      ? V | number | string | NumberOperation<Decimal | number | string, V | number | string>
      : [NonNullable<V>] extends [string | boolean | Date | Uint8Array]
        ? V | { set: V }
        : V

/** The values of `query.update(...)` over the columns `C` of a model (Prisma's `updateMany` data). */
export type UpdateInput<C> = { [K in keyof C]?: UpdateValue<C[K]> }

/** What one assignment does to its column. */
export type UpdateOperation = 'set' | 'increment' | 'decrement' | 'multiply' | 'divide'

/** One checked SET item: the column, the operation and its operand (a normalised value of the column's type for `set`). */
export interface Assignment {
  readonly column: ColumnInfo
  readonly operation: UpdateOperation
  readonly operand: unknown
}

const OPERATIONS: ReadonlySet<string> = new Set<UpdateOperation>(['set', 'increment', 'decrement', 'multiply', 'divide'])
const ARITHMETIC: Record<Exclude<UpdateOperation, 'set'>, ArithmeticOperator> = { increment: '+', decrement: '-', multiply: '*', divide: '/' }
const NUMBER_SCALARS: ReadonlySet<string> = new Set(['Int', 'BigInt', 'Float', 'Decimal'])

/** A value as the session keeps it for the column: BigInt as bigint, Decimal as Decimal (both may be given as numbers or text). */
function normalised(column: ColumnInfo, value: unknown): unknown {
  if (value === null || value === undefined || column.list) return value
  if (column.scalar === 'BigInt' && (typeof value === 'number' || typeof value === 'string')) return BigInt(value)
  if (column.scalar === 'Decimal' && !Decimal.isDecimal(value)) return new Decimal(value as Decimal.Value)
  return value
}

/** Checks the operand of an arithmetic operation against the column's kind, as Prisma's input types do. */
function checkOperand(mapper: Mapper, column: ColumnInfo, operation: UpdateOperation, operand: unknown): unknown {
  const refuse = (expected: string) => InvalidRequestError.invalidUpdateValue(mapper.name, column.name, `"${operation}" expects ${expected}`)
  switch (column.scalar) {
    case 'Int':
      if (typeof operand !== 'number' || !Number.isInteger(operand)) throw refuse('an integer')
      return operand
    case 'Float':
      if (typeof operand !== 'number' || !Number.isFinite(operand)) throw refuse('a finite number')
      return operand
    case 'BigInt':
      if (typeof operand === 'bigint') return operand
      if (typeof operand !== 'number' || !Number.isInteger(operand)) throw refuse('a bigint or an integer')
      return BigInt(operand)
    default:
      try {
        if (typeof operand === 'number' || typeof operand === 'string' || Decimal.isDecimal(operand)) return new Decimal(operand as Decimal.Value)
      } catch {
        // Text that is no number: refused below.
      }
      throw refuse('a Decimal, a number or numeric text')
  }
}

/**
 * Checks `values` against `mapper`'s columns and returns its assignments, plus the `@updatedAt`
 * columns it leaves out set to `now` (as Prisma's updateMany does). Unknown names raise
 * `UnmappedError`; a primary-key column, an operation on a column that is no number, two operations
 * in one object or a misspelt one raise `InvalidRequestError` (`invalid_update_value`).
 */
export function parseAssignments(mapper: Mapper, values: Record<string, unknown>, now: Date): Assignment[] {
  if (!isOperandObject(values)) throw InvalidRequestError.invalidUpdateValue(mapper.name, '(values)', 'update() takes an object of column values')
  const assignments: Assignment[] = []
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue
    const column = mapper.findColumn(name)
    if (column === undefined) throw UnmappedError.column(mapper.name, name)
    if (mapper.primaryKey.includes(column)) throw InvalidRequestError.invalidUpdateValue(mapper.name, name, 'a bulk update cannot change primary keys (update those objects one by one)')
    if (!isOperandObject(value) || column.list || column.scalar === 'Json') {
      assignments.push({ column, operation: 'set', operand: normalised(column, value) })
      continue
    }
    const keys = Object.keys(value).filter((key) => value[key] !== undefined)
    const unknown = keys.filter((key) => !OPERATIONS.has(key))
    if (unknown.length > 0 || keys.length !== 1) {
      const known = NUMBER_SCALARS.has(column.scalar) ? [...OPERATIONS].join(', ') : 'set'
      throw InvalidRequestError.invalidUpdateValue(mapper.name, name, `give exactly one operation of ${known}, e.g. { ${name}: { ${NUMBER_SCALARS.has(column.scalar) ? 'increment: 1' : 'set: value'} } }`)
    }
    const operation = keys[0] as UpdateOperation
    const operand = value[operation]
    if (operation === 'set') {
      assignments.push({ column, operation, operand: normalised(column, operand) })
      continue
    }
    if (!NUMBER_SCALARS.has(column.scalar)) throw InvalidRequestError.invalidUpdateValue(mapper.name, name, `"${operation}" works on number columns only (Int, BigInt, Float, Decimal)`)
    assignments.push({ column, operation, operand: checkOperand(mapper, column, operation, operand) })
  }
  for (const column of mapper.columns) {
    if (column.definition.updatedAt && !assignments.some((assignment) => assignment.column === column)) {
      assignments.push({ column, operation: 'set', operand: storedTime(column, now) })
    }
  }
  return assignments
}

/**
 * The SET item of an assignment: `"views" = ?`, or `"views" = "views" + ?`. An integer column's
 * operand is bound as an integer: better-sqlite3 binds every JavaScript number as a REAL, and
 * `"views" / 2.0` would store 3.5 in an Int column where PostgreSQL (and the column's type) divide
 * integers.
 */
export function setItem(assignment: Assignment): readonly [ColumnNode, ValueNode | ArithmeticNode] {
  const { column, operation, operand } = assignment
  const target = sql.column(column.column)
  if (operation === 'set') return [target, sql.value(operand ?? null, column.type)]
  const type = column.scalar === 'Int' ? 'BigInt' : column.type
  return [target, sql.arithmetic(target, ARITHMETIC[operation], sql.value(operand, type))]
}

/** `a / b` of integers as SQL divides them: truncated toward zero. */
function divideIntegers(a: number, b: number): number {
  return Math.trunc(a / b)
}

/**
 * The value the column holds after `assignment`, computed from the value it held (`current`) with
 * the database's arithmetic: NULL stays NULL; integers stay integers (division truncates). Throws
 * `Unevaluatable` where memory cannot be sure to match the database: Decimal arithmetic (numeric
 * precision on PostgreSQL, REAL on SQLite), division by zero (an error on PostgreSQL, NULL on
 * SQLite), a result outside the safe range of its type.
 */
export function assignedValue(assignment: Assignment, current: unknown): unknown {
  const { column, operation, operand } = assignment
  if (operation === 'set') return operand
  if (current === null || current === undefined) return null
  switch (column.scalar) {
    case 'BigInt': {
      const [a, b] = [BigInt(current as bigint), operand as bigint]
      if (operation === 'divide' && b === 0n) throw new Unevaluatable('division by zero')
      return operation === 'increment' ? a + b : operation === 'decrement' ? a - b : operation === 'multiply' ? a * b : a / b
    }
    case 'Int':
    case 'Float': {
      const [a, b] = [current as number, operand as number]
      if (operation === 'divide' && b === 0) throw new Unevaluatable('division by zero')
      const integer = column.scalar === 'Int'
      const result = operation === 'increment' ? a + b : operation === 'decrement' ? a - b : operation === 'multiply' ? a * b : integer ? divideIntegers(a, b) : a / b
      if (integer ? !Number.isSafeInteger(result) : !Number.isFinite(result)) throw new Unevaluatable('a result out of range')
      return result
    }
    default:
      throw new Unevaluatable(`${column.scalar} arithmetic`)
  }
}
