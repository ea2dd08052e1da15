/** merge(): copies an object's state onto the session's object with the same identity, cascading along loaded relationships (SQLAlchemy's `Session.merge`). */
import type { DynamicRelationship } from '../loading/dynamic-loader.js'
import type { Mapper, Relationship } from './mapper.js'
import type { Model, ModelClass } from './model.js'
import type { LoadContext } from './session-context.js'
import { InstanceState, STATE, stateOf, type Instrumented } from './state.js'

/**
 * The object of `ctx` that `source` merges into (found, loaded or created as a pending copy), with
 * `source`'s column values and in-memory relationships copied onto it. `merged` maps each source
 * already merged in this call to its target, so cycles end.
 * @internal
 */
export async function mergeState(ctx: LoadContext, source: InstanceState, merged: Map<InstanceState, Model>): Promise<Model> {
  if (source.session === ctx) return source.obj
  const done = merged.get(source)
  if (done !== undefined) return done
  const mapper = source.mapper
  const key = mapper.identityKeyOf(source.dict)
  let target: Model | null = null
  if (key !== undefined) {
    target = pendingWithKey(ctx, mapper, key)
    if (target === null) {
      const values = mapper.primaryKey.map((column) => source.dict[column.name])
      target = await ctx.get(mapper.modelClass as ModelClass, (values.length === 1 ? values[0] : Object.fromEntries(mapper.primaryKey.map((c, i) => [c.name, values[i]]))) as never)
    }
  }
  if (target === null) {
    target = new mapper.BlankObject() as Model
    ;(target as Instrumented)[STATE] = new InstanceState(mapper, target, {})
    ctx.add(target)
  }
  merged.set(source, target)
  const targetState = stateOf(target)!
  for (const column of mapper.columns) {
    const value = source.dict[column.name]
    if (value !== undefined && !column.equals(value, targetState.dict[column.name])) targetState.setColumn(column.name, value)
  }
  for (const relationship of mapper.relationships.values()) await mergeRelationship(ctx, source, targetState, relationship, merged)
  return target
}

/** A pending object of `mapper` whose primary key, set by hand, is `key`: a merge joins it rather than adding another. */
function pendingWithKey(ctx: LoadContext, mapper: Mapper, key: unknown): Model | null {
  for (const state of ctx.newStates) if (state.mapper === mapper && mapper.identityKeyOf(state.dict) === key) return state.obj
  return null
}

/** Merges one relationship of `source` onto `target`, when `source` has it in memory. */
async function mergeRelationship(ctx: LoadContext, source: InstanceState, target: InstanceState, relationship: Relationship, merged: Map<InstanceState, Model>): Promise<void> {
  const name = relationship.name
  const inMemory = name in source.related ? source.related[name] : source.unsavedMembers?.get(name)
  if (inMemory === undefined) return
  const targetObj = target.obj as unknown as Record<string, unknown>
  if (!relationship.uselist) {
    const value = inMemory === null ? null : await mergeState(ctx, stateOf(inMemory)!, merged)
    if (relationship.ownsForeignKey || relationship.backPopulates !== undefined) {
      if (!(name in target.related) || target.related[name] !== value) targetObj[name] = value
    }
    return
  }
  // An empty collection merely read on an object without a row was never set (SQLAlchemy keeps such lists out of the object's state).
  if (source.key === undefined && (inMemory as Model[]).length === 0 && source.changedCollections?.has(name) !== true) return
  const members: Model[] = []
  for (const member of inMemory as Model[]) members.push(await mergeState(ctx, stateOf(member)!, merged))
  if (relationship.strategy === 'dynamic') {
    const query = targetObj[name] as DynamicRelationship<Model>
    const current = target.key === undefined ? [...(target.unsavedMembers?.get(name) ?? [])] : await query.all()
    for (const obj of current) if (!members.includes(obj)) query.remove(obj)
    for (const obj of members) if (!current.includes(obj)) query.append(obj)
    return
  }
  const list = (await targetObj[name]) as Model[]
  if (list.length !== members.length || list.some((obj, i) => obj !== members[i])) list.splice(0, list.length, ...members)
}
