/** The query-time loading pipeline (SQLAlchemy's `loading.py`): rows to objects through the identity map, then each relationship's strategy loads it with its owners. */
import { hydratePartial, partialColumns } from '../orm/deferred-columns.js'
import { hydrate } from '../orm/hydration.js'
import { countedRelationships, setCounts } from '../query/relationship-counts.js'
import type { Mapper, Relationship } from '../orm/mapper.js'
import type { Model } from '../orm/model.js'
import type { BatchLoad, LoadContext, Rows } from '../orm/session-context.js'
import { relatedObjects, stateOf, type InstanceState } from '../orm/state.js'
import type { SelectNode } from '../sql/nodes.js'
import { resolveOptions, type LoaderOption } from './loader-options.js'
import type { JoinedLoading } from './loader-strategy.js'
import { loadRelated } from './load-related.js'
import { strategyFor } from './strategies.js'

/** What every query of a mapper loads with its objects by default, from the strategies its relationships declare. */
interface DefaultLoading {
  /** Relationships loaded in the owners' statement, and how. */
  readonly joined: readonly Relationship[]
  readonly joinedLoading: JoinedLoading | undefined
  /** True when some relationship loads right after its owners (`selectin`): the pipeline must look after every query. */
  readonly afterLoad: boolean
}

const defaults = new WeakMap<Mapper, DefaultLoading>()

/** The default loading of `mapper`'s queries, asked of the strategy registry once per mapper. */
function defaultLoading(mapper: Mapper): DefaultLoading {
  let loading = defaults.get(mapper)
  if (loading === undefined) {
    const relationships = [...mapper.relationships.values()]
    const joined = relationships.filter((relationship) => strategyFor(relationship.strategy).joined !== undefined)
    loading = {
      joined,
      joinedLoading: joined.length > 0 ? strategyFor(joined[0].strategy).joined : undefined,
      afterLoad: relationships.some((relationship) => strategyFor(relationship.strategy).afterLoad !== undefined),
    }
    defaults.set(mapper, loading)
  }
  return loading
}

/** True when every query of `mapper` joins a relationship into its statement: a lookup by key must run as a query. */
export function joinsRelated(mapper: Mapper): boolean {
  return defaultLoading(mapper).joined.length > 0
}

/** True when every query of `mapper` loads a relationship right after its objects (see {@link loadAfter}). */
export function loadsAfter(mapper: Mapper): boolean {
  return defaultLoading(mapper).afterLoad
}

/**
 * Runs an entity SELECT (every column of `mapper`) and returns its objects through the identity map.
 * Relationships whose strategy joins (from the schema or an option) are joined into the statement;
 * then the ones loaded after their owners are, for all owners at once (see {@link loadAfter}).
 */
export function loadObjects<T extends Model>(ctx: LoadContext, mapper: Mapper, node: SelectNode, options: readonly LoaderOption[]): Promise<T[]> {
  try {
    const load = batchLoad<T>(ctx, mapper, node, options)
    return ctx.executeRows(mapper, load.node, load.exactIntegers).then(load.load)
  } catch (error) {
    return Promise.reject(error)
  }
}


/**
 * The loading of an entity SELECT (every column of `mapper`), split into its statement and the
 * loading of its rows, so that rows arriving in batches (SQLAlchemy's `yield_per`) load batch by batch
 * (`selectin` per batch). A stream refuses joined collections: their rows are not one per object.
 */
export function batchLoad<T extends Model>(ctx: LoadContext, mapper: Mapper, node: SelectNode, options: readonly LoaderOption[]): BatchLoad<T> {
  const [joined, joining] = joinedFor(mapper, options)
  // Relationship counts (`withCount`) ride last in each row: read once the row's object exists.
  const counted = countedRelationships(node)
  const after = defaultLoading(mapper).afterLoad || options.length > 0
  // The objects of the rows at once; a promise only when relationships load after them.
  const load = (rows: Rows): T[] | Promise<T[]> => {
    let objects: T[]
    if (joining !== undefined) {
      objects = joining.hydrate(ctx, mapper, joined, rows, counted && ((owner, row) => setCounts(owner, row, counted))) as T[]
      if (joined.some((relationship) => defaultLoading(relationship.mapper).afterLoad)) return loadAfterJoined(ctx, mapper, joined, objects, after ? options : undefined)
    } else {
      const decoders = mapper.decoders(ctx.dialectOf(mapper))
      objects = new Array<T>(rows.length)
      const partial = partialColumns(node)
      for (let i = 0; i < rows.length; i++) {
        objects[i] = (partial === undefined ? hydrate(ctx, mapper, rows[i], decoders) : hydratePartial(ctx, mapper, rows[i], partial, decoders)) as T
      }
      if (counted !== undefined) for (let i = 0; i < rows.length; i++) setCounts(objects[i], rows[i], counted)
    }
    if (objects.length > 0 && after) return loadAfterOwners(ctx, mapper, objects, options)
    return objects
  }
  if (joining === undefined) return { node, exactIntegers: mapper.hasBigInt, joined, load }
  const exactIntegers = mapper.hasBigInt || joined.some((relationship) => relationship.mapper.hasBigInt)
  return { node: joining.select(mapper, node, joined), exactIntegers, joined, load }
}

