/** The `select` strategy: an awaitable attribute that loads on first access and then answers from memory. */
import { DetachedInstanceError, InvalidRequestError } from '../errors.js'
import type { Relationship } from '../orm/mapper.js'
import { stateOf, type InstanceState } from '../orm/state.js'
import { sql } from '../sql/nodes.js'
import type { LoaderStrategy } from './strategies.js'

/** Loads a relationship's value with its own SELECT, or from the identity map for a many-to-one. */
async function load(state: InstanceState, relationship: Relationship): Promise<unknown> {
  const session = state.session
  if (session === null) throw DetachedInstanceError.cannotLoad(state.describe(), relationship.name)
  const target = relationship.mapper
  // Loaded in an earlier transaction: follow the foreign key the database holds now.
  if (state.stale && state.key !== undefined && relationship.ownsForeignKey) await session.refreshStale(state)
  if (relationship.ownsForeignKey) {
    const values = relationship.local.map((column) => state.dict[column.name])
    if (values.some((value) => value === null || value === undefined)) return null
    if (relationship.remoteIsPrimaryKey) {
      // A many-to-one whose target is already loaded answers without SQL.
      const hit = session.identityMap.get(target, target.identityKey(values))
      if (hit !== undefined && !hit.deleted) return hit.obj
    }
  }
  // Autoflush first: a pending parent gets its key, which the criteria below read.
  await session.autoflush()
  if (relationship.local.some((column) => state.dict[column.name] == null)) return relationship.uselist ? [] : null
  const criteria = sql.and(
    relationship.remote.map((column, i) => sql.binary(column.node, '=', sql.value(state.dict[relationship.local[i].name], column.type))),
  )
  const objects = await session.loadObjects(target, { kind: 'select', from: target.tableNode, selection: { kind: 'columns', columns: target.selectColumns }, where: criteria })
  return relationship.uselist ? objects : (objects[0] ?? null)
}

/** The `select` loader strategy (SQLAlchemy's `lazy="select"`). */
export const selectLoader: LoaderStrategy = {
  name: 'select',
  accessor(relationship) {
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
      set: relationship.uselist
        ? undefined
        : (state, value) => {
            if (value !== null && stateOf(value)?.mapper !== relationship.mapper) {
              throw InvalidRequestError.badArgument(`${state.mapper.name}.${name} expects a ${relationship.mapper.name} or null.`)
            }
            state.setRelated(name, value)
          },
    }
  },
}
