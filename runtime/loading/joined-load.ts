/** The `joined` strategy at query time: the owners' SELECT becomes a subquery LEFT OUTER JOINed to each related table, in one statement. */
import { InvalidRequestError } from '../errors.js'
import { trackedList } from '../orm/backrefs.js'
import { hydrate } from '../orm/hydration.js'
import type { Mapper, Relationship } from '../orm/mapper.js'
import type { Model } from '../orm/model.js'
import type { LoadContext } from '../orm/session-context.js'
import { stateOf } from '../orm/state.js'
import { sql, type ColumnNode, type OrderByNode, type SelectNode } from '../sql/nodes.js'

const OWNER = 't0'

/** `column` of the table under `alias` (read as the column is, e.g. money as numeric). */
function qualified(column: ColumnNode, alias: string): ColumnNode {
  return sql.qualified(column, alias)
}

/**
 * The statement: the query itself (filters, order, limit, offset untouched, so a LIMIT counts
 * owners, not joined rows) as subquery `t0`, each relationship's table joined as `t1`, `t2`, ...,
 * ordered like the query, then by the joined collections' declared orders (see {@link collectionOrder}).
 */
export function joinedSelect(mapper: Mapper, base: SelectNode, relationships: readonly Relationship[]): SelectNode {
  // A sort key on a joined relationship's column (qualified by its join) is not a column of the owners' subquery.
  if (base.orderBy?.some((item) => item.column.table !== undefined)) throw InvalidRequestError.orderByJoinedLoad(mapper.name)
  const columns: ColumnNode[] = mapper.selectColumns.map((column) => qualified(column, OWNER))
  const joins = relationships.flatMap((relationship, i) => {
    const alias = `t${i + 1}`
    columns.push(...relationship.mapper.selectColumns.map((column) => qualified(column, alias)))
    const secondary = relationship.secondary
    if (secondary !== undefined) {
      // Implicit many-to-many: through the join table, then to the target.
      const link = `s${i + 1}`
      return [
        sql.leftJoin(sql.table(secondary.table, link), sql.binary(sql.column(secondary.localColumn, link), '=', qualified(relationship.local[0].node, OWNER))),
        sql.leftJoin(sql.table(relationship.mapper.table, alias), sql.binary(qualified(relationship.remote[0].node, alias), '=', sql.column(secondary.remoteColumn, link))),
      ]
    }
    const on = sql.and(relationship.local.map((local, j) => sql.binary(qualified(local.node, OWNER), '=', qualified(relationship.remote[j].node, alias))))
    return [sql.leftJoin(sql.table(relationship.mapper.table, alias), on)]
  })
  // Scalar subqueries of the owners' statement (relationship counts) are read through it, last in each row.
  if (base.selection.kind === 'columns') for (const subquery of base.selection.subqueries ?? []) columns.push(sql.column(subquery.alias, OWNER))
  const ownerOrder = (base.orderBy ?? []).map((item) => sql.orderBy(qualified(item.column, OWNER), item.direction))
  return {
    kind: 'select',
    from: sql.subquery(base, OWNER),
    selection: { kind: 'columns', columns },
    joins,
    orderBy: [...ownerOrder, ...collectionOrder(mapper, ownerOrder, relationships)],
  }
}

/**
 * The ORDER BY items after the query's own: when a joined collection declares an order
 * (`@orderBy`), the owners' primary key (so each owner's rows stay together and the owners keep
 * the query's order, or key order when it has none), then each collection's keys on its alias.
 * Nothing when no joined collection declares an order.
 */
function collectionOrder(mapper: Mapper, ownerOrder: readonly OrderByNode[], relationships: readonly Relationship[]): OrderByNode[] {
  if (!relationships.some((relationship) => relationship.order.length > 0)) return []
  const keys = mapper.primaryKey
    .filter((column) => !ownerOrder.some((item) => item.column.name === column.column))
    .map((column) => sql.orderBy(qualified(column.node, OWNER), 'asc'))
  const collections = relationships.flatMap((relationship, i) => relationship.order.map((item) => sql.orderBy(qualified(item.column, `t${i + 1}`), item.direction)))
  return [...keys, ...collections]
}

/** True when two joined rows carry the same owner: their cells of `mapper`'s primary key (the first columns of the row) are equal. */
function sameKey(mapper: Mapper, a: readonly unknown[], b: readonly unknown[]): boolean {
  for (const column of mapper.primaryKey) if (a[column.index] !== b[column.index]) return false
  return true
}

/** True when a joined part of a row is all NULL: no related row (LEFT OUTER JOIN). */
function absent(row: readonly unknown[], start: number, mapper: Mapper): boolean {
  return mapper.primaryKey.every((column) => row[start + column.index] === null)
}

/**
 * Splits joined rows into owners (deduplicated, in first-seen order) and their related objects,
 * all through the identity map, and sets each relationship on each owner (null or [] when none).
 * `onRow` is called with each row and its owner (to read what the row carries past the columns).
 */
export function hydrateJoined(
  ctx: LoadContext,
  mapper: Mapper,
  relationships: readonly Relationship[],
  rows: readonly (readonly unknown[])[],
  onRow?: (owner: Model, row: readonly unknown[]) => void,
): Model[] {
  const dialect = ctx.dialectOf(mapper)
  const ownerDecoders = mapper.decoders(dialect)
  const offsets: number[] = []
  let offset = mapper.columns.length
  for (const relationship of relationships) {
    offsets.push(offset)
    offset += relationship.mapper.columns.length
  }
  const relatedDecoders = relationships.map((relationship) => relationship.mapper.decoders(dialect))
  const owners: Model[] = []
  /** Per owner, per relationship: the related objects in first-seen order, and the same as a set (several collections joined repeat each one). */
  const collected = new Map<Model, { readonly list: Model[]; readonly seen: Set<Model> }[]>()
  let previousRow: readonly unknown[] | undefined
  let owner: Model | undefined
  for (const row of rows) {
    // Rows of one owner come together (the ORDER BY starts with its key): its cells are hydrated once.
    if (previousRow === undefined || !sameKey(mapper, previousRow, row)) owner = hydrate(ctx, mapper, row, ownerDecoders)
    previousRow = row
    onRow?.(owner!, row)
    let lists = collected.get(owner!)
    if (lists === undefined) {
      owners.push(owner!)
      lists = relationships.map(() => ({ list: [], seen: new Set<Model>() }))
      collected.set(owner!, lists)
    }
    for (let i = 0; i < relationships.length; i++) {
      const start = offsets[i]
      const target = relationships[i].mapper
      if (absent(row, start, target)) continue
      const related = hydrate(ctx, target, row, relatedDecoders[i], start)
      const { list, seen } = lists[i]
      if (!seen.has(related)) {
        seen.add(related)
        list.push(related)
      }
    }
  }
  relationships.forEach((relationship, i) => {
    for (const owner of owners) {
      const state = stateOf(owner)!
      // A value loaded or assigned in memory (maybe changed and not yet flushed) wins over the row.
      if (relationship.name in state.related) continue
      const list = collected.get(owner)![i].list
      state.related[relationship.name] = relationship.uselist ? trackedList(state, relationship, list) : (list[0] ?? null)
    }
  })
  return owners
}
