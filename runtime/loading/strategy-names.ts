/** The loader strategy names the runtime implements; the generator accepts exactly these in `@lazy(...)`. */

/** Every strategy a relationship may declare, and what it means. */
export const LOADER_STRATEGIES = {
  select: 'loaded with its own SELECT on first access (await), then answered from memory; accesses started together share one SELECT',
  selectin: 'loaded with the objects that own it: one SELECT ... IN (...) per query, for all of them',
  joined: 'loaded with the objects that own it, in the same statement (LEFT OUTER JOIN)',
  dynamic: 'a query object to filter, count, order and append to (collections only)',
  raise: 'never loaded lazily: reading it before it was loaded raises RaiseLoadError, with no SQL',
  noload: 'never loaded: reads as null (or an empty list) unless assigned in memory',
} as const

/** A strategy name. */
export type LoaderStrategyName = keyof typeof LOADER_STRATEGIES

/** Strategies that only make sense on collections. */
export const COLLECTION_ONLY_STRATEGIES: readonly LoaderStrategyName[] = ['dynamic']

/** True when `name` is a strategy the runtime implements. */
export function isLoaderStrategyName(name: string): name is LoaderStrategyName {
  return Object.hasOwn(LOADER_STRATEGIES, name)
}
