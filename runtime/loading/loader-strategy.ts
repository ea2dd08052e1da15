/** The loader strategy contract (SQLAlchemy's `LoaderStrategy`): the accessor a relationship gets, and what the strategy does when a query loads its owners. */
import type { Relationship } from '../orm/mapper.js'
import type { Model } from '../orm/model.js'
import type { LoadContext } from '../orm/session-context.js'
import type { InstanceState } from '../orm/state.js'
import type { SelectNode } from '../sql/nodes.js'
import type { LoaderStrategyName } from './strategy-names.js'

/** The accessor a strategy installs for one relationship on the model's prototype. */
export interface RelationshipAccessor {
  /** What reading the property returns. */
  get(state: InstanceState): unknown
  /** What assigning the property does; absent for read-only accessors. */
  set?(state: InstanceState, value: unknown): void
}

/**
 * How a strategy joins its relationships into the owners' own statement (SQLAlchemy's
 * `setup_query` and `create_row_processor` of the joined loader): every relationship of the query
 * loaded this way shares one statement.
 */
export interface JoinedLoading {
  /** The owners' statement `base` with each relationship's table joined in. */
  select(mapper: Relationship['parent'], base: SelectNode, relationships: readonly Relationship[]): SelectNode
  /** Turns the joined rows into owners (each once, in order) with the relationships set; `onRow` sees each row with its owner. */
  hydrate(
    ctx: LoadContext,
    mapper: Relationship['parent'],
    relationships: readonly Relationship[],
    rows: readonly (readonly unknown[])[],
    onRow?: (owner: Model, row: readonly unknown[]) => void,
  ): Model[]
}

/** A loading strategy: builds the accessor for a relationship, and may load it together with its owners when a query runs. */
export interface LoaderStrategy {
  /** The name a relationship declares in the schema (`@lazy(name)`) or a loader option selects. */
  readonly name: LoaderStrategyName
  /** The accessor installed for `relationship`. */
  accessor(relationship: Relationship): RelationshipAccessor
  /** Present when the strategy loads the relationship in the owners' statement (`joined`). */
  readonly joined?: JoinedLoading
  /**
   * Present when the strategy loads the relationship right after its owners, for all of them at
   * once (`selectin`: one SELECT ... IN (...)), SQLAlchemy's post-load.
   */
  afterLoad?(ctx: LoadContext, relationship: Relationship, owners: readonly InstanceState[]): Promise<void>
}
