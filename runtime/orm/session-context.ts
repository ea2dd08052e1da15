/** The internal contracts of a session: what loaders and queries ({@link LoadContext}) and the unit of work ({@link FlushContext}) may use of it. */
import type { QueryResult, RowBatches } from '../engine/driver.js'
import type { Dialect } from '../dialect/dialect.js'
import type { LoaderOption } from '../loading/loader-options.js'
import type { CompiledQuery } from '../sql/compiled-query.js'
import type { DefaultCompiler } from '../sql/compiler.js'
import type { SelectNode, StatementNode } from '../sql/nodes.js'
import type { CollectionTracker } from './collections.js'
import type { IdentityMap } from './identity-map.js'
import type { Mapper, Relationship } from './mapper.js'
import type { KeyOf, Model, ModelClass } from './model.js'
import type { SessionRouting } from './routing.js'
import type { InstanceState } from './state.js'

/** Raw rows of a SELECT, as the driver returns them. */
export type Rows = QueryResult['rows']

declare module './state.js' {
  /** An object's session is the whole {@link LoadContext}: state.ts declares only the calls it makes itself. */
  interface StateSession extends LoadContext {}
}

/**
 * What loaders, hydration, queries and object states use of a session (SQLAlchemy's
 * `QueryContext` and the session internals its loaders reach): the identity map and the objects it
 * tracks, statement execution on each model's bind, and the loading pipeline. An object's state
 * holds its session as this. The public `Session` is the implementation; loaders never see the
 * rest of it. Internal to the runtime: applications never need it.
 */
export interface LoadContext {
  /** The identity map: one object per primary key. */
  readonly identityMap: IdentityMap
  /** Pending objects (added, not yet flushed). */
  readonly newStates: Set<InstanceState>
  /** Persistent objects with unflushed changes. */
  readonly dirtyStates: Set<InstanceState>
  /** Persistent objects marked for deletion, not yet flushed. */
  readonly deletedStates: Set<InstanceState>
  /** Loaded collections and many-to-many links changed in memory. */
  readonly collections: CollectionTracker
  /** Which engine runs each statement: the model's bind, its primary or this session's replica. */
  readonly routing: SessionRouting
  /** True once the transaction wrote: rows read from then on may hold writes a rollback undoes. */
  readonly readsUncommitted: boolean
  /** Remembers an object whose row was read after this transaction wrote (a rollback expires it). */
  noteUncommittedRead(state: InstanceState): void
  /** Forgets an object `noteUncommittedRead` remembered, once it left the session (released by a stream). */
  forgetUncommittedRead(state: InstanceState): void
  /** The SQL dialect of a model's bind. */
  dialectOf(mapper: Mapper): Dialect
  /** Runs a SELECT on the table of `mapper` (on its bind's reading engine) and returns raw rows. */
  executeRows(mapper: Mapper, node: SelectNode, exactIntegers: boolean): Promise<Rows>
  /** Opens a stream of a SELECT's rows on the table of `mapper`, `batchSize` at a time, inside the session's transaction (`query.stream()`). */
  streamRows(mapper: Mapper, node: SelectNode, exactIntegers: boolean, batchSize: number): Promise<RowBatches>
  /** Runs an entity SELECT (all columns of `mapper`) and returns objects through the identity map, with eager loading applied. */
  loadObjects<T extends Model>(mapper: Mapper, node: SelectNode, options?: readonly LoaderOption[]): Promise<T[]>
  /** An entity SELECT split into its statement and the loading of its rows, for rows that arrive in batches (`query.stream()`). */
  batchLoad<T extends Model>(mapper: Mapper, node: SelectNode, options: readonly LoaderOption[]): BatchLoad<T>
  /** Loads `relationship` of `owner` lazily, batched with the other owners asking in the same tick, and counted by the N+1 check. */
  lazyLoad(owner: InstanceState, relationship: Relationship): Promise<void>
  /** Re-reads the row of an object loaded in an earlier transaction, keeping unflushed changes. */
  refreshStale(state: InstanceState): Promise<void>
  /** Flushes when autoflush is on and there is something to write. */
  autoflush(): Promise<void>
  /** Starts the autoflush when one is due and returns it; undefined (no promise to await) when none is. */
  autoflushIfDue(): Promise<void> | undefined
  /** The object with primary key `key`, from the identity map or one SELECT (the public `Session.get`). */
  get<T extends Model>(modelClass: ModelClass<T>, key: KeyOf<T>): Promise<T | null>
  /** Places an object in the session (the public `Session.add`, with its save-update cascade). */
  add(obj: Model): void
  /** Removes one object from the session (the public `Session.expunge`). */
  expunge(obj: Model): void
  /** Records that a column or relationship of a persistent object changed (it becomes dirty). */
  markModified(state: InstanceState): void
}

/**
 * What the unit of work and the cascades use of a session: everything loaders use, and writes on
 * each model's primary inside the session's transaction. Internal to the runtime.
 */
export interface FlushContext extends LoadContext {
  /** Runs a write on the table of `mapper`, on its bind's primary, inside the session's transaction. */
  write(mapper: Mapper, node: StatementNode, exactIntegers?: boolean): Promise<QueryResult>
  /** Runs a write of `kind` that `compile` builds for the bind's compiler and dialect, like {@link write}. */
  writeCompiled(mapper: Mapper, kind: StatementNode['kind'], compile: StatementCompiler): Promise<QueryResult>
}

/** Builds a statement for a bind's compiler and dialect (see `FlushContext.writeCompiled`). */
export type StatementCompiler = (compiler: DefaultCompiler, dialect: Dialect) => CompiledQuery

/**
 * The session `state`'s object belongs to, as its internal contract (null without one). Modules that
 * need more of the session than the two calls state.ts makes read it through here, so the dependency
 * shows in their imports.
 */
export function sessionOf(state: InstanceState): LoadContext | null {
  return state.session
}

/** An entity SELECT's statement, and how its rows become objects: `loadObjects` runs it once, `query.stream()` a batch at a time. */
export interface BatchLoad<T extends Model> {
  /** The statement to run: `node` with the relationships loaded in it joined in. */
  readonly node: SelectNode
  /** True when a returned column holds 64-bit integers to read exactly. */
  readonly exactIntegers: boolean
  /** The relationships joined into the statement. */
  readonly joined: readonly Relationship[]
  /** Rows of the statement (all of them, or one batch) as objects through the identity map, their relationships loaded (a promise only when some load after them). */
  load(rows: Rows): T[] | Promise<T[]>
}
