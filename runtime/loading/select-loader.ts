/** The `select` strategy: an awaitable attribute that loads on first access (batched per tick) and then answers from memory. */
import { DetachedInstanceError } from '../errors.js'
import type { Relationship } from '../orm/mapper.js'
import { assignToOne, trackedList } from '../orm/backrefs.js'
import { loadColumns } from '../orm/deferred-columns.js'
import type { InstanceState } from '../orm/state.js'
import type { LoaderStrategy, RelationshipAccessor } from './loader-strategy.js'
import { sessionOf } from '../orm/session-context.js'

/** Loads a relationship's value: from the identity map for a many-to-one when it can, else through the session's batcher. */
async function load(state: InstanceState, relationship: Relationship): Promise<unknown> {
  // An object without a row (transient or pending) has nothing stored to load: its relationships are
  // what memory holds, with no SQL (SQLAlchemy's lazy loader answers "empty" for it too).
  if (state.key === undefined) return relationship.uselist ? trackedList(state, relationship, []) : null
  const session = sessionOf(state)
  if (session === null) throw DetachedInstanceError.cannotLoad(state.describe(), relationship.name)
  // Loaded in an earlier transaction (or its foreign key expired): follow the foreign key the database holds now.
  if ((state.stale || (state.expired !== null && relationship.local.some((column) => state.expired!.has(column.name)))) && relationship.ownsForeignKey) {
    await session.refreshStale(state)
  }
  // Its foreign key was left out by the query that loaded it (loadOnly/defer): read it first.
  const deferredKeys = state.deferred === null ? [] : relationship.local.filter((column) => state.deferred!.has(column.name))
  if (deferredKeys.length > 0) await loadColumns(session, state, deferredKeys, false)
  if (relationship.ownsForeignKey && relationship.remoteIsPrimaryKey) {
    const values = relationship.localInKeyOrder.map((column) => state.value(column))
    if (values.some((value) => value === null || value === undefined)) return null
    // A many-to-one whose target is already loaded answers without SQL.
    const hit = session.identityMap.get(relationship.mapper, relationship.mapper.identityKey(values))
    if (hit !== undefined && !hit.deleted) return hit.obj
  }
  // Autoflush first: a pending parent gets its key, which the load reads.
  await session.autoflush()
  if (!(relationship.name in state.related)) await session.lazyLoad(state, relationship)
  return state.related[relationship.name]
}

/** The setter of to-one relationships, whatever their strategy: assignment, with the foreign key written at flush. */
export function toOneSetter(relationship: Relationship): RelationshipAccessor['set'] {
  if (relationship.uselist) return undefined
  return (state, value) => assignToOne(state, relationship, value, true)
}

/** The `select` accessor: loaded values from memory, otherwise a (batched) lazy load. */
export function lazyAccessor(relationship: Relationship): RelationshipAccessor {
  const name = relationship.name
  return {
    get(state) {
      if (name in state.related) return Promise.resolve(state.related[name])
      return load(state, relationship).then((value) => {
        // A value assigned while the load was in flight wins.
        if (!(name in state.related)) state.related[name] = value
        return state.related[name]
      })
    },
    set: toOneSetter(relationship),
  }
}

/** The `select` loader strategy (SQLAlchemy's `lazy="select"`). */
export const selectLoader: LoaderStrategy = {
  name: 'select',
  accessor: lazyAccessor,
}
