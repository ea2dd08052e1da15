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

/** The filter accepted for a column of type `V`. */
export type FilterOf<V> = [NonNullable<V>] extends [string] ? StringFilter<NonNullable<V> & string> : ScalarFilter<NonNullable<V>>

/** A typed `where` object over the columns `C` of a model. */
export type WhereInput<C> = {
  [K in keyof C]?: C[K] | FilterOf<C[K]>
} & {
  AND?: WhereInput<C> | readonly WhereInput<C>[]
  OR?: readonly WhereInput<C>[]
  NOT?: WhereInput<C> | readonly WhereInput<C>[]
}

const OPERATORS = new Set(['equals', 'in', 'notIn', 'lt', 'lte', 'gt', 'gte', 'not', 'contains', 'startsWith', 'endsWith'])
const COMPARISONS = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const

/** True for a plain object whose keys are all filter operators (so Dates, Decimals, bytes and JSON values are values). */
function isFilter(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  if (value instanceof Date || value instanceof Uint8Array || Decimal.isDecimal(value)) return false
  const keys = Object.keys(value)
  return keys.length > 0 && keys.every((key) => OPERATORS.has(key))
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
        if (!Array.isArray(operand)) throw InvalidRequestError.badArgument(`"${column.name}.${operator}" expects an array.`)
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
        if (typeof operand !== 'string') throw InvalidRequestError.badArgument(`"${column.name}.${operator}" expects a string.`)
        const text = escapeLike(operand)
        const pattern = operator === 'contains' ? `%${text}%` : operator === 'startsWith' ? `${text}%` : `%${text}`
        conditions.push(sql.like(column.node, sql.value(pattern, 'String')))
        break
      }
      case 'not':
        conditions.push(isFilter(operand) ? sql.not(sql.and(columnFilter(column, operand))) : equality(column, operand, true))
        break
    }
  }
  return conditions
}

function logicalOperands(mapper: Mapper, operand: unknown, key: string): ConditionNode[] {
  const list = Array.isArray(operand) ? operand : [operand]
  return list.map((item) => {
    if (item === null || typeof item !== 'object') throw InvalidRequestError.badArgument(`"${key}" expects where objects.`)
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
      if (isFilter(value)) conditions.push(...columnFilter(column, value))
      else conditions.push(equality(column, value, false))
    }
  }
  return sql.and(conditions)
}
