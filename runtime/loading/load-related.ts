/** Loads one relationship for many owners with one SELECT ... IN (...): the engine behind batched lazy loads and `selectin`. */
import { hydrate } from '../orm/hydration.js'
import type { Relationship } from '../orm/mapper.js'
import type { Model } from '../orm/model.js'
import type { Session } from '../orm/session.js'
import { stateOf, type InstanceState } from '../orm/state.js'
import { sql, type ConditionNode } from '../sql/nodes.js'

/** The values an owner joins on (its foreign key, or its referenced key), or undefined when one is unset. */
function ownerKey(state: InstanceState, relationship: Relationship): unknown[] | undefined {
  const values = relationship.local.map((column) => state.dict[column.name])
  return values.some((value) => value === null || value === undefined) ? undefined : values
}

/** A string key for a tuple of values (bigint-safe), to group rows by owner. */
function tupleKey(values: readonly unknown[]): string {
  return values.map((value) => (typeof value === 'bigint' ? `${value}n` : value instanceof Date ? value.toISOString() : String(value))).join('\u001f')
}

function inCondition(relationship: Relationship, keys: readonly unknown[][]): ConditionNode {
  const remote = relationship.remote
  if (remote.length === 1) return sql.in(remote[0].node, keys.map((key) => sql.value(key[0], remote[0].type)))
  return sql.or(keys.map((key) => sql.and(remote.map((column, i) => sql.binary(column.node, '=', sql.value(key[i], column.type))))))
}

/**
 * Sets `relationship` on every owner in `owners` (state.related), using the identity map where it
 * can answer (a many-to-one by primary key) and one SELECT per chunk of at most the dialect's
 * parameter limit otherwise. A single owner gets `= ?`, several get `IN (...)`. Owners whose key is
 * unset get null or an empty list. Returns the number of statements run.
 */
export async function loadRelated(session: Session, relationship: Relationship, owners: readonly InstanceState[]): Promise<number> {
  if (relationship.secondaryNodes !== undefined) return loadThroughSecondary(session, relationship, owners)
  const name = relationship.name
  const target = relationship.mapper
  const waiting = new Map<string, { key: unknown[]; owners: InstanceState[] }>()
  for (const owner of owners) {
    const key = ownerKey(owner, relationship)
    if (key === undefined) {
      owner.related[name] = relationship.uselist ? session.collections.track(owner, relationship, []) : null
      continue
    }
    if (relationship.ownsForeignKey && relationship.remoteIsPrimaryKey) {
      const hit = session.identityMap.get(target, target.identityKey(key))
      if (hit !== undefined && !hit.deleted) {
        owner.related[name] = hit.obj
        continue
      }
    }
    const id = tupleKey(key)
    const entry = waiting.get(id)
    if (entry === undefined) waiting.set(id, { key, owners: [owner] })
    else entry.owners.push(owner)
  }
  if (waiting.size === 0) return 0
  const entries = [...waiting.values()]
  const perChunk = Math.max(1, Math.floor(session.dialectOf(target).maxParameters / relationship.remote.length))
  const found = new Map<string, Model[]>()
  let statements = 0
  for (let start = 0; start < entries.length; start += perChunk) {
    const chunk = entries.slice(start, start + perChunk)
    const where =
      chunk.length === 1
        ? sql.and(relationship.remote.map((column, i) => sql.binary(column.node, '=', sql.value(chunk[0].key[i], column.type))))
        : inCondition(
            relationship,
            chunk.map((entry) => entry.key),
          )
    const objects = await session.loadObjects(target, target.selectWhere(where))
    statements++
    for (const obj of objects) {
      const state = stateOf(obj)!
      const id = tupleKey(relationship.remote.map((column) => state.dict[column.name]))
      const list = found.get(id)
      if (list === undefined) found.set(id, [obj])
      else list.push(obj)
    }
  }
  for (const [id, entry] of waiting) {
    const objects = found.get(id) ?? []
    for (const owner of entry.owners) {
      // A value assigned while the load ran wins.
      if (name in owner.related) continue
      owner.related[name] = relationship.uselist ? session.collections.track(owner, relationship, objects) : (objects[0] ?? null)
    }
  }
  return statements
}

/**
 * The many-to-many form: `SELECT <target columns>, s.<local> FROM target AS t LEFT OUTER JOIN
 * join_table AS s ON s.<remote> = t.<key> WHERE s.<local> IN (...)`; the extra column says which
 * owner each row belongs to.
 */
async function loadThroughSecondary(session: Session, relationship: Relationship, owners: readonly InstanceState[]): Promise<number> {
  const secondary = relationship.secondaryNodes!
  const target = relationship.mapper
  const ownerColumn = relationship.local[0]
  const byKey = new Map<unknown, InstanceState[]>()
  for (const owner of owners) {
    const key = owner.dict[ownerColumn.name]
    if (key === null || key === undefined) {
      owner.related[relationship.name] = session.collections.track(owner, relationship, [])
      continue
    }
    const list = byKey.get(key)
    if (list === undefined) byKey.set(key, [owner])
    else list.push(owner)
  }
  if (byKey.size === 0) return 0
  const keys = [...byKey.keys()]
  const columns = [...target.selectColumns.map((column) => sql.column(column.name, 't')), secondary.local]
  const dialect = session.dialectOf(target)
  const decoders = target.decoders(dialect)
  const decodeOwner = dialect.decoder(ownerColumn.type)
  const found = new Map<unknown, Model[]>()
  const perChunk = dialect.maxParameters
  let statements = 0
  for (let start = 0; start < keys.length; start += perChunk) {
    const chunk = keys.slice(start, start + perChunk)
    const rows = await session.executeRows(
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
      },
      target.hasBigInt || ownerColumn.type === 'BigInt',
    )
    statements++
    for (const row of rows) {
      const obj = hydrate(session, target, row, decoders)
      const owner = decodeOwner(row[target.columns.length])
      const list = found.get(owner)
      if (list === undefined) found.set(owner, [obj])
      else list.push(obj)
    }
  }
  for (const [key, list] of byKey) {
    for (const owner of list) {
      if (relationship.name in owner.related) continue
      owner.related[relationship.name] = session.collections.track(owner, relationship, found.get(key) ?? [])
    }
  }
  return statements
}
