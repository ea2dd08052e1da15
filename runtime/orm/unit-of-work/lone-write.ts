/** Lone write: whether a flush's plan writes exactly one statement, which a commit right after it may send alone, in autocommit. */
import { hasModelListeners, MODEL_EVENT_NAMES } from '../event-registry.js'
import type { FlushContext } from '../session-context.js'
import { stateOf, type InstanceState } from '../state.js'
import type { FlushPlan } from './flush-plan.js'
import { holdsOneToOne } from './foreign-key-sync.js'

/**
 * The one object `plan` writes when it is sure to send at most one statement, so that nothing else
 * can share its transaction; undefined otherwise. One object to INSERT, UPDATE or DELETE (objects
 * whose only change is a collection on their side write nothing), no row switch, no many-to-many
 * link, no write-event listener on any table of the flush (a listener may run SQL), and none of the
 * statements the persister adds around a row: a deferred foreign key or a key into a cycle
 * (`post_update`), a one-to-one's release of its previous holder, or MySQL's read-back of generated
 * columns. When unsure, undefined: the flush then runs in a transaction as usual.
 * @internal
 */
export function loneWriteOf(ctx: FlushContext, plan: FlushPlan): InstanceState | undefined {
  if (plan.switches.size > 0 || ctx.collections.hasLinkChanges) return undefined
  // A write listener of any table in the flush may run SQL, even one whose objects write nothing themselves.
  if (plan.order.some((mapper) => MODEL_EVENT_NAMES.some((event) => hasModelListeners(mapper.modelClass, event)))) return undefined
  let only: InstanceState | undefined
  let inserting = false
  for (const [group, inserts] of [
    [plan.inserts, true],
    [plan.updates, false],
    [plan.deletes, false],
  ] as const) {
    for (const states of group.values()) {
      for (const state of states) {
        if (group === plan.updates && !writesColumns(state)) continue
        if (only !== undefined) return undefined
        only = state
        inserting = inserts
      }
    }
  }
  if (only === undefined) return undefined
  const mapper = only.mapper
  if (mapper.postUpdates.length > 0 || !foreignKeysAreKnown(only)) return undefined
  // Without RETURNING, generated columns other than the key are read back by a SELECT after the INSERT.
  if (inserting && !ctx.dialectOf(mapper).supportsReturning && mapper.columns.some((column) => column.serverGenerated && !mapper.primaryKey.includes(column))) return undefined
  return only
}

/** Whether an UPDATE of `state` may write anything: a changed column, or a changed relationship whose foreign key it holds. */
function writesColumns(state: InstanceState): boolean {
  if (state.changedColumns().length > 0) return true
  for (const name of state.changedRelationships ?? []) if (state.mapper.relationships.get(name)!.ownsForeignKey) return true
  return false
}

/**
 * Whether every changed relationship whose foreign key `state` holds points at a row that exists
 * (or at nothing), and none is a one-to-one (`holdsOneToOne`), whose previous holder the flush may
 * release with an UPDATE of its own (see `ForeignKeySync.releaseOneToOne`).
 */
function foreignKeysAreKnown(state: InstanceState): boolean {
  for (const name of state.changedRelationships ?? []) {
    const relationship = state.mapper.relationships.get(name)!
    if (!relationship.ownsForeignKey) continue
    const target = stateOf(state.related[name])
    if ((target !== undefined && target.key === undefined) || holdsOneToOne(relationship)) return false
  }
  return true
}
