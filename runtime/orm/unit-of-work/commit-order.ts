/** Orders mappers by foreign-key dependency (referenced tables first for INSERT, the reverse for DELETE) and breaks cycles between tables. */
import type { Mapper, Relationship } from '../mapper.js'

function byName<T extends { readonly name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}

/** True when every column of the relationship's foreign key may be NULL, so the key can be written later by an UPDATE. */
export function isNullableForeignKey(relationship: Relationship): boolean {
  return relationship.local.every((column) => column.nullable)
}

/** The foreign keys between different tables ("references" edges), in name order of model, then field. */
function crossTableForeignKeys(sorted: readonly Mapper[]): Relationship[] {
  const edges: Relationship[] = []
  for (const mapper of sorted) {
    const owned = [...mapper.relationships.values()].filter((relationship) => relationship.ownsForeignKey && relationship.mapper !== mapper)
    edges.push(...owned.sort(byName))
  }
  return edges
}

/** True when `to` can reach `from` through the kept edges: the edge `from -> to` closes a cycle. */
function closesCycle(edge: Relationship, kept: ReadonlyMap<Mapper, readonly Relationship[]>, deferred: ReadonlySet<Relationship>): boolean {
  const seen = new Set<Mapper>()
  const stack = [edge.mapper]
  while (stack.length > 0) {
    const mapper = stack.pop()!
    if (mapper === edge.parent) return true
    if (seen.has(mapper)) continue
    seen.add(mapper)
    for (const next of kept.get(mapper) ?? []) if (!deferred.has(next)) stack.push(next.mapper)
  }
  return false
}

/**
 * The nullable foreign keys to write after the INSERTs (SQLAlchemy's `post_update`), so that tables
 * that reference each other can be ordered. The rule, deterministic and independent of declaration
 * order: the nullable foreign keys between different tables are taken in name order of their model,
 * then of their relation field, and each one is deferred while it still closes a cycle of the keys
 * not deferred. Cycles made only of required foreign keys stay: no INSERT order satisfies them.
 */
function deferredForeignKeys(sorted: readonly Mapper[]): Set<Relationship> {
  const edges = crossTableForeignKeys(sorted)
  const kept = new Map<Mapper, Relationship[]>()
  for (const edge of edges) {
    const list = kept.get(edge.parent)
    if (list === undefined) kept.set(edge.parent, [edge])
    else list.push(edge)
  }
  const deferred = new Set<Relationship>()
  for (const edge of edges) {
    if (isNullableForeignKey(edge) && closesCycle(edge, kept, deferred)) deferred.add(edge)
  }
  return deferred
}

/**
 * Topological sort of mappers over "references" edges (a many-to-one or owning one-to-one
 * relationship), without the deferred foreign keys of {@link deferredForeignKeys}. Self-references
 * are left to the flush (rows of one table are ordered there). A cycle of required foreign keys is
 * broken at the first mapper met, in name order, so the result is deterministic; the flush refuses a
 * row that then waits on an unsaved row.
 *
 * Also sets each mapper's `postUpdates`: its nullable foreign keys to a table that comes later in
 * this order. The flush writes such a key with an UPDATE once the row it points at is inserted, and
 * sets it to NULL before deleting the row it points at.
 */
export function commitOrder(mappers: readonly Mapper[]): Mapper[] {
  const sorted = [...mappers].sort(byName)
  const deferred = deferredForeignKeys(sorted)
  const visiting = new Set<Mapper>()
  const done = new Set<Mapper>()
  const order: Mapper[] = []
  const visit = (mapper: Mapper): void => {
    if (done.has(mapper) || visiting.has(mapper)) return
    visiting.add(mapper)
    for (const relationship of mapper.relationships.values()) {
      if (relationship.ownsForeignKey && relationship.mapper !== mapper && !deferred.has(relationship)) visit(relationship.mapper)
    }
    visiting.delete(mapper)
    done.add(mapper)
    order.push(mapper)
  }
  for (const mapper of sorted) visit(mapper)
  const rank = new Map(order.map((mapper, i) => [mapper, i]))
  for (const mapper of order) {
    mapper.postUpdates = [...mapper.relationships.values()]
      .filter((relationship) => relationship.ownsForeignKey && isNullableForeignKey(relationship) && rank.get(relationship.mapper)! > rank.get(mapper)!)
      .sort(byName)
  }
  return order
}

/**
 * The foreign keys of a cycle through `relationship`: it, then a shortest path of foreign keys from
 * its target back to its model (required keys preferred; first in name order among equals); just
 * `relationship` for a self-reference. Undefined when no cycle goes through it. For error messages.
 */
export function cycleThrough(relationship: Relationship): Relationship[] | undefined {
  if (relationship.mapper === relationship.parent) return [relationship]
  return pathBack(relationship, (edge) => !isNullableForeignKey(edge)) ?? pathBack(relationship, () => true)
}

/** `relationship`, then the shortest path of foreign keys accepted by `follows` from its target back to its model. */
function pathBack(relationship: Relationship, follows: (edge: Relationship) => boolean): Relationship[] | undefined {
  const cameBy = new Map<Mapper, Relationship>()
  let frontier = [relationship.mapper]
  while (frontier.length > 0) {
    const next: Mapper[] = []
    for (const mapper of frontier) {
      for (const edge of [...mapper.relationships.values()].sort(byName)) {
        if (!edge.ownsForeignKey || !follows(edge) || edge.mapper === mapper || edge.mapper === relationship.mapper || cameBy.has(edge.mapper)) continue
        cameBy.set(edge.mapper, edge)
        if (edge.mapper === relationship.parent) {
          const path: Relationship[] = []
          for (let at: Relationship | undefined = edge; at !== undefined; at = at.parent === relationship.mapper ? undefined : cameBy.get(at.parent)) path.unshift(at)
          return [relationship, ...path]
        }
        next.push(edge.mapper)
      }
    }
    frontier = next
  }
  return undefined
}

/** A foreign key as messages name it: `Calendar.ownerId -> User`. */
export function describeForeignKey(relationship: Relationship): string {
  return `${relationship.parent.name}.${relationship.local.map((column) => column.name).join(', ')} -> ${relationship.mapper.name}`
}
