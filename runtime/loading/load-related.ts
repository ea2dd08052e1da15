/** Loads one relationship for many owners with one SELECT ... IN (...): the engine behind batched lazy loads and `selectin`. */
import { trackedList } from '../orm/backrefs.js'
import { hydrate } from '../orm/hydration.js'
import { identityKey, type KeyPart } from '../orm/identity-key.js'
import type { Relationship } from '../orm/mapper.js'
import type { Model } from '../orm/model.js'
import type { LoadContext } from '../orm/session-context.js'
import { stateOf, type InstanceState } from '../orm/state.js'
import { sql, type ConditionNode } from '../sql/nodes.js'

/** The values an owner joins on (its foreign key, or its referenced key), or undefined when one is unset. */
function ownerKey(state: InstanceState, relationship: Relationship): unknown[] | undefined {
  const values = relationship.local.map((column) => state.value(column))
  return values.some((value) => value === null || value === undefined) ? undefined : values
}

/** `remote IN (keys)`, or an OR of per-key equalities for a composite key. */
function inCondition(relationship: Relationship, keys: readonly unknown[][]): ConditionNode {
  const remote = relationship.remote
  if (remote.length === 1) return sql.in(remote[0].node, keys.map((key) => sql.value(key[0], remote[0].type)))
  return sql.or(keys.map((key) => sql.and(remote.map((column, i) => sql.binary(column.node, '=', sql.value(key[i], column.type))))))
}

/**
 * Sets `relationship` on every owner in `owners` (state.related), using the identity map where it
 * can answer (a many-to-one by primary key) and one SELECT per chunk of at most the dialect's
 * parameter limit otherwise. A single owner gets `= ?`, several get `IN (...)`; a collection with a
 * declared order (`@orderBy`) adds its ORDER BY, so each owner's list comes out in that order.
 * Owners whose key is unset get null or an empty list.
 */
export async function loadRelated(ctx: LoadContext, relationship: Relationship, owners: readonly InstanceState[]): Promise<void> {
  if (relationship.secondaryNodes !== undefined) return loadThroughSecondary(ctx, relationship, owners)
  const name = relationship.name
  const target = relationship.mapper
  const waiting = new Map<KeyPart, { key: unknown[]; owners: InstanceState[] }>()
  for (const owner of owners) {
    const key = ownerKey(owner, relationship)
    if (key === undefined) {
      owner.related[name] = relationship.uselist ? trackedList(owner, relationship, []) : null
      continue
    }
    if (relationship.ownsForeignKey && relationship.remoteIsPrimaryKey) {
      const hit = ctx.identityMap.get(target, target.identityKey(relationship.localInKeyOrder.map((column) => owner.value(column))))
      if (hit !== undefined && !hit.deleted) {
        owner.related[name] = hit.obj
        continue
      }
    }
    const id = identityKey(relationship.remote, key)
    const entry = waiting.get(id)
    if (entry === undefined) waiting.set(id, { key, owners: [owner] })
    else entry.owners.push(owner)
  }
  if (waiting.size === 0) return
  const entries = [...waiting.values()]
  const perChunk = Math.max(1, Math.floor(ctx.dialectOf(target).maxParameters / relationship.remote.length))
  const found = new Map<KeyPart, Model[]>()
  for (let start = 0; start < entries.length; start += perChunk) {
    const chunk = entries.slice(start, start + perChunk)
    const where =
      chunk.length === 1
        ? sql.and(relationship.remote.map((column, i) => sql.binary(column.node, '=', sql.value(chunk[0].key[i], column.type))))
        : inCondition(
            relationship,
            chunk.map((entry) => entry.key),
          )
    const select = target.selectWhere(where)
    // A collection's declared order: rows come back sorted, and each owner's list keeps their order.
    const objects = await ctx.loadObjects(target, relationship.order.length > 0 ? { ...select, orderBy: relationship.order } : select)
    for (const obj of objects) {
      const state = stateOf(obj)!
      const id = identityKey(relationship.remote, relationship.remote.map((column) => state.value(column)))
      const list = found.get(id)
      if (list === undefined) found.set(id, [obj])
      else list.push(obj)
    }
  }
  const moves = unflushedMoves(ctx, relationship)
  for (const [id, entry] of waiting) {
    const objects = found.get(id) ?? []
    for (const owner of entry.owners) {
      // A value assigned while the load ran wins.
      if (name in owner.related) continue
      owner.related[name] = relationship.uselist
        ? trackedList(owner, relationship, moves === null ? objects : withUnflushedMoves(moves, relationship, owner, objects))
        : (objects[0] ?? null)
    }
  }
}

/**
 * The children assigned to an owner through the many-to-one side and not flushed yet (autoflush
 * off), by owner: a one-to-many collection loaded now is changed by them, as SQLAlchemy's backref
 * keeps a pending change for a collection loaded later. Null when there are none (the usual case).
 */
