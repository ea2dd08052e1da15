/** Prisma-style `where` objects (equals, in, lt, contains, AND/OR/NOT, ...) compiled to condition nodes. */
import { Decimal } from 'decimal.js'
import { InvalidRequestError, UnmappedError } from '../errors.js'
import type { ColumnInfo, Mapper, Relationship } from '../orm/mapper.js'
import type { ColumnsOf, RelationsOf } from '../orm/model.js'
import { sql, type ColumnNode, type ColumnType, type ConditionNode } from '../sql/nodes.js'
import { columnOf, relatedAliases, relatedExists } from './relation-filter.js'

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

/**
 * A typed `where` object over the columns `C` of a model and its relationships `R` (name to related
 * model, an array for a to-many, as `RelationsOf` gives them): each relationship takes a
 * {@link RelationFilterOf} filter.
 */
export type WhereInput<C, R = object> = {
  [K in keyof C]?: C[K] | FilterOf<C[K]>
} & {
  [K in keyof R]?: RelationFilterOf<R[K]>
} & {
  AND?: WhereInput<C, R> | readonly WhereInput<C, R>[]
  OR?: readonly WhereInput<C, R>[]
  NOT?: WhereInput<C, R> | readonly WhereInput<C, R>[]
}

/** The `where` object of model `M`: its columns and, through {@link RelationFilterOf}, its relationships. */
export type ModelWhereInput<M> = WhereInput<ColumnsOf<M>, RelationsOf<M>>

/**
 * Prisma's filter of a to-many relationship: `some` related row matches, `every` one does (true
 * for an owner without any), `none` does. `some: {}` means at least one, `none: {}` none at all.
 */
export interface ToManyFilter<M> {
  some?: ModelWhereInput<M>
  every?: ModelWhereInput<M>
  none?: ModelWhereInput<M>
}

/**
 * Prisma's filter of a required to-one relationship: `is` (the related row matches), `isNot` (it
 * does not), or the related model's where object itself, short for `is`.
 */
export type ToOneFilter<M> = { is?: ModelWhereInput<M>; isNot?: ModelWhereInput<M> } | ModelWhereInput<M>

/** Prisma's filter of an optional to-one relationship: as {@link ToOneFilter}, and `null` (`is: null`) for no related row. */
export type NullableToOneFilter<M> = { is?: ModelWhereInput<M> | null; isNot?: ModelWhereInput<M> | null } | ModelWhereInput<M> | null

/**
 * The filter accepted for a relationship whose related model is `V` (`X[]` for a to-many, `X | null`
 * for an optional to-one); anything for a model typed `any` (classes loaded at run time).
 */
export type RelationFilterOf<V> = 0 extends 1 & V
  ? any
  : [NonNullable<V>] extends [readonly (infer M)[]]
    ? ToManyFilter<M>
    : null extends V
      ? NullableToOneFilter<NonNullable<V>>
      : ToOneFilter<V>

/**
 * Where a where object is compiled: how its model's columns are qualified, and how deep in
 * correlated subqueries it sits (not exported from an entry point, but named by public declarations).
 */
export interface WhereScope {
  /** The alias qualifying the model's columns; undefined at the top, where they stay unqualified. */
  readonly alias?: string
  /** The number of subqueries around: a relation filter here reads its rows as `t<depth + 1>` (see `relatedAliases`). */
  readonly depth: number
}

const TOP: WhereScope = Object.freeze({ depth: 0 })

const OPERATORS: ReadonlySet<string> = new Set(['equals', 'in', 'notIn', 'lt', 'lte', 'gt', 'gte', 'not', 'contains', 'startsWith', 'endsWith'])
const LIST_OPERATORS: ReadonlySet<string> = new Set(['equals', 'has', 'hasSome', 'hasEvery', 'isEmpty'])
/** The SQL operator of each ordering filter operator (also `having`'s, in group-by.ts). @internal */
export const COMPARISONS = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const
const TO_ONE_OPERATORS: ReadonlySet<string> = new Set(['is', 'isNot'])
const TO_MANY_OPERATORS: ReadonlySet<string> = new Set(['some', 'every', 'none'])

/**
 * True for an object that is not a value of some scalar kind (a Date, a Decimal, bytes or an array):
 * a filter, a where object, or an update's atomic operation. @internal
 */
export function isOperandObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  return !(value instanceof Date || value instanceof Uint8Array || Decimal.isDecimal(value))
}

