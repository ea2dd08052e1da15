/** The registry of loader strategies, keyed by the name a relationship declares in the schema. */
import { LoaderStrategyError } from '../errors.js'
import type { Relationship } from '../orm/mapper.js'
import type { InstanceState } from '../orm/state.js'
import { dynamicLoader } from './dynamic-loader.js'
import { joinedLoader, noloadLoader, raiseLoader, selectinLoader } from './eager-loaders.js'
import { selectLoader } from './select-loader.js'
import { LOADER_STRATEGIES, type LoaderStrategyName } from './strategy-names.js'

/** The accessor a strategy installs for one relationship on the model's prototype. */
export interface RelationshipAccessor {
  /** What reading the property returns. */
  get(state: InstanceState): unknown
  /** What assigning the property does; absent for read-only accessors. */
  set?(state: InstanceState, value: unknown): void
}

/** A loading strategy (SQLAlchemy's `LoaderStrategy`): builds the accessor for a relationship. */
export interface LoaderStrategy {
  readonly name: LoaderStrategyName
  /** How queries load the relationship together with its owners: a second statement (`selectin`) or a join (`joined`). */
  readonly eager?: 'selectin' | 'joined'
  accessor(relationship: Relationship): RelationshipAccessor
}

const STRATEGIES: Record<LoaderStrategyName, LoaderStrategy> = {
  select: selectLoader,
  selectin: selectinLoader,
  joined: joinedLoader,
  dynamic: dynamicLoader,
  raise: raiseLoader,
  noload: noloadLoader,
}

/** The strategy registered under `name`. */
export function strategyFor(name: string): LoaderStrategy {
  const strategy = (STRATEGIES as Record<string, LoaderStrategy | undefined>)[name]
  if (strategy === undefined) throw LoaderStrategyError.unknown(name, Object.keys(LOADER_STRATEGIES))
  return strategy
}
