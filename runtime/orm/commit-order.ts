/** Orders mappers by foreign-key dependency: referenced tables first for INSERT, the reverse for DELETE. */
import type { Mapper } from './mapper.js'

/**
 * Topological sort of mappers over "references" edges (a many-to-one or owning one-to-one
 * relationship). Self-references are ignored here (rows of one table are ordered at flush).
 * Cycles between tables are broken at the first mapper met, in name order, so the result is
 * deterministic; the unit of work reports a row that still waits on an unsaved row.
 */
export function commitOrder(mappers: readonly Mapper[]): Mapper[] {
  const sorted = [...mappers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const visiting = new Set<Mapper>()
  const done = new Set<Mapper>()
  const order: Mapper[] = []
  const visit = (mapper: Mapper): void => {
    if (done.has(mapper) || visiting.has(mapper)) return
    visiting.add(mapper)
    for (const relationship of mapper.relationships.values()) {
      if (relationship.ownsForeignKey && relationship.mapper !== mapper) visit(relationship.mapper)
    }
    visiting.delete(mapper)
    done.add(mapper)
    order.push(mapper)
  }
  for (const mapper of sorted) visit(mapper)
  return order
}
