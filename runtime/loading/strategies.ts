/** The registry of loader strategies, keyed by the name a relationship declares in the schema. */
import { LoaderStrategyError } from '../errors.js'
import { dynamicLoader } from './dynamic-loader.js'
import { joinedLoader, noloadLoader, raiseLoader, selectinLoader } from './eager-loaders.js'
import type { LoaderStrategy } from './loader-strategy.js'
import { selectLoader } from './select-loader.js'
import { LOADER_STRATEGIES, type LoaderStrategyName } from './strategy-names.js'

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