/** True for a non-empty {@link isOperandObject}. */
function isKeyedObject(value: unknown): value is Record<string, unknown> {
  return isOperandObject(value) && Object.keys(value).length > 0
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
function listFilter(column: ColumnInfo, node: ColumnNode, filter: Record<string, unknown>): ConditionNode[] {
  const conditions: ConditionNode[] = []
  for (const [operator, operand] of Object.entries(filter)) {
    if (operand === undefined) continue
    switch (operator) {
      case 'equals':
        conditions.push(operand === null ? sql.isNull(node) : sql.binary(node, '=', sql.value(listOperand(column, operator, operand), column.type)))
        break
      case 'has':
        conditions.push(sql.binary(node, '@>', sql.value([operand], column.type)))
        break
      case 'hasEvery':
      case 'hasSome':
        conditions.push(sql.binary(node, operator === 'hasSome' ? '&&' : '@>', sql.value(listOperand(column, operator, operand), column.type)))
        break
      case 'isEmpty':
        if (typeof operand !== 'boolean') throw InvalidRequestError.invalidFilterOperand(column.name, operator, 'true or false')
        conditions.push(sql.binary(node, operand ? '=' : '<>', sql.value([], column.type)))
        break
    }
  }
  return conditions
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`)
}

/** `node = value` (`<>` when `negated`) with the value bound as `type`; `IS [NOT] NULL` for null. Also `having`'s (group-by.ts). @internal */
export function equality(type: ColumnType, node: ColumnNode, value: unknown, negated: boolean): ConditionNode {
  if (value === null) return sql.isNull(node, negated)
  return sql.binary(node, negated ? '<>' : '=', sql.value(value, type))
}

function columnFilter(column: ColumnInfo, node: ColumnNode, filter: Record<string, unknown>): ConditionNode[] {
  const conditions: ConditionNode[] = []
  for (const [operator, operand] of Object.entries(filter)) {
    if (operand === undefined) continue
    switch (operator) {
      case 'equals':
        conditions.push(equality(column.type, node, operand, false))
        break
      case 'in':
      case 'notIn': {
        if (!Array.isArray(operand)) throw InvalidRequestError.invalidFilterOperand(column.name, operator, 'an array')
        conditions.push(sql.in(node, operand.map((item) => sql.value(item, column.type)), operator === 'notIn'))
        break
      }
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte':
        conditions.push(sql.binary(node, COMPARISONS[operator], sql.value(operand, column.type)))
        break
      case 'contains':
      case 'startsWith':
      case 'endsWith': {
        if (typeof operand !== 'string') throw InvalidRequestError.invalidFilterOperand(column.name, operator, 'a string')
        const text = escapeLike(operand)
        const pattern = operator === 'contains' ? `%${text}%` : operator === 'startsWith' ? `${text}%` : `%${text}`
        conditions.push(sql.like(node, sql.value(pattern, 'String'), { mode: operator, text: operand }))
        break
      }
      case 'not':
        conditions.push(isFilter(operand, OPERATORS) ? sql.not(sql.and(columnFilter(column, node, operand))) : equality(column.type, node, operand, true))
        break
    }
  }
  return conditions
}

function logicalOperands(mapper: Mapper, operand: unknown, key: string, scope: WhereScope): ConditionNode[] {
  const list = Array.isArray(operand) ? operand : [operand]
  return list.map((item) => {
    if (item === null || typeof item !== 'object') throw InvalidRequestError.invalidLogicalOperand(key)
    return compileWhere(mapper, item as Record<string, unknown>, scope)
  })
}

/** `[NOT] EXISTS` over the rows `relationship` relates to the scope's row, matching `where` (every row when undefined). */
function exists(relationship: Relationship, scope: WhereScope, where: Record<string, unknown> | undefined, negated: boolean, negateWhere = false): ConditionNode {
  const depth = scope.depth + 1
  const owner = scope.alias ?? relationship.parent.table
  const aliases = relatedAliases('subquery', depth, owner)
  let condition = where === undefined ? undefined : compileWhere(relationship.mapper, where, { alias: aliases.alias, depth })
  if (condition !== undefined && negateWhere) condition = sql.not(condition)
  return relatedExists(relationship, owner, aliases, condition, negated)
}

/**
 * No related row: the foreign key IS NULL on the side that holds it (as Prisma compiles it), NOT
 * EXISTS on the other side.
 */
function noRelated(relationship: Relationship, scope: WhereScope): ConditionNode {
  if (!relationship.ownsForeignKey) return exists(relationship, scope, undefined, true)
  return sql.or(relationship.local.map((column) => sql.isNull(columnOf(column, scope.alias))))
}

/** A where object given to a relation filter: a non-null object that is no array. */
function relatedWhere(relationship: Relationship, operand: unknown): Record<string, unknown> {
  if (operand === null || typeof operand !== 'object' || Array.isArray(operand)) {
    throw InvalidRequestError.invalidRelationFilter(relationship.parent.name, relationship.name, relationship.mapper.name, relationship.uselist)
  }
  return operand as Record<string, unknown>
}

/**
 * A relation filter, as Prisma reads it: `some`/`every`/`none` on a to-many; `is`/`isNot` (a
 * where object, or null for an optional one), a where object (short for `is`) or null on a to-one.
 * Each becomes a correlated `[NOT] EXISTS` (never a join, so no row is repeated); `every` is
 * `NOT EXISTS` of a related row that fails the filter, so it holds for an owner with no related row.
 */
function relationFilter(relationship: Relationship, value: Record<string, unknown> | null, scope: WhereScope): ConditionNode[] {
  const operators = relationship.uselist ? TO_MANY_OPERATORS : TO_ONE_OPERATORS
  const keys = value === null ? [] : Object.keys(value)
  if (relationship.uselist && (value === null || !keys.every((key) => operators.has(key)))) {
    throw InvalidRequestError.invalidRelationFilter(relationship.parent.name, relationship.name, relationship.mapper.name, true)
  }
  if (value === null) return [noRelated(relationship, scope)]
  // A to-one given a where object of its own model: short for `is` (Prisma's shorthand). `{}` filters nothing.
  if (!keys.every((key) => operators.has(key))) return [exists(relationship, scope, value, false)]
  const conditions: ConditionNode[] = []
  for (const [operator, operand] of Object.entries(value)) {
    if (operand === undefined) continue
    if (operand === null && !relationship.uselist) {
      conditions.push(operator === 'is' ? noRelated(relationship, scope) : sql.not(noRelated(relationship, scope)))
      continue
    }
    const where = relatedWhere(relationship, operand)
    const unfiltered = Object.values(where).every((item) => item === undefined)
    switch (operator) {
      case 'is':
      case 'some':
        conditions.push(exists(relationship, scope, unfiltered ? undefined : where, false))
        break
      case 'isNot':
      case 'none':
        conditions.push(exists(relationship, scope, unfiltered ? undefined : where, true))
        break
      case 'every':
        // Every related row passes an empty filter, including none at all.
        if (!unfiltered) conditions.push(exists(relationship, scope, where, true, true))
        break
    }
  }
  return conditions
}

/**
 * Compiles a Prisma-style where object for `mapper` into one condition. Keys are columns,
 * relationships (relation filters, see {@link RelationFilterOf}) or AND/OR/NOT; anything else is
 * an `UnmappedError` naming the model's columns and relationships. `scope` places it inside a
 * relation filter's subquery; at the top its columns stay unqualified and relation filters
 * correlate with the model's table by name (so the condition also fits an UPDATE or DELETE).
 */
export function compileWhere(mapper: Mapper, where: Record<string, unknown>, scope: WhereScope = TOP): ConditionNode {
  const conditions: ConditionNode[] = []
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue
    if (key === 'AND') conditions.push(sql.and(logicalOperands(mapper, value, key, scope)))
    else if (key === 'OR') conditions.push(sql.or(logicalOperands(mapper, value, key, scope)))
    else if (key === 'NOT') conditions.push(sql.not(sql.and(logicalOperands(mapper, value, key, scope))))
    else {
      const column = mapper.findColumn(key)
      if (column === undefined) {
        const relationship = mapper.relationships.get(key)
        if (relationship === undefined) throw UnmappedError.whereField(mapper.name, key, mapper.columns.map((c) => c.name), [...mapper.relationships.keys()])
        if (value !== null && (typeof value !== 'object' || Array.isArray(value))) {
          throw InvalidRequestError.invalidRelationFilter(mapper.name, key, relationship.mapper.name, relationship.uselist)
        }
        conditions.push(...relationFilter(relationship, value as Record<string, unknown> | null, scope))
        continue
      }
      const node = columnOf(column, scope.alias)
      if (column.list) {
        if (Array.isArray(value)) conditions.push(sql.binary(node, '=', sql.value(value, column.type)))
        else if (isFilter(value, LIST_OPERATORS)) conditions.push(...listFilter(column, node, value))
        else throw InvalidRequestError.invalidListFilter(column.name, LIST_OPERATORS)
      } else if (isFilter(value, OPERATORS)) conditions.push(...columnFilter(column, node, value))
      else if (column.scalar !== 'Json' && isKeyedObject(value)) {
        // Only a Json column takes an object as a value: elsewhere it is a filter with a misspelt operator.
        const unknown = Object.keys(value).filter((operator) => !OPERATORS.has(operator))
        throw InvalidRequestError.unknownFilterOperator(column.name, unknown, OPERATORS)
      } else conditions.push(equality(column.type, node, value, false))
    }
  }
  return sql.and(conditions)
}