/** Relationships this query joins into its statement (the schema's, changed by options), with the strategy that joins them. */
function joinedFor(mapper: Mapper, options: readonly LoaderOption[]): [readonly Relationship[], JoinedLoading | undefined] {
  if (options.length === 0) {
    const loading = defaultLoading(mapper)
    return [loading.joined, loading.joinedLoading]
  }
  const { strategies } = resolveOptions(mapper, options)
  let joining: JoinedLoading | undefined
  const joined = [...mapper.relationships.values()].filter((relationship) => {
    const loading = strategyFor(strategies.get(relationship) ?? relationship.strategy).joined
    joining ??= loading
    return loading !== undefined
  })
  return [joined, joining]
}

/** The relationships of `objects` that load after them (see {@link loadAfter}); resolves to `objects`. */
async function loadAfterOwners<T extends Model>(ctx: LoadContext, mapper: Mapper, objects: T[], options: readonly LoaderOption[]): Promise<T[]> {
  await loadAfter(
    ctx,
    mapper,
    objects.map((obj) => stateOf(obj)!),
    options,
  )
  return objects
}

/** After a joined load: the joined objects' own relationships, then, with `options` (undefined: none to load), the owners' (see {@link loadAfter}); resolves to `objects`. */
async function loadAfterJoined<T extends Model>(ctx: LoadContext, mapper: Mapper, joined: readonly Relationship[], objects: T[], options: readonly LoaderOption[] | undefined): Promise<T[]> {
  for (const relationship of joined) await loadJoinedTargets(ctx, relationship, objects)
  return objects.length > 0 && options !== undefined ? loadAfterOwners(ctx, mapper, objects, options) : objects
}

/** The objects a join brought in get their own relationships loaded after them, as if queried. */
async function loadJoinedTargets(ctx: LoadContext, relationship: Relationship, owners: readonly Model[]): Promise<void> {
  if (!defaultLoading(relationship.mapper).afterLoad) return
  const targets = new Set<InstanceState>()
  for (const owner of owners) {
    for (const obj of relatedObjects(stateOf(owner)!.related[relationship.name])) targets.add(stateOf(obj)!)
  }
  if (targets.size > 0) await loadAfter(ctx, relationship.mapper, [...targets], [])
}

/**
 * After a query's objects exist: each relationship whose strategy loads after its owners
 * (`selectin`, from the schema or an option) is loaded for all `states` at once; a strategy chosen
 * by an option that does not load now is recorded on the objects (their accessor follows it); nested
 * option paths descend into the loaded objects.
 */
export async function loadAfter(ctx: LoadContext, mapper: Mapper, states: readonly InstanceState[], options: readonly LoaderOption[]): Promise<void> {
  const { strategies, nested } = resolveOptions(mapper, options)
  for (const relationship of mapper.relationships.values()) {
    const chosen = strategies.get(relationship)
    const strategy = strategyFor(chosen ?? relationship.strategy)
    if (chosen !== undefined && strategy.afterLoad === undefined) for (const state of states) (state.strategyOverrides ??= {})[relationship.name] = chosen
    const deeper = nested.get(relationship)
    if (strategy.afterLoad === undefined && deeper === undefined) continue
    const owners = states.filter((state) => !(relationship.name in state.related))
    // A nested path reaches through a relationship the query does not otherwise load: it is loaded for all owners first.
    if (owners.length > 0) await (strategy.afterLoad ?? loadRelated)(ctx, relationship, owners)
    if (deeper === undefined) continue
    const children = states.flatMap((state) => relatedObjects(state.related[relationship.name]).map((obj) => stateOf(obj)!))
    if (children.length > 0) await loadAfter(ctx, relationship.mapper, [...new Set(children)], deeper)
  }
}
