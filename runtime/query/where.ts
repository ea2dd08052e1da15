/** Prisma-style `where` objects (equals, in, lt, contains, AND/OR/NOT, ...) compiled to condition nodes. */
import { Decimal } from 'decimal.js'
import { InvalidRequestError } from '../errors.js'
import type { ColumnInfo, Mapper } from '../orm/mapper.js'
import { sql, type ConditionNode } from '../sql/nodes.js'

/** Operators of a scalar filter. */
export interface ScalarFilter<V> {
  equals?: V | null
  in?: readonly V[]
  notIn?: readonly V[]
  lt?: V
  lte?: V
  gt?: V
  gte?: V
  not?: V | null | ScalarFilter<V>
}

/** Operators of a string filter: the scalar ones plus LIKE-based matching (case-insensitive for ASCII on SQLite, as in Prisma). */
export interface StringFilter<V extends string = string> extends Omit<ScalarFilter<V>, 'not'> {
  contains?: string
  startsWith?: string
  endsWith?: string
  not?: V | null | StringFilter<V>
}

/**
 * Operators of a scalar list filter (PostgreSQL arrays), as Prisma has them: `has` one value,
 * `hasSome`/`hasEvery` of several, `isEmpty`, and `equals` the whole list (in order).
 */
export interface ListFilter<E> {
  equals?: readonly E[] | null
  has?: E
  hasSome?: readonly E[]
  hasEvery?: readonly E[]
  isEmpty?: boolean
}

/** The filter accepted for a column of type `V`. */
export type FilterOf<V> = [NonNullable<V>] extends [readonly (infer E)[]]
  ? ListFilter<E>
  : [NonNullable<V>] extends [string]
    ? StringFilter<NonNullable<V> & string>
    : ScalarFilter<NonNullable<V>>

/** A typed `where` object over the columns `C` of a model. */
export type WhereInput<C> = {
  [K in keyof C]?: C[K] | FilterOf<C[K]>
} & {
  AND?: WhereInput<C> | readonly WhereInput<C>[]
  OR?: readonly WhereInput<C>[]
  NOT?: WhereInput<C> | readonly WhereInput<C>[]
}

const OPERATORS: ReadonlySet<string> = new Set(['equals', 'in', 'notIn', 'lt', 'lte', 'gt', 'gte', 'not', 'contains', 'startsWith', 'endsWith'])
const LIST_OPERATORS: ReadonlySet<string> = new Set(['equals', 'has', 'hasSome', 'hasEvery', 'isEmpty'])
const COMPARISONS = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const

/** True for a non-empty object that is not a value of some scalar kind (a Date, a Decimal, bytes or an array). */
function isKeyedObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  if (value instanceof Date || value instanceof Uint8Array || Decimal.isDecimal(value)) return false
  return Object.keys(value).length > 0
}

/** True for a plain object whose keys are all filter operators of the column (so Dates, Decimals, bytes and JSON values are values). */
function isFilter(value: unknown, operators: ReadonlySet<string>): value is Record<string, unknown> {
  return isKeyedObject(value) && Object.keys(value).every((key) => operators.has(key))
}

/** The operand of `hasSome`/`hasEvery`/`equals` on a list column: an array. */
function listOperand(column: ColumnInfo, operator: string, operand: unknown): readonly unknown[] {
  if (!Array.isArray(operand)) throw InvalidRequestError.invalidFilterOperand(column.name, operator, 'an array')
  return operand
}

/**
 * A list column's filter, compiled as PrismaClient compiles it: `has`/`hasEvery` as `@>` (contains),
 * `hasSome` as `&&` (overlaps), `isEmpty` and `equals` as `=` to an array (NULL, which PrismaClient
 * also reads as an empty list, matches neither).
 */
