/** Prisma's groupBy: grouped columns with their aggregates, `having` on groups (aggregates in Prisma's shape) and `orderBy` on grouped columns or aggregates. */
import type { Dialect } from '../dialect/dialect.js'
import { InvalidRequestError } from '../errors.js'
import type { Mapper } from '../orm/mapper.js'
import { sql, type ColumnType, type ConditionNode, type OrderByNode, type SelectNode } from '../sql/nodes.js'
import {
  AGGREGATE_KEYS,
  aggregateItem,
  aggregateItems,
  aggregateReader,
  needsExactIntegers,
  type AggregateArgs,
  type AggregateItem,
  type AggregateKey,
  type AggregateResult,
  type AvgOf,
  type NumericKeys,
  type OrderedKeys,
  type SumOf,
} from './aggregate.js'
import { COMPARISONS, compileWhere, equality, type FilterOf, type ScalarFilter } from './where.js'

/** A sort direction (`SortOrder` of `query.ts`, which imports this module). */
type SortOrder = OrderByNode['direction']

/** Filters on a column's aggregates in `having`, Prisma's shape: `{ views: { _sum: { gt: 100 } } }`. */
export interface AggregateFilters<V> {
  _count?: number | ScalarFilter<number>
  _sum?: NonNullable<SumOf<V>> | ScalarFilter<NonNullable<SumOf<V>>>
  _avg?: NonNullable<AvgOf<V>> | ScalarFilter<NonNullable<AvgOf<V>>>
  _min?: NonNullable<V> | ScalarFilter<NonNullable<V>>
  _max?: NonNullable<V> | ScalarFilter<NonNullable<V>>
}

/** `having` over columns `C` grouped by `B`: aggregate filters on any column, plain filters on grouped ones, and AND/OR/NOT. */
export type HavingInput<C, B extends keyof C> = {
  [K in keyof C]?: K extends B ? C[K] | (FilterOf<C[K]> & AggregateFilters<C[K]>) : AggregateFilters<C[K]>
} & {
  AND?: HavingInput<C, B> | readonly HavingInput<C, B>[]
  OR?: readonly HavingInput<C, B>[]
  NOT?: HavingInput<C, B> | readonly HavingInput<C, B>[]
}

/** One `orderBy` entry of `groupBy`: a grouped column, or an aggregate (`{ _sum: { views: 'desc' } }`). */
export type GroupOrderByInput<C, B extends keyof C> = { [K in B]?: SortOrder } & {
  _count?: { [K in keyof C]?: SortOrder }
  _sum?: { [K in NumericKeys<C>]?: SortOrder }
  _avg?: { [K in NumericKeys<C>]?: SortOrder }
  _min?: { [K in OrderedKeys<C>]?: SortOrder }
  _max?: { [K in OrderedKeys<C>]?: SortOrder }
}

/** What `groupBy(by, args)` takes besides `by`: Prisma's aggregates, `having` and `orderBy`. */
export interface GroupByArgs<C, B extends keyof C> extends AggregateArgs<C> {
  having?: HavingInput<C, B>
  orderBy?: GroupOrderByInput<C, B> | readonly GroupOrderByInput<C, B>[]
}

/** One group: its grouped columns' values and the aggregates asked for. */
export type GroupByResult<C, B extends keyof C, A> = { [K in B]: C[K] } & AggregateResult<C, A> extends infer R ? { [K in keyof R]: R[K] } : never

const OWN_KEYS: ReadonlySet<string> = new Set(['having', 'orderBy'])
const FILTER_OPERATORS = ['equals', 'in', 'notIn', 'lt', 'lte', 'gt', 'gte', 'not']

/** True for an object literal (a filter), not a value such as a Date or a Decimal. */
function isFilterObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype
}

/** The type an aggregate's value is bound as when compared: its result's type. */
function resultType(item: AggregateItem): ColumnType {
  const column = item.column
  if (item.key === '_count' || column === undefined) return 'Int'
  if (item.key === '_min' || item.key === '_max' || column.scalar === 'Decimal') return column.type
  return item.key === '_avg' ? 'Float' : column.type
}

/** The conditions of one aggregate's filter: a value (equality) or Prisma's scalar operators. */
function aggregateConditions(item: AggregateItem, filter: unknown): ConditionNode[] {
  const type = resultType(item)
  if (!isFilterObject(filter)) return [equality(type, item.node, filter, false)]
  return Object.entries(filter)
    .filter(([, operand]) => operand !== undefined)
    .map(([operator, operand]): ConditionNode => {
      switch (operator) {
        case 'equals':
          return equality(type, item.node, operand, false)
        case 'not':
          return isFilterObject(operand) ? sql.not(sql.and(aggregateConditions(item, operand))) : equality(type, item.node, operand, true)
        case 'in':
        case 'notIn':
          if (!Array.isArray(operand)) throw InvalidRequestError.invalidFilterOperand(`${item.key}.${item.field}`, operator, 'an array')
          return sql.in(
            item.node,
            operand.map((value) => sql.value(value, type)),
            operator === 'notIn',
          )
        case 'lt':
        case 'lte':
        case 'gt':
        case 'gte':
          return sql.binary(item.node, COMPARISONS[operator], sql.value(operand, type))
        default:
          throw InvalidRequestError.unknownFilterOperator(`${item.key}.${item.field}`, [operator], FILTER_OPERATORS)
      }
    })
}

