/** Prisma's aggregate arguments (`_count`, `_sum`, `_avg`, `_min`, `_max`) compiled to aggregated columns, and their row read back in Prisma's result shape. */
import type { Decimal } from 'decimal.js'
import type { Decoder, Dialect } from '../dialect/dialect.js'
import { InvalidRequestError } from '../errors.js'
import type { ColumnInfo, Mapper } from '../orm/mapper.js'
import { sql, type AggregateFunction, type ColumnNode, type ScalarType, type SelectNode } from '../sql/nodes.js'

/** The aggregate keys, Prisma's names. */
export const AGGREGATE_KEYS = ['_count', '_sum', '_avg', '_min', '_max'] as const

/** One of {@link AGGREGATE_KEYS}. */
export type AggregateKey = (typeof AGGREGATE_KEYS)[number]

const FUNCTIONS: Readonly<Record<AggregateKey, AggregateFunction>> = { _count: 'count', _sum: 'sum', _avg: 'avg', _min: 'min', _max: 'max' }
const NUMERIC: ReadonlySet<ScalarType> = new Set(['Int', 'BigInt', 'Float', 'Decimal'])
/** Scalar kinds without an order both databases agree on (PostgreSQL has no min(boolean)). */
const UNORDERED: ReadonlySet<ScalarType> = new Set(['Json', 'Bytes', 'Boolean'])

/** Column keys of `C` whose values are numbers (Int, Float), bigints or Decimals: what `_sum` and `_avg` take. */
export type NumericKeys<C> = { [K in keyof C]-?: [NonNullable<C[K]>] extends [number | bigint | Decimal] ? K : never }[keyof C]
/** Column keys of `C` with an order (strings, enums, numbers, Decimals, dates): what `_min` and `_max` take. */
export type OrderedKeys<C> = { [K in keyof C]-?: [NonNullable<C[K]>] extends [string | number | bigint | Decimal | Date] ? K : never }[keyof C]

/** `_count`: `true` for the number of rows, or the columns whose non-null values to count (`_all` for every row). */
export type CountSelect<C> = true | ({ _all?: true } & { [K in keyof C]?: true })

/** What `aggregate()` takes: Prisma's `_count`, `_sum`, `_avg`, `_min`, `_max`, each naming columns with `true`. */
export interface AggregateArgs<C> {
  _count?: CountSelect<C>
  _sum?: { [K in NumericKeys<C>]?: true }
  _avg?: { [K in NumericKeys<C>]?: true }
  _min?: { [K in OrderedKeys<C>]?: true }
  _max?: { [K in OrderedKeys<C>]?: true }
}

/**
 * `A` checked against `S` two levels deep (an aggregate's selection, `{ _sum: { views: true } }`):
 * a key `S` does not have becomes `never`, so it is a compile error where TypeScript's own
 * excess-property check does not reach (an argument inferred into a type parameter).
 */
export type NoExtraKeys<A, S> = {
  [K in keyof A]: K extends keyof S
    ? A[K] extends Record<string, unknown>
      ? { [F in keyof A[K]]: F extends keyof Exclude<NonNullable<S[K]>, boolean | readonly unknown[]> ? A[K][F] : never }
      : A[K]
    : never
}

/** `_sum` of a column of type `V`: a bigint for BigInt, a Decimal for Decimal, else a number; null over no rows (or only NULLs). */
export type SumOf<V> = [NonNullable<V>] extends [bigint] ? bigint | null : [NonNullable<V>] extends [Decimal] ? Decimal | null : number | null
/** `_avg` of a column of type `V`: a Decimal for Decimal, else a float; null over no rows. */
export type AvgOf<V> = [NonNullable<V>] extends [Decimal] ? Decimal | null : number | null

type Picked<A, K extends string> = A extends { [P in K]?: infer S } ? Exclude<S, undefined> : never
type Fields<S> = Exclude<keyof S, number | symbol>

/** The result of `aggregate(A)` over columns `C`: one entry per aggregate asked for, shaped as Prisma's. */
export type AggregateResult<C, A> = {
  [K in keyof A & AggregateKey]: K extends '_count'
    ? Picked<A, '_count'> extends true
      ? number
      : { [F in Fields<Picked<A, '_count'>>]: number }
    : K extends '_sum'
      ? { [F in Fields<Picked<A, '_sum'>> & keyof C]: SumOf<C[F]> }
      : K extends '_avg'
        ? { [F in Fields<Picked<A, '_avg'>> & keyof C]: AvgOf<C[F]> }
        : { [F in Fields<Picked<A, K>> & keyof C]: NonNullable<C[F]> | null }
}

/** One aggregated value: where it goes in the result, and the column it aggregates (none for `count(*)`). */
export interface AggregateItem {
  readonly key: AggregateKey
  /** The result field: a column name, `_all`, or null for `_count: true` (the count is the value itself). */
  readonly field: string | null
  readonly column: ColumnInfo | undefined
  /** `fn(column)` as selected. */
  readonly node: ColumnNode
}

