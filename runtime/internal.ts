/** `prismalchemy/internal`: what generated code, the generator and tests use and applications do not (model metadata, `defineModels`, the strategy table, test hooks). */
export { COLLECTION_ONLY_STRATEGIES, isLoaderStrategyName, LOADER_STRATEGIES, type LoaderStrategyName } from './loading/strategy-names.js'
export type {
  CascadeName,
  ColumnDefinition,
  DefaultDefinition,
  ModelDefinition,
  ReferentialAction,
  RelationshipDefinition,
  RelationshipDirection,
  RelationshipOrder,
  SchemaDefinition,
  SecondaryDefinition,
} from './orm/metadata.js'
export { defineModels, ModelRegistry, type ModelsDefinition } from './orm/registry.js'
export { REPLICA_RETRY_MS } from './orm/routing.js'
export type { ScalarType } from './sql/nodes.js'