function unflushedMoves(ctx: LoadContext, relationship: Relationship): Map<unknown, InstanceState[]> | null {
  const back = relationship.backPopulates
  if (back === undefined || !relationship.uselist || (ctx.newStates.size === 0 && ctx.dirtyStates.size === 0)) return null
  let moves: Map<unknown, InstanceState[]> | null = null
  for (const states of [ctx.newStates, ctx.dirtyStates]) {
    for (const state of states) {
      if (state.mapper !== relationship.mapper || state.changedRelationships?.has(back) !== true) continue
      const owner = state.related[back] ?? null
      const list = (moves ??= new Map()).get(owner)
      if (list === undefined) moves.set(owner, [state])
      else if (!list.includes(state)) list.push(state)
    }
  }
  return moves
}

/** `objects` as loaded for `owner`, without children moved elsewhere and with children moved here (see {@link unflushedMoves}). */
function withUnflushedMoves(moves: Map<unknown, InstanceState[]>, relationship: Relationship, owner: InstanceState, objects: Model[]): Model[] {
  const back = relationship.backPopulates!
  const movedAway = (obj: Model) => {
    const state = stateOf(obj)!
    return state.changedRelationships?.has(back) === true && state.related[back] !== owner.obj
  }
  const result = objects.some(movedAway) ? objects.filter((obj) => !movedAway(obj)) : [...objects]
  for (const state of moves.get(owner.obj) ?? []) if (!result.includes(state.obj)) result.push(state.obj)
  return result
}

/** A many-to-many collection as loaded, changed by links not flushed yet (autoflush off), whichever side recorded them. */
function withUnflushedLinks(ctx: LoadContext, relationship: Relationship, owner: InstanceState, objects: Model[]): Model[] {
  if (!ctx.collections.hasLinkChanges) return objects
  const { added, removed } = ctx.collections.linkChangesOf(relationship, owner)
  if (added.length === 0 && removed.size === 0) return objects
  return [...objects.filter((obj) => !removed.has(obj)), ...added.filter((obj) => !objects.includes(obj))]
}

/**
 * The many-to-many form: `SELECT <target columns>, s.<local> FROM target AS t LEFT OUTER JOIN
 * join_table AS s ON s.<remote> = t.<key> WHERE s.<local> IN (...) [ORDER BY t.<declared order>]`;
 * the extra column says which owner each row belongs to.
 */
async function loadThroughSecondary(ctx: LoadContext, relationship: Relationship, owners: readonly InstanceState[]): Promise<void> {
  const secondary = relationship.secondaryNodes!
  const target = relationship.mapper
  const ownerColumn = relationship.local[0]
  // Owners by their key's encoded form, with the key value itself to send.
  const byKey = new Map<KeyPart, { value: unknown; owners: InstanceState[] }>()
  for (const owner of owners) {
    const key = owner.value(ownerColumn)
    if (key === null || key === undefined) {
      owner.related[relationship.name] = trackedList(owner, relationship, [])
      continue
    }
    const id = ownerColumn.encodeKeyPart(key)
    const entry = byKey.get(id)
    if (entry === undefined) byKey.set(id, { value: key, owners: [owner] })
    else entry.owners.push(owner)
  }
  if (byKey.size === 0) return
  const keys = [...byKey.values()].map((entry) => entry.value)
  const columns = [...target.selectColumns.map((column) => sql.qualified(column, 't')), secondary.local]
  const dialect = ctx.dialectOf(target)
  const decoders = target.decoders(dialect)
  const decodeOwner = dialect.decoder(ownerColumn.type)
  const found = new Map<KeyPart, Model[]>()
  const perChunk = dialect.maxParameters
  for (let start = 0; start < keys.length; start += perChunk) {
    const chunk = keys.slice(start, start + perChunk)
    const rows = await ctx.executeRows(
      target,
      {
        kind: 'select',
        from: sql.table(target.table, 't'),
        joins: [sql.leftJoin(secondary.table, sql.binary(secondary.remote, '=', sql.column(relationship.remote[0].column, 't')))],
        selection: { kind: 'columns', columns },
        where:
          chunk.length === 1
            ? sql.binary(secondary.local, '=', sql.value(chunk[0], ownerColumn.type))
            : sql.in(secondary.local, chunk.map((key) => sql.value(key, ownerColumn.type))),
        ...(relationship.order.length > 0 ? { orderBy: relationship.order.map((item) => sql.orderBy(sql.column(item.column.name, 't'), item.direction)) } : {}),
      },
      target.hasBigInt || ownerColumn.type === 'BigInt',
    )
    for (const row of rows) {
      const obj = hydrate(ctx, target, row, decoders)
      const owner = ownerColumn.encodeKeyPart(decodeOwner(row[target.columns.length]))
      const list = found.get(owner)
      if (list === undefined) found.set(owner, [obj])
      else list.push(obj)
    }
  }
  for (const [key, { owners: list }] of byKey) {
    for (const owner of list) {
      if (relationship.name in owner.related) continue
      owner.related[relationship.name] = trackedList(owner, relationship, withUnflushedLinks(ctx, relationship, owner, found.get(key) ?? []))
    }
  }
}
