/** Per-query loader options (SQLAlchemy's `selectinload`, `lazyload`, `raiseload`, `noload`), along dotted paths. */
import { InvalidRequestError } from '../errors.js'
import type { Mapper, Relationship } from '../orm/mapper.js'
import type { LoaderStrategyName } from './strategy-names.js'

/** One option: a strategy for the relationship at `path` (dotted, from the queried model) or for every relationship (`*`). */
export interface LoaderOption {
  readonly path: readonly string[]
  readonly strategy: Exclude<LoaderStrategyName, 'dynamic'>
}

function option(path: string, strategy: LoaderOption['strategy']): LoaderOption {
  const parts = path.split('.')
  if (parts.some((part) => part === '') || parts.slice(0, -1).includes('*')) {
    throw InvalidRequestError.invalidLoaderPath(path)
  }
  return Object.freeze({ path: Object.freeze(parts), strategy })
}

/** Load the relationship at `path` together with the query's objects: one SELECT ... IN (...) per level. */
export function selectinload(path: string): LoaderOption {
  return option(path, 'selectin')
}

/** Load the relationship at `path` in the query's own statement, with a LEFT OUTER JOIN (first level only). */
export function joinedload(path: string): LoaderOption {
  if (path.includes('.')) throw InvalidRequestError.nestedJoinedLoad(path)
  return option(path, 'joined')
}

/** Load the relationship at `path` lazily, on first access (the `select` strategy). */
export function lazyload(path: string): LoaderOption {
  return option(path, 'select')
}

/** Make the relationship at `path` (or every relationship, with `*`) raise `RaiseLoadError` instead of loading lazily. */
export function raiseload(path: string): LoaderOption {
  return option(path, 'raise')
}

/** Never load the relationship at `path` (or every relationship, with `*`): it reads as null or empty. */
export function noload(path: string): LoaderOption {
  return option(path, 'noload')
}

/** The options that apply at the first level, per relationship, with the rest of their paths for the next level. @internal */
export interface ResolvedOptions {
  readonly strategies: ReadonlyMap<Relationship, LoaderOption['strategy']>
  readonly nested: ReadonlyMap<Relationship, readonly LoaderOption[]>
}

/** Splits options by the first relationship of their path on `mapper`; unknown names and dynamic relationships are errors. @internal */
export function resolveOptions(mapper: Mapper, options: readonly LoaderOption[]): ResolvedOptions {
  const strategies = new Map<Relationship, LoaderOption['strategy']>()
  const nested = new Map<Relationship, LoaderOption[]>()
  for (const current of options) {
    const [head, ...rest] = current.path
    if (head === '*') {
      for (const relationship of mapper.relationships.values()) {
        if (relationship.strategy !== 'dynamic' && !strategies.has(relationship)) strategies.set(relationship, current.strategy)
      }
      continue
    }
    const relationship = mapper.relationships.get(head)
    if (relationship === undefined) throw InvalidRequestError.unknownLoaderRelationship(mapper.name, head)
    if (relationship.strategy === 'dynamic') {
      throw InvalidRequestError.loaderOptionOnDynamic(mapper.name, head)
    }
    if (rest.length === 0) strategies.set(relationship, current.strategy)
    else {
      // Reaching a nested relationship needs its parent loaded: SQLAlchemy's default for the path is the lazy loader.
      const list = nested.get(relationship) ?? []
      list.push({ path: rest, strategy: current.strategy })
      nested.set(relationship, list)
    }
  }
  return { strategies, nested }
}

/**
 * Checks every option's path against `mapper` and the models it leads to: an unknown relationship or a
 * dynamic one anywhere on the path fails where the option is given, not after the parent rows were
 * loaded, and also when the query returns no rows (SQLAlchemy checks loader paths at `options()` too).
 */
export function checkLoaderOptions(mapper: Mapper, options: readonly LoaderOption[]): void {
  const { nested } = resolveOptions(mapper, options)
  for (const [relationship, deeper] of nested) checkLoaderOptions(relationship.mapper, deeper)
}