/** The aggregate of `key` over `column` (`count(*)` without one), after checking the column's type takes it. */
export function aggregateItem(mapper: Mapper, key: AggregateKey, column: ColumnInfo | undefined, field: string | null): AggregateItem {
  if (column !== undefined && key !== '_count') {
    const fits = (key === '_sum' || key === '_avg' ? NUMERIC.has(column.scalar) : !UNORDERED.has(column.scalar)) && !column.list
    if (!fits) throw InvalidRequestError.invalidAggregate(key, mapper.name, column.name, column.list ? `${column.scalar}[]` : column.scalar)
  }
  return { key, field, column, node: sql.aggregate(FUNCTIONS[key], column?.node) }
}

function fieldNames(key: string, value: unknown): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw InvalidRequestError.unknownAggregate(key, AGGREGATE_KEYS)
  return Object.entries(value as Record<string, unknown>)
    .filter(([, selected]) => selected !== undefined && selected !== false)
    .map(([name, selected]) => {
      if (selected !== true) throw InvalidRequestError.unknownAggregate(`${key}.${name}`, AGGREGATE_KEYS)
      return name
    })
}

/**
 * The aggregates `args` asks for, in argument order. Keys in `skip` belong to the caller
 * (`groupBy`'s `having`, `orderBy`); any other key that is no aggregate, and any column of the
 * wrong type, is an error.
 */
export function aggregateItems(mapper: Mapper, args: Record<string, unknown>, skip: ReadonlySet<string> = new Set()): AggregateItem[] {
  const items: AggregateItem[] = []
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined || skip.has(key)) continue
    if (!(AGGREGATE_KEYS as readonly string[]).includes(key)) throw InvalidRequestError.unknownAggregate(key, AGGREGATE_KEYS)
    const aggregate = key as AggregateKey
    if (aggregate === '_count' && value === true) {
      items.push(aggregateItem(mapper, aggregate, undefined, null))
      continue
    }
    for (const name of fieldNames(key, value)) {
      const column = aggregate === '_count' && name === '_all' ? undefined : mapper.column(name)
      items.push(aggregateItem(mapper, aggregate, column, name))
    }
  }
  return items
}

/**
 * The statement computing `items` over the rows of `base` (the query's statement). A query with a
 * limit or offset (Prisma's take/skip) is aggregated over those rows only, as `count()` is: its rows
 * (in its order, which decides which ones they are) become a subquery selecting the aggregated columns.
 */
export function aggregateSelect(base: SelectNode, items: readonly AggregateItem[]): SelectNode {
  const selection = { kind: 'columns', columns: items.map((item) => item.node) } as const
  if (base.limit === undefined && base.offset === undefined) return { ...base, selection, orderBy: [] }
  const columns = [...new Set(items.flatMap((item) => (item.column === undefined ? [] : [item.column])))].map((column) => sql.column(column.column))
  const inner: SelectNode = { ...base, selection: columns.length > 0 ? { kind: 'columns', columns } : { kind: 'one' } }
  return { kind: 'select', from: sql.subquery(inner, 't'), selection }
}

/** How an aggregate's value is read: counts as numbers, sums and averages in their own types (see {@link SumOf}), `_min`/`_max` as the column. */
function decoderOf(item: AggregateItem, dialect: Dialect): Decoder {
  const column = item.column
  if (item.key === '_count' || column === undefined) return (raw) => Number(raw)
  if (item.key === '_min' || item.key === '_max') return dialect.decoder(column.type)
  if (column.scalar === 'Decimal') return dialect.decoder('Decimal')
  return dialect.decoder(item.key === '_sum' && column.scalar === 'BigInt' ? 'BigInt' : 'Float')
}

/** A reader of `items` from a row (starting at `offset`) into Prisma's shape: `{ _count: 3, _sum: { views: 10 } }`. */
export function aggregateReader(items: readonly AggregateItem[], dialect: Dialect): (row: readonly unknown[], offset: number) => Record<string, unknown> {
  const decoders = items.map((item) => decoderOf(item, dialect))
  return (row, offset) => {
    const result: Record<string, unknown> = {}
    items.forEach((item, i) => {
      const value = decoders[i](row[offset + i])
      if (item.field === null) result[item.key] = value
      else ((result[item.key] ??= {}) as Record<string, unknown>)[item.field] = value
    })
    return result
  }
}

/** True when reading `items` needs exact integers (a BigInt column's sum, min or max on SQLite). */
export function needsExactIntegers(items: readonly AggregateItem[]): boolean {
  return items.some((item) => item.column?.scalar === 'BigInt' && item.key !== '_count' && item.key !== '_avg')
}