/** Compiles `having`: aggregate filters on any column, plain filters (as in `where`) on grouped columns only. */
function havingCondition(mapper: Mapper, by: ReadonlySet<string>, having: Record<string, unknown>): ConditionNode {
  const conditions: ConditionNode[] = []
  for (const [key, value] of Object.entries(having)) {
    if (value === undefined) continue
    if (key === 'AND' || key === 'OR' || key === 'NOT') {
      const operands = (Array.isArray(value) ? value : [value]).map((item) => {
        if (!isFilterObject(item)) throw InvalidRequestError.invalidLogicalOperand(key)
        return havingCondition(mapper, by, item)
      })
      conditions.push(key === 'OR' ? sql.or(operands) : key === 'AND' ? sql.and(operands) : sql.not(sql.and(operands)))
      continue
    }
    const column = mapper.column(key)
    const plain: Record<string, unknown> = {}
    if (isFilterObject(value) && Object.keys(value).some((operator) => (AGGREGATE_KEYS as readonly string[]).includes(operator))) {
      for (const [operator, operand] of Object.entries(value)) {
        if ((AGGREGATE_KEYS as readonly string[]).includes(operator)) {
          if (operand !== undefined) conditions.push(...aggregateConditions(aggregateItem(mapper, operator as AggregateKey, column, column.name), operand))
        } else plain[operator] = operand
      }
      if (Object.keys(plain).length === 0) continue
    }
    if (!by.has(key)) throw InvalidRequestError.notGrouped(key, 'having')
    conditions.push(compileWhere(mapper, { [key]: Object.keys(plain).length > 0 ? plain : value }))
  }
  return sql.and(conditions)
}

function direction(name: string, value: unknown): SortOrder {
  if (value !== 'asc' && value !== 'desc') throw InvalidRequestError.invalidSortOrder(name)
  return value
}

/** Compiles `orderBy`: grouped columns, or aggregates of any column (`{ _count: { id: 'desc' } }`). */
function groupOrder(mapper: Mapper, by: ReadonlySet<string>, orderBy: unknown): OrderByNode[] {
  const items: OrderByNode[] = []
  for (const entry of Array.isArray(orderBy) ? orderBy : [orderBy]) {
    for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
      if (value === undefined) continue
      if ((AGGREGATE_KEYS as readonly string[]).includes(key)) {
        if (!isFilterObject(value)) throw InvalidRequestError.invalidSortOrder(key)
        for (const [field, order] of Object.entries(value)) {
          items.push(sql.orderBy(aggregateItem(mapper, key as AggregateKey, mapper.column(field), field).node, direction(`${key}.${field}`, order)))
        }
      } else {
        if (!by.has(key)) throw InvalidRequestError.notGrouped(key, 'orderBy')
        items.push(sql.orderBy(mapper.column(key).node, direction(key, value)))
      }
    }
  }
  return items
}

/** A compiled `groupBy`: its statement, whether it needs exact integers, and the reader of its rows. */
export interface GroupByPlan {
  readonly node: SelectNode
  readonly exactIntegers: boolean
  read(rows: readonly (readonly unknown[])[], dialect: Dialect): Record<string, unknown>[]
}

/**
 * Compiles `groupBy(by, args)` over the query statement `base`: its filters stay the WHERE; its
 * own order is replaced by `args.orderBy` (columns outside `by` cannot order groups); its limit
 * and offset apply to the groups, as Prisma's take/skip do in groupBy.
 */
export function groupByPlan(mapper: Mapper, base: SelectNode, by: readonly string[], args: Record<string, unknown>): GroupByPlan {
  if (by.length === 0) throw InvalidRequestError.notGrouped(undefined, 'by')
  const grouped = by.map((name) => mapper.column(name))
  const byNames = new Set(by)
  const items = aggregateItems(mapper, args, OWN_KEYS)
  const having = isFilterObject(args.having) && Object.keys(args.having).length > 0 ? havingCondition(mapper, byNames, args.having) : undefined
  const node: SelectNode = {
    ...base,
    selection: { kind: 'columns', columns: [...grouped.map((column) => column.node), ...items.map((item) => item.node)] },
    groupBy: grouped.map((column) => sql.column(column.column)),
    having,
    orderBy: args.orderBy === undefined ? [] : groupOrder(mapper, byNames, args.orderBy),
  }
  return {
    node,
    exactIntegers: grouped.some((column) => column.scalar === 'BigInt') || needsExactIntegers(items),
    read(rows, dialect) {
      const decoders = grouped.map((column) => dialect.decoder(column.type))
      const aggregates = aggregateReader(items, dialect)
      return rows.map((row) => {
        const group: Record<string, unknown> = {}
        grouped.forEach((column, i) => (group[column.name] = decoders[i](row[i])))
        return Object.assign(group, aggregates(row, grouped.length))
      })
    },
  }
}