function listFilter(column: ColumnInfo, filter: Record<string, unknown>): ConditionNode[] {
  const conditions: ConditionNode[] = []
  for (const [operator, operand] of Object.entries(filter)) {
    if (operand === undefined) continue
    switch (operator) {
      case 'equals':
        conditions.push(operand === null ? sql.isNull(column.node) : sql.binary(column.node, '=', sql.value(listOperand(column, operator, operand), column.type)))
        break
      case 'has':
        conditions.push(sql.binary(column.node, '@>', sql.value([operand], column.type)))
        break
      case 'hasEvery':
      case 'hasSome':
        conditions.push(sql.binary(column.node, operator === 'hasSome' ? '&&' : '@>', sql.value(listOperand(column, operator, operand), column.type)))
        break
      case 'isEmpty':
        if (typeof operand !== 'boolean') throw InvalidRequestError.invalidFilterOperand(column.name, operator, 'true or false')
        conditions.push(sql.binary(column.node, operand ? '=' : '<>', sql.value([], column.type)))
        break
    }
  }
  return conditions
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`)
}

function equality(column: ColumnInfo, value: unknown, negated: boolean): ConditionNode {
  if (value === null) return sql.isNull(column.node, negated)
  return sql.binary(column.node, negated ? '<>' : '=', sql.value(value, column.type))
}

function columnFilter(column: ColumnInfo, filter: Record<string, unknown>): ConditionNode[] {
  const conditions: ConditionNode[] = []
  for (const [operator, operand] of Object.entries(filter)) {
    if (operand === undefined) continue
    switch (operator) {
      case 'equals':
        conditions.push(equality(column, operand, false))
        break
      case 'in':
      case 'notIn': {
        if (!Array.isArray(operand)) throw InvalidRequestError.invalidFilterOperand(column.name, operator, 'an array')
        conditions.push(sql.in(column.node, operand.map((item) => sql.value(item, column.type)), operator === 'notIn'))
        break
      }
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte':
        conditions.push(sql.binary(column.node, COMPARISONS[operator], sql.value(operand, column.type)))
        break
      case 'contains':
      case 'startsWith':
      case 'endsWith': {
        if (typeof operand !== 'string') throw InvalidRequestError.invalidFilterOperand(column.name, operator, 'a string')
        const text = escapeLike(operand)
        const pattern = operator === 'contains' ? `%${text}%` : operator === 'startsWith' ? `${text}%` : `%${text}`
        conditions.push(sql.like(column.node, sql.value(pattern, 'String'), { mode: operator, text: operand }))
        break
      }
      case 'not':
        conditions.push(isFilter(operand, OPERATORS) ? sql.not(sql.and(columnFilter(column, operand))) : equality(column, operand, true))
        break
    }
  }
  return conditions
}

function logicalOperands(mapper: Mapper, operand: unknown, key: string): ConditionNode[] {
  const list = Array.isArray(operand) ? operand : [operand]
  return list.map((item) => {
    if (item === null || typeof item !== 'object') throw InvalidRequestError.invalidLogicalOperand(key)
    return compileWhere(mapper, item as Record<string, unknown>)
  })
}

/** Compiles a Prisma-style where object for `mapper` into one condition. Unknown fields are an error. */
export function compileWhere(mapper: Mapper, where: Record<string, unknown>): ConditionNode {
  const conditions: ConditionNode[] = []
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue
    if (key === 'AND') conditions.push(sql.and(logicalOperands(mapper, value, key)))
    else if (key === 'OR') conditions.push(sql.or(logicalOperands(mapper, value, key)))
    else if (key === 'NOT') conditions.push(sql.not(sql.and(logicalOperands(mapper, value, key))))
    else {
      const column = mapper.column(key)
      if (column.list) {
        if (Array.isArray(value)) conditions.push(sql.binary(column.node, '=', sql.value(value, column.type)))
        else if (isFilter(value, LIST_OPERATORS)) conditions.push(...listFilter(column, value))
        else throw InvalidRequestError.invalidListFilter(column.name, LIST_OPERATORS)
      } else if (isFilter(value, OPERATORS)) conditions.push(...columnFilter(column, value))
      else if (column.scalar !== 'Json' && isKeyedObject(value)) {
        // Only a Json column takes an object as a value: elsewhere it is a filter with a misspelt operator.
        const unknown = Object.keys(value).filter((operator) => !OPERATORS.has(operator))
        throw InvalidRequestError.unknownFilterOperator(column.name, unknown, OPERATORS)
      } else conditions.push(equality(column, value, false))
    }
  }
  return sql.and(conditions)
}
