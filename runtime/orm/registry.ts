/** defineModels: turns generated metadata into mappers, instruments the classes and fixes the commit order. */
import { InvalidRequestError } from '../errors.js'
import { instrument } from './instrumentation.js'
import { Mapper } from './mapper.js'
import type { ModelDefinition, SchemaDefinition } from './metadata.js'
import { MAPPER, type ModelClass } from './model.js'
import { commitOrder } from './unit-of-work/commit-order.js'

/** What generated code passes to {@link defineModels}. */
export interface ModelsDefinition<M extends Record<string, ModelClass>> {
  readonly schema: SchemaDefinition
  readonly classes: M
  readonly models: readonly ModelDefinition[]
}

/** Every mapped model of one schema. */
export class ModelRegistry<M extends Record<string, ModelClass> = Record<string, ModelClass>> {
  /** The model classes by name. */
  readonly classes: M
  /** The schema the models came from. */
  readonly schema: SchemaDefinition
  /** Mappers by model name. */
  readonly mappers: ReadonlyMap<string, Mapper>
  /** Mappers ordered so that every model comes after the models it references (INSERT order). */
  readonly insertOrder: readonly Mapper[]
  /** The tables of each bind (null: the default database), join tables of implicit many-to-many relations included, views not. */
  readonly tablesByBind: ReadonlyMap<string | null, readonly string[]>

  /** Generated code calls {@link defineModels} instead. */
  constructor(definition: ModelsDefinition<M>) {
    this.classes = definition.classes
    this.schema = definition.schema
    const mappers = new Map<string, Mapper>()
    for (const model of definition.models) {
      const modelClass = definition.classes[model.name]
      if (modelClass === undefined) throw InvalidRequestError.modelClassMissing(model.name)
      if (modelClass[MAPPER] !== undefined) throw InvalidRequestError.alreadyMapped(model.name)
      mappers.set(model.name, new Mapper(model, modelClass))
    }
    for (const mapper of mappers.values()) mapper.resolveRelationships(mappers)
    for (const mapper of mappers.values()) {
      instrument(mapper)
      definition.classes[mapper.name]![MAPPER] = mapper
    }
    this.mappers = mappers
    this.insertOrder = commitOrder([...mappers.values()])
    this.insertOrder.forEach((mapper, rank) => {
      mapper.insertRank = rank
    })
    const tables = new Map<string | null, Set<string>>()
    for (const mapper of mappers.values()) {
      const set = tables.get(mapper.bindKey) ?? new Set()
      // A view is no table: createAll() and dropAll() leave it to the project's migrations.
      if (mapper.definition.view !== true) set.add(mapper.table)
      for (const relationship of mapper.relationships.values()) if (relationship.secondary) set.add(relationship.secondary.table)
      tables.set(mapper.bindKey, set)
    }
    this.tablesByBind = new Map([...tables].map(([key, set]) => [key, [...set].sort()]))
  }
}

/** Maps generated model classes to their tables. Generated code calls it once per schema (from `prismalchemy/internal`). */
export function defineModels<M extends Record<string, ModelClass>>(definition: ModelsDefinition<M>): ModelRegistry<M> {
  return new ModelRegistry(definition)
}
