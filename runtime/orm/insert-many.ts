/** `session.insertMany(Model, rows)`: plain rows written with multi-row INSERTs, no objects (SQLAlchemy's bulk `insert(User)` with a list, Prisma's createMany). */
import { InvalidRequestError, UnmappedError } from '../errors.js'
import type { InsertNode } from '../sql/nodes.js'
import { sql } from '../sql/nodes.js'
import type { ColumnInfo, Mapper } from './mapper.js'
import type { ColumnsOf, Model } from './model.js'
import type { FlushContext } from './session-context.js'
import { stateOf } from './state.js'
import { unsetColumnValue } from './unit-of-work/client-defaults.js'
import { rowsPerInsert } from './unit-of-work/persistence.js'

/** What a model's constructor accepts. */
type InitOf<T> = T extends Model<unknown, infer I, unknown, unknown> ? I : never

/** One row of `session.insertMany(Model, rows)`: column values only, each optional as in the model's constructor (Prisma's `createMany` data). */
export type InsertRow<T> = 0 extends 1 & T ? Record<string, unknown> : Pick<InitOf<T>, keyof InitOf<T> & keyof ColumnsOf<T>>

/** Options of `session.insertMany()`. */
export interface InsertManyOptions {
  /** Skips rows that would violate a unique constraint (`ON CONFLICT DO NOTHING`, Prisma's `skipDuplicates`); they are not counted. */
  readonly skipDuplicates?: boolean
}

/** The column values of one row, checked; unset columns take what an INSERT of a new object would send. */
function rowValues(mapper: Mapper, row: unknown, index: number, now: Date): Map<ColumnInfo, unknown> {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) throw InvalidRequestError.invalidInsertRow(mapper.name, index, 'expected an object of column values')
  if (stateOf(row) !== undefined) throw InvalidRequestError.invalidInsertRow(mapper.name, index, 'expected plain column values, got a model object (add objects with session.add() or addAll())')
  const given = row as Record<string, unknown>
  for (const key of Object.keys(given)) {
    if (mapper.findColumn(key) !== undefined || given[key] === undefined) continue
    const relationship = mapper.relationships.get(key)
    if (relationship === undefined) throw UnmappedError.column(mapper.name, key)
    const hint = relationship.ownsForeignKey ? `give its foreign key (${relationship.local.map((column) => column.name).join(', ')}) instead` : 'insert those rows on their own'
    throw InvalidRequestError.invalidInsertRow(mapper.name, index, `"${key}" is a relationship; ${hint}`)
  }
  const values = new Map<ColumnInfo, unknown>()
  for (const column of mapper.columns) {
    const value = given[column.name] !== undefined ? given[column.name] : unsetColumnValue(column, now)
    if (value !== undefined) values.set(column, value)
  }
  return values
}

/**
 * Inserts `rows` of `mapper`'s table with one multi-row INSERT per batch (rows grouped by the
 * columns they set; batches kept under the dialect's bind-parameter limit, as the unit of work
 * batches) and returns how many rows were inserted. Unset columns take Prisma Client's client-side
 * values (`now()`, `uuid()`, `cuid()`, `@updatedAt`, constants, NULL), so the rows read back as
 * PrismaClient's `createMany` would have written them. No object enters the identity map. The
 * statements run in the session's transaction: a rollback undoes them.
 * @internal
 */
export async function insertMany(ctx: FlushContext, mapper: Mapper, rows: readonly unknown[], options: InsertManyOptions): Promise<number> {
  const now = new Date()
  const shapes = new Map<string, { columns: ColumnInfo[]; rows: Map<ColumnInfo, unknown>[] }>()
  rows.forEach((row, index) => {
    const values = rowValues(mapper, row, index, now)
    let shape = ''
    for (const column of mapper.columns) shape += values.has(column) ? '1' : '0'
    let group = shapes.get(shape)
    if (group === undefined) {
      group = { columns: mapper.columns.filter((column) => values.has(column)), rows: [] }
      shapes.set(shape, group)
    }
    group.rows.push(values)
  })
  if (shapes.size === 0) return 0
  ctx.routing.pin()
  let inserted = 0
  for (const { columns, rows: group } of shapes.values()) {
    const perStatement = rowsPerInsert(ctx.dialectOf(mapper), columns.length)
    for (let start = 0; start < group.length; start += perStatement) {
      const node: InsertNode = {
        kind: 'insert',
        into: mapper.tableNode,
        columns: columns.map((column) => sql.column(column.column)),
        rows: group.slice(start, start + perStatement).map((values) => columns.map((column) => sql.value(values.get(column) ?? null, column.type))),
        ...(options.skipDuplicates === true ? { onConflictDoNothing: true as const } : {}),
      }
      inserted += (await ctx.write(mapper, node)).changes
    }
  }
  return inserted
}
