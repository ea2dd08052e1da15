/** The `select` strategy: an awaitable attribute that loads on first access (batched per tick) and then answers from memory. */
import { DetachedInstanceError, InvalidRequestError } from '../errors.js'
import type { Relationship } from '../orm/mapper.js'
import { stateOf, type InstanceState } from '../orm/state.js'
import type { RelationshipAccessor } from './strategies.js'
import type { LoaderStrategy } from './strategies.js'

/** Loads a relationship's value: from the identity map for a many-to-one when it can, else through the session's batcher. */
async function load(state: InstanceState, relationship: Relationship): Promise<unknown> {
  const session = state.session
  if (session === null) throw DetachedInstanceError.cannotLoad(state.describe(), relationship.name)
  // Loaded in an earlier transaction: follow the foreign key the database holds now.
  if (state.stale && state.key !== undefined && relationship.ownsForeignKey) await session.refreshStale(state)
  if (relationship.ownsForeignKey && relationship.remoteIsPrimaryKey) {
    const values = relationship.local.map((column) => state.dict[column.name])
    if (values.some((value) => value === null || value === undefined)) return null
    // A many-to-one whose target is already loaded answers without SQL.
    const hit = session.identityMap.get(relationship.mapper, relationship.mapper.identityKey(values))
    if (hit !== undefined && !hit.deleted) return hit.obj
  }
  // Autoflush first: a pending parent gets its key, which the load reads.
  await session.autoflush()
  if (!(relationship.name in state.related)) await session.lazyLoads.load(state, relationship)
  return state.related[relationship.name]
}

/**
 * Keeps the other side in step in memory (SQLAlchemy's `back_populates`): the object leaves the
 * previous target's loaded collection and joins the new one's, or takes a one-to-one's place.
 * Collections not loaded yet are left alone; they read the database (after autoflush) when loaded.
 */
function syncBackReference(owner: InstanceState, relationship: Relationship, previous: unknown, next: unknown): void {
  const back = relationship.backPopulates === undefined ? undefined : relationship.mapper.relationships.get(relationship.backPopulates)
  if (back === undefined || back.strategy === 'dynamic') return
  const obj = owner.obj
  const previousState = stateOf(previous)
  const nextState = stateOf(next)
  if (back.uselist) {
    const before = previousState?.related[back.name]
    if (Array.isArray(before)) {
      const at = before.indexOf(obj)
      if (at >= 0) before.splice(at, 1)
    }
    const after = nextState?.related[back.name]
    if (Array.isArray(after) && !after.includes(obj)) after.push(obj)
  } else {
    if (previousState !== undefined && previousState.related[back.name] === obj) previousState.related[back.name] = null
    if (nextState !== undefined) nextState.related[back.name] = obj
  }
}

/** The object the foreign key points at now, if it is in the identity map (no SQL: SQLAlchemy's PASSIVE_NO_FETCH). */
function currentByKey(state: InstanceState, relationship: Relationship): unknown {
  if (state.session === null || !relationship.remoteIsPrimaryKey) return undefined
  const values = relationship.local.map((column) => state.dict[column.name])
  if (values.some((value) => value === null || value === undefined)) return undefined
  return state.session.identityMap.get(relationship.mapper, relationship.mapper.identityKey(values))?.obj
}

/** The setter of to-one relationships, whatever their strategy: assignment, with the foreign key written at flush. */
export function toOneSetter(relationship: Relationship): RelationshipAccessor['set'] {
  if (relationship.uselist || !relationship.ownsForeignKey) return undefined
  const name = relationship.name
  return (state, value) => {
    if (value !== null && stateOf(value)?.mapper !== relationship.mapper) {
      throw InvalidRequestError.badArgument(`${state.mapper.name}.${name} expects a ${relationship.mapper.name} or null.`)
    }
    const previous = name in state.related ? state.related[name] : currentByKey(state, relationship)
    state.setRelated(name, value)
    if (previous !== value) syncBackReference(state, relationship, previous, value)
  }
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
