/** The save-update cascade: objects related to an object in the session join the session with it (SQLAlchemy's `save-update`). */
import type { Model } from '../model.js'
import type { FlushContext } from '../session-context.js'
import { stateOf, type InstanceState } from '../state.js'

/**
 * Adds to the session the objects assigned to `state`'s changed relationships that are in no
 * session yet (an echo of the other side's assignment cascades nothing).
 * @internal
 */
export function cascadeAdd(ctx: FlushContext, state: InstanceState): void {
  for (const name of state.changedRelationships ?? []) {
    if (state.echoedRelationships?.has(name) === true) continue
    const related = stateOf(state.related[name])
    if (related !== undefined && related.session === null) ctx.add(related.obj)
  }
}

/**
 * A transient object joining the session brings the objects of its in-memory collections (a
 * loaded list, or what was appended to a dynamic relationship): they are added too, and
 * many-to-many members get their join-table rows. Objects removed from its collections before it
 * joined are added as well, so that orphans are seen.
 * @internal
 */
export function cascadeCollections(ctx: FlushContext, state: InstanceState): void {
  const unsaved = state.unsavedMembers
  const keyless = state.key === undefined
  for (const relationship of state.mapper.relationships.values()) {
    if (!relationship.uselist) continue
    const loaded = state.related[relationship.name]
    const members = (Array.isArray(loaded) ? loaded : unsaved?.get(relationship.name)) as Model[] | undefined
    if (members === undefined || members.length === 0) continue
    for (const member of members) {
      const target = stateOf(member)
      if (target === undefined) continue
      if (target.session === null) ctx.add(member)
      // An object without a row has no stored links: every member of its many-to-many list is a new link.
      if (keyless && relationship.secondary !== undefined) ctx.collections.link(relationship, state, target, true)
    }
  }
  const removed = state.removedMembers
  state.removedMembers = null
  for (const member of removed ?? []) if (stateOf(member)?.session === null) ctx.add(member)
}
