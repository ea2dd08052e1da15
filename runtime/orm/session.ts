/** Session: identity map, unit of work and transaction, SQLAlchemy's `Session` for TypeScript. */
import type { ConnectionOwner, IsolationLevel, QueryResult, RowBatches } from '../engine/driver.js'
import type { Dialect } from '../dialect/dialect.js'
import type { Engine } from '../engine/engine.js'
import type { ExternalTransaction } from '../engine/external-transaction.js'
import { InvalidRequestError, NoResultFoundError, UnmappedError } from '../errors.js'
import { LazyLoadBatcher } from '../loading/lazy-load-batcher.js'
import { batchLoad, joinsRelated, loadAfter, loadObjects, loadsAfter } from '../loading/load-objects.js'
import { checkLoaderOptions, type LoaderOption } from '../loading/loader-options.js'
import { NPlusOneCounter } from '../loading/n-plus-one.js'
import { Query } from '../query/query.js'
import type { SelectNode, StatementNode } from '../sql/nodes.js'
import type { RawSql, Result } from '../sql/raw-sql.js'
import { CollectionTracker } from './collections.js'
import { isFlushing } from './event-registry.js'
import { refreshColumns } from './deferred-columns.js'
import { hydrate, populate } from './hydration.js'
import { insertMany, type InsertManyOptions, type InsertRow } from './insert-many.js'
import { IdentityMap } from './identity-map.js'
import type { Mapper, Relationship } from './mapper.js'
import { mergeState } from './merge.js'
import { mapperOf, type ColumnsOf, type KeyOf, type Model, type ModelClass } from './model.js'
import { SessionRouting } from './routing.js'
import type { BatchLoad, Rows, StatementCompiler } from './session-context.js'
import { SessionExecutor } from './session-executor.js'
import type { GetOptions, SessionConnection, SessionOptions } from './session-options.js'
import { relatedObjects, stateOf, type InstanceState } from './state.js'
import { TransactionCoordinator } from './transaction/transaction-coordinator.js'
import type { SessionTransaction } from './transaction/session-transaction.js'
import type { NestedTransaction, Transaction } from './transaction/transaction-handles.js'
import { cascadeAdd, cascadeCollections } from './unit-of-work/save-update-cascade.js'

export type { GetOptions, SessionConnection, SessionOptions } from './session-options.js'
export type { NPlusOneOptions } from '../loading/n-plus-one.js'

/** Appended to the message of an error raised by a query's autoflush. */
const AUTOFLUSH_NOTE =
  ' (raised as a result of Query-invoked autoflush; consider using a session.noAutoflush() block if this flush is occurring prematurely)'

/** What `autoflush()` answers when nothing is due: one settled promise, shared. */
const NOTHING_TO_FLUSH: Promise<void> = Promise.resolve()

/** Numbers sessions for their default owner label. */
let nextSessionNumber = 1

/**
 * A unit of work: tracks objects (identity map), collects changes and writes them in one
 * transaction at flush, in foreign-key order.
 *
 * The transaction begins on the first statement (autobegin) and holds one pooled connection per
 * engine it used until `commit()`, `rollback()` or `close()`. A failed flush rolls the database
 * transaction back and the session raises `PendingRollbackError` until `rollback()` is called.
 *
 * Each model's statements go to its bind's engine (`/// @bind(key)` and the `binds` option). A bind
 * with replicas serves this session's reads from one replica (round-robin across sessions) until
 * the session first flushes, or `usePrimary()` is called; from then on every statement goes to
 * the primaries, so the session reads its own writes. A replica whose connection cannot be checked
 * out is skipped for a while and its reads go to the primary.
 *
 * Loaders, queries and the unit of work see the session through its internal contracts
 * (`LoadContext`, `FlushContext`); everything else it keeps is private.
 *
 * ### Examples
 * ```ts
 * const session = new Session({ bind: engine })
 * const admin = new Role({ name: 'admin' })
 * session.add(new User({ username: 'ann', role: admin }))
 * await session.commit()
 * const ann = await session.query(User).filterBy({ username: 'ann' }).one()
 * await session.close()
 * ```
 */
export class Session {
  /** The default database's engine (its primary when it has replicas). */
  readonly bind: Engine
  /** The identity map: one object per primary key. */
  readonly identityMap = new IdentityMap()
  /** Whether queries autoflush. */
  autoflushEnabled: boolean
  /** Whether commit marks loaded objects stale. */
  readonly expireOnCommit: boolean
  /** What `PoolTimeoutError` calls this session while it holds a connection. */
  readonly owner: ConnectionOwner
  /** The isolation level of this session's transactions; undefined for each engine's own. */
  readonly isolationLevel: IsolationLevel | undefined
  /** The external transaction this session runs inside, if any. */
  readonly joinTransaction: ExternalTransaction | undefined
  /** @internal Loaded collections and many-to-many links changed in memory. */
  readonly collections: CollectionTracker = new CollectionTracker()
  /** @internal Pending objects (added, not yet flushed). */
  readonly newStates = new Set<InstanceState>()
  /** @internal Persistent objects with unflushed changes. */
  readonly dirtyStates = new Set<InstanceState>()
  /** @internal Persistent objects marked for deletion, not yet flushed. */
  readonly deletedStates = new Set<InstanceState>()
  /** @internal Which engine runs each statement: the model's bind, its primary or this session's replica. */
  readonly routing: SessionRouting
  /** Runs statements on each model's bind inside the session's transaction. */
  readonly #executor: SessionExecutor
  /** Groups lazy loads started in the same tick, and counts them for the N+1 check. */
  #lazyLoads: LazyLoadBatcher | undefined = undefined
  /** The N+1 check's settings, when the session asked for it. */
  readonly #nPlusOne: SessionOptions['nPlusOne']
  /** The session's transactions: autobegin, begin() blocks, savepoints, flush, commit and rollback. */
  readonly #transactions: TransactionCoordinator

  constructor(options: SessionOptions) {
    this.routing = new SessionRouting(options.bind, options.binds, options.primary ?? false, options.isolationLevel)
    this.bind = this.routing.defaultRoute.primary
    this.owner = options.owner ?? `Session #${nextSessionNumber++}`
    this.#nPlusOne = options.nPlusOne
    this.autoflushEnabled = options.autoflush ?? true
    this.expireOnCommit = options.expireOnCommit ?? true
    this.isolationLevel = options.isolationLevel
    this.joinTransaction = options.joinTransaction
    this.#transactions = new TransactionCoordinator(this)
    this.#executor = new SessionExecutor(this.routing, this.#transactions)
  }

  /** True while a transaction is open (begun by the first statement, ended by commit/rollback/close). */
  get inTransaction(): boolean {
    return this.#transactions.active
  }

  /** True when there are changes a flush would write. */
  get hasPendingChanges(): boolean {
    return this.newStates.size > 0 || this.dirtyStates.size > 0 || this.deletedStates.size > 0 || this.collections.hasLinkChanges
  }

  /** Objects added and not yet flushed. */
  get new(): Model[] {
    return [...this.newStates].map((state) => state.obj)
  }

  /** Persistent objects with unflushed changes. */
  get dirty(): Model[] {
    return [...this.dirtyStates].filter((state) => state.modified).map((state) => state.obj)
  }

  /** Objects marked for deletion and not yet flushed. */
  get deleted(): Model[] {
    return [...this.deletedStates].map((state) => state.obj)
  }

  /**
   * Places an object in the session: transient becomes pending (INSERT at the next flush),
   * detached becomes persistent again. Related objects assigned to its to-one relationships and
   * objects appended to its collections are added too (save-update cascade).
   */
  add(obj: Model): void {
    const state = this.#stateOf(obj)
    if (state.session === this) {
      if (state.deleted) throw InvalidRequestError.deletedInTransaction(state.describe())
      // Adding an object marked for deletion takes the mark back (SQLAlchemy does the same).
      if (this.deletedStates.size > 0) this.deletedStates.delete(state)
      return
    }
    this.#attach(state)
    cascadeAdd(this, state)
    cascadeCollections(this, state)
  }

  /** Adds several objects. */
  addAll(objects: Iterable<Model>): void {
    for (const obj of objects) this.add(obj)
  }

  /** Marks a persistent object for deletion: a DELETE at the next flush. */
  delete(obj: Model): void {
    const state = this.#stateOf(obj)
    if (state.key === undefined) {
      throw InvalidRequestError.notPersisted(state.describe())
    }
    // A detached object is attached without the save-update cascade (delete cascades only along @cascade(delete)).
    if (state.session === null) this.#attach(state)
    else if (state.session !== this) throw InvalidRequestError.attachedElsewhere(state.describe())
    this.#transactions.checkContext()
    this.#transactions.autobegin()
    // Its DELETE was flushed already: deleted again, it is back in the identity map until the next flush (SQLAlchemy does the same).
    if (state.deleted) {
      state.deleted = false
      this.identityMap.add(state)
    }
    this.deletedStates.add(state)
  }

  /**
   * The object with primary key `key`, or null. The identity map answers first, with no SQL;
   * otherwise one SELECT by primary key. Composite keys are given as an object of key fields.
   */
  async get<T extends Model>(modelClass: ModelClass<T>, key: KeyOf<T>, options: GetOptions = {}): Promise<T | null> {
    const mapper = mapperOf(modelClass)
    if (options.options !== undefined && options.options.length > 0) checkLoaderOptions(mapper, options.options)
    const values = mapper.primaryKeyValues(key)
    const state = this.identityMap.get(mapper, mapper.identityKey(values))
    if (state !== undefined && !state.stale && (state.expired === null || state.expired.size === 0)) {
      // Marked for deletion but not flushed, it is still persistent: the identity map answers it, as in SQLAlchemy.
      return state.deleted ? null : (state.obj as T)
    }
    this.#transactions.guard('get')
    // Checked first: awaiting an autoflush with nothing to write would still cost a turn of the event loop.
    if (this.#needsAutoflush) await this.autoflush()
    if (this.#transactions.deletedInTransaction(mapper, values)) return null
    // Joined relationships and loader options need a query's statement: run the lookup as a query.
    if (joinsRelated(mapper) || (options.options !== undefined && options.options.length > 0)) {
      const [viaQuery] = await this.loadObjects<T>(mapper, mapper.selectWhere(mapper.primaryKeyCondition(values)), options.options)
      if (viaQuery === undefined && state !== undefined) this.#forgetVanished(state)
      return viaQuery ?? null
    }
    const rows = await this.#executor.selectByPrimaryKey(mapper, values)
    if (rows.length === 0) {
      if (state !== undefined) this.#forgetVanished(state)
      return null
    }
    const found = hydrate(this, mapper, rows[0], mapper.decoders(this.dialectOf(mapper))) as T
    if (loadsAfter(mapper)) await loadAfter(this, mapper, [stateOf(found)!], [])
    return found
  }

  /** Like {@link get}, but raises `NoResultFoundError` when there is no such row (SQLAlchemy's `get_one`). */
  async getOne<T extends Model>(modelClass: ModelClass<T>, key: KeyOf<T>, options: GetOptions = {}): Promise<T> {
    const found = await this.get(modelClass, key, options)
    if (found === null) throw NoResultFoundError.forModel(mapperOf(modelClass).name)
    return found
  }

  /** A query over a model's rows. */
  query<T extends Model>(modelClass: ModelClass<T>): Query<T> {
    return new Query<T>({ mapper: mapperOf(modelClass), session: () => this })
  }

  /**
   * Inserts plain rows (not objects) of `modelClass`'s table with multi-row INSERTs, one per batch,
   * and returns how many rows were inserted: SQLAlchemy's `session.execute(insert(User), rows)`,
   * Prisma's `createMany`. Unset columns get Prisma Client's client-side defaults (`now()`,
   * `uuid()`, `cuid()`, `@updatedAt`), so the rows are stored as PrismaClient stores them.
   * `skipDuplicates` skips rows that would break a unique constraint (`ON CONFLICT DO NOTHING`).
   * No object enters the identity map and no model event fires. Pending changes are flushed
   * first; the INSERTs run in the session's transaction, so `rollback()` undoes them.
   *
   * ### Examples
   * ```ts
   * const n = await session.insertMany(User, [{ username: 'ann' }, { username: 'bob', roleId: 1 }])
   * ```
   */
  async insertMany<T extends Model>(modelClass: ModelClass<T>, rows: readonly InsertRow<T>[], options: InsertManyOptions = {}): Promise<number> {
    const mapper = mapperOf(modelClass)
    this.#transactions.guard('insertMany')
    await this.autoflush()
    return insertMany(this, mapper, rows, options)
  }

  /** Writes pending changes (INSERT, UPDATE, DELETE) inside the transaction, without committing. */
  flush(): Promise<void> {
    return this.#transactions.flush()
  }

  /**
   * Flushes when autoflush is on and there is something to write. Queries call this first; an
   * error says that it came from this autoflush, as SQLAlchemy's does.
   */
  autoflush(): Promise<void> {
    return this.autoflushIfDue() ?? NOTHING_TO_FLUSH
  }

  /**
   * @internal The autoflush when one is due, else undefined: queries skip awaiting then, because
   * inside a request scope (AsyncLocalStorage on Node 20) every promise made costs its hooks.
   */
  autoflushIfDue(): Promise<void> | undefined {
    return this.#needsAutoflush ? this.#autoflush() : undefined
  }

  async #autoflush(): Promise<void> {
    try {
      await this.flush()
    } catch (error) {
      if (error instanceof Error && !error.message.includes(AUTOFLUSH_NOTE)) error.message += AUTOFLUSH_NOTE
      throw error
    }
  }

  /** Runs `fn` with autoflush turned off (SQLAlchemy's `no_autoflush`). */
  async noAutoflush<R>(fn: () => R | Promise<R>): Promise<R> {
    const previous = this.autoflushEnabled
    this.autoflushEnabled = false
    try {
      return await fn()
    } finally {
      this.autoflushEnabled = previous
    }
  }

  /** Flushes, commits the transaction and returns the connection to the pool. */
  commit(): Promise<void> {
    return this.#transactions.commit()
  }

  /**
   * Rolls the transaction back and restores objects to the database's state: objects inserted in
   * the transaction and pending objects become transient, deleted ones persistent again, and
   * modified columns take their original values. After a commit that failed part-way
   * (`BindCommitError`), objects of the binds that did commit stay as committed.
   */
  async rollback(): Promise<void> {
    await this.#transactions.rollback(true)
  }

  /** Rolls back, then detaches every object. The session can be used again afterwards. */
  async close(): Promise<void> {
    // Detached objects keep what they loaded (collections stay readable), as after SQLAlchemy's close().
    await this.#transactions.rollback(false)
    this.expungeAll()
    this.routing.reset()
  }

  /**
   * Begins the session's transaction explicitly (SQLAlchemy 2.0's `session.begin()`); the database
   * transaction itself starts at the first statement. Raises `InvalidRequestError`
   * (`transaction_already_begun`) when one is already begun: the first `add()`, `delete()`, change
   * to a loaded object, query or flush begins one (autobegin).
   *
   * With `work`, runs it and commits, or rolls back and rethrows when it throws (SQLAlchemy's
   * `with session.begin():`). Without, returns a {@link Transaction} to commit or roll back.
   */
  begin(): Transaction
  begin<R>(work: (session: this) => R | Promise<R>): Promise<R>
  begin<R>(work?: (session: this) => R | Promise<R>): Transaction | Promise<R> {
    return this.#transactions.begin(work === undefined ? undefined : () => work(this))
  }

  /**
   * Flushes, then opens a SAVEPOINT inside the transaction (beginning it if needed), SQLAlchemy's
   * `begin_nested()`. Rolling the nested transaction back undoes what was written since in the
   * database and in memory (objects inserted since become transient, deleted ones persistent,
   * updated columns take their values back) while the outer transaction goes on; a flush that fails
   * inside rolls back to the savepoint only. Savepoint names are ours (`sp_<n>`).
   *
   * With `work`, runs it and releases the savepoint, or rolls back to it and rethrows when it
   * throws. Without, returns a {@link NestedTransaction}.
   */
  beginNested(): Promise<NestedTransaction>
  beginNested<R>(work: (session: this) => R | Promise<R>): Promise<R>
  beginNested<R>(work?: (session: this) => R | Promise<R>): Promise<NestedTransaction | R> {
    return this.#transactions.beginNested(work === undefined ? undefined : () => work(this))
  }

  /** True while a `beginNested()` savepoint is open. */
  get inNestedTransaction(): boolean {
    return this.#transactions.nested
  }

  /**
   * Runs a raw SQL statement written with the {@link sql} tag, inside this session's transaction
   * (a statement that may write begins the write transaction, as a flush does), on the default
   * bind or on the bind of `options.bind`'s model. Pending changes are flushed first (autoflush).
   *
   * ### Examples
   * ```ts
   * const { rows } = await session.execute(sql`SELECT "id" FROM "users" WHERE "username" = ${name}`)
   * ```
   */
  async execute<R extends Record<string, unknown> = Record<string, unknown>>(statement: RawSql, options: { bind?: ModelClass } = {}): Promise<Result<R>> {
    this.#transactions.guard('execute')
    await this.autoflush()
    return this.#executor.raw<R>(statement, options.bind === undefined ? undefined : mapperOf(options.bind))
  }

  /**
   * The session's connection to the default bind (or `options.bind`'s model's bind), inside its
   * transaction: what SQLAlchemy's `session.connection()` gives, for raw statements that must see
   * the session's flushed, uncommitted work.
   */
  async connection(options: { bind?: ModelClass } = {}): Promise<SessionConnection> {
    this.#transactions.guard('connection')
    this.#transactions.ensure()
    return {
      engine: this.getBind(options.bind, { write: true }),
      execute: <R extends Record<string, unknown> = Record<string, unknown>>(statement: RawSql) => this.#executor.raw<R>(statement, options.bind === undefined ? undefined : mapperOf(options.bind)),
    }
  }

  /**
   * True when the object has changes a flush would write: a column whose value really differs from
   * the loaded one (assigning the current value is no change), or a to-one relationship assigned.
   * SQLAlchemy's `session.is_modified()`.
   */
  isModified(obj: Model): boolean {
    return this.#stateOf(obj).hasChanges
  }

  /** Removes one object from the session: persistent becomes detached, pending becomes transient. */
  expunge(obj: Model): void {
    const state = this.#stateOf(obj)
    if (state.session !== this) throw InvalidRequestError.notInSession(state.describe(), 'expunged')
    this.#expungeState(state)
  }

  /** Removes every object from the session. */
  expungeAll(): void {
    for (const state of this.identityMap.states()) state.session = null
    for (const state of this.newStates) state.session = null
    // Clearing an empty Map or Set still allocates a new table in V8: only non-empty ones are cleared.
    this.identityMap.clear()
    if (this.newStates.size > 0) this.newStates.clear()
    if (this.dirtyStates.size > 0) this.dirtyStates.clear()
    if (this.deletedStates.size > 0) this.deletedStates.clear()
  }

  /**
   * Marks columns (all when `attributes` is omitted) expired: unflushed changes to them are
   * discarded, reading them throws `ExpiredAttributeError` until `refresh()` or the next query
   * that returns the row, and loaded relationships reload on next access.
   */
  expire(obj: Model, attributes?: readonly string[]): void {
    this.#persistentState(obj, 'expired').expire(attributes)
  }

  /** Expires every object in the session. */
  expireAll(): void {
    for (const state of this.identityMap.states()) this.expire(state.obj)
  }

  /**
   * Reloads every column of a persistent object from the database, discarding unflushed changes to
   * it. With `columns`, only those (SQLAlchemy's `refresh(obj, attribute_names)`): one SELECT of them,
   * the way to load columns a query deferred (`loadOnly`/`defer`); its loaded relationships stay.
   */
  async refresh<T extends Model>(obj: T, columns?: readonly (keyof ColumnsOf<T> & string)[]): Promise<void> {
    const state = this.#persistentState(obj, 'refreshed')
    this.#transactions.guard('refresh')
    if (columns !== undefined) return refreshColumns(this, state, columns)
    // Its own unflushed column changes are discarded, not flushed; other pending work is autoflushed first, as SQLAlchemy does.
    if (state.committed !== null) {
      Object.assign(state.dict, state.committed)
      state.committed = null
      if (state.changedRelationships === null) this.dirtyStates.delete(state)
    }
    await this.autoflush()
    const rows = await this.#executor.selectByPrimaryKey(state.mapper, state.mapper.primaryKey.map((column) => state.storedValue(column.name)))
    if (rows.length === 0) throw InvalidRequestError.refreshedRowGone(state.describe())
    state.clearModifications()
    this.dirtyStates.delete(state)
    populate(state, rows[0], state.mapper.decoders(this.dialectOf(state.mapper)), true)
    if (this.readsUncommitted) this.noteUncommittedRead(state)
    state.forgetRelated()
  }

  /**
   * Copies the state of `obj` (from another session, detached, or transient) onto the object
   * with the same primary key in this session, loading it if needed, and returns that object.
   * Without a match, a new pending copy is added. `obj` itself is never attached. The merge
   * cascades along every relationship loaded on `obj` (SQLAlchemy's default `merge` cascade):
   * related objects are merged the same way, a loaded collection replaces the target's (members
   * left out become orphans), and a to-one is assigned, null included. Autoflush is off meanwhile.
   */
  async merge<T extends Model>(obj: T): Promise<T> {
    const source = this.#stateOf(obj)
    return (await this.noAutoflush(() => mergeState(this, source, new Map()))) as T
  }

  /**
   * The engine the next statement on `modelClass`'s table runs on (the default bind without a
   * model): the bind's primary for writes, and for reads once this session is pinned to the
   * primaries; otherwise the replica this session reads that bind from.
   */
  getBind(modelClass?: ModelClass, options: { write?: boolean } = {}): Engine {
    const route = modelClass === undefined ? this.routing.defaultRoute : this.routing.routeOf(mapperOf(modelClass))
    return options.write ? route.primary : this.routing.readEngine(route)
  }

  /**
   * Sends this session's reads to the primaries from now on, until `close()` (the session option
   * `primary: true` does it from the start; `query.usePrimary()` does it for one query). A flush
   * does it too, so that the session reads its own writes.
   */
  usePrimary(): void {
    this.routing.pin()
  }

  /** @internal Called when the session's scope ends (after close): any later statement raises `NoScopeError`. */
  terminate(): void {
    this.#transactions.terminate()
  }

  // The internal contracts (LoadContext, FlushContext): used by loaders, queries and the unit of work.

  /** @internal True once the transaction wrote: rows read from then on may hold writes a rollback undoes. */
  get readsUncommitted(): boolean {
    return this.#transactions.readsUncommitted
  }

  /** @internal Remembers an object whose row was read after this transaction wrote (see `SessionTransaction.restore`). */
  noteUncommittedRead(state: InstanceState): void {
    this.#transactions.noteUncommittedRead(state)
  }

  /** @internal Forgets an object `noteUncommittedRead` remembered, once a stream released it. */
  forgetUncommittedRead(state: InstanceState): void {
    this.#transactions.forgetUncommittedRead(state)
  }

  /** @internal Called by states when a column or relationship changes. */
  markModified(state: InstanceState): void {
    if (state.key !== undefined && !state.deleted) {
      this.#transactions.beginForChange()
      this.dirtyStates.add(state)
    }
  }

  /** @internal The SQL dialect of a model's bind. */
  dialectOf(mapper: Mapper): Dialect {
    return this.#executor.dialectOf(mapper)
  }

  /** @internal Runs a SELECT on the table of `mapper` (on its bind's reading engine) and returns raw rows. */
  executeRows(mapper: Mapper, node: SelectNode, exactIntegers: boolean): Promise<Rows> {
    return this.#executor.select(mapper, node, exactIntegers)
  }


  /** @internal Runs a write on the table of `mapper`, on its bind's primary, inside the session's transaction. */
  write(mapper: Mapper, node: StatementNode, exactIntegers = false): Promise<QueryResult> {
    return this.#executor.write(mapper, node, exactIntegers)
  }

  /** @internal Runs a write of `kind` that `compile` builds for the bind's compiler and dialect, on its primary. */
  writeCompiled(mapper: Mapper, kind: StatementNode['kind'], compile: StatementCompiler): Promise<QueryResult> {
    return this.#executor.writeCompiled(mapper, kind, compile)
  }

  /** @internal Opens a stream of a SELECT's rows on the table of `mapper`, `batchSize` at a time (`query.stream()`). */
  streamRows(mapper: Mapper, node: SelectNode, exactIntegers: boolean, batchSize: number): Promise<RowBatches> {
    this.#transactions.guard('query')
    return this.#executor.stream(mapper, node, exactIntegers, batchSize)
  }

  /** @internal The session's transaction, begun when there is none: bulk statements record the objects they changed there, for rollback. */
  bulkTransaction(): SessionTransaction {
    return this.#transactions.ensure()
  }

  /** @internal Runs an entity SELECT (all columns of `mapper`) and returns objects through the identity map, with eager loading. */
  loadObjects<T extends Model>(mapper: Mapper, node: SelectNode, options: readonly LoaderOption[] = []): Promise<T[]> {
    this.#transactions.guard('query')
    return loadObjects<T>(this, mapper, node, options)
  }

  /** @internal An entity SELECT's statement and the loading of its rows batch by batch (`query.stream()`). */
  batchLoad<T extends Model>(mapper: Mapper, node: SelectNode, options: readonly LoaderOption[]): BatchLoad<T> {
    return batchLoad<T>(this, mapper, node, options)
  }

  /** @internal Loads `relationship` of `owner` lazily, batched per tick and counted by the N+1 check. */
  lazyLoad(owner: InstanceState, relationship: Relationship): Promise<void> {
    // Made on the first lazy load: most sessions never load lazily.
    this.#lazyLoads ??= new LazyLoadBatcher(this, this.#nPlusOne === undefined ? undefined : new NPlusOneCounter(this.#nPlusOne))
    return this.#lazyLoads.load(owner, relationship)
  }

  /**
   * @internal Re-reads the row of an object loaded in an earlier transaction, keeping unflushed
   * changes, so a lazy load follows the foreign key the database holds now.
   */
  async refreshStale(state: InstanceState): Promise<void> {
    const rows = await this.#executor.selectByPrimaryKey(state.mapper, state.mapper.primaryKey.map((column) => state.storedValue(column.name)))
    if (rows.length > 0) populate(state, rows[0], state.mapper.decoders(this.dialectOf(state.mapper)), false)
  }

  // Private helpers.

  /** Puts an object that has no session in this one: transient becomes pending, detached persistent. No cascade. */
  #attach(state: InstanceState): void {
    if (state.session !== null) throw InvalidRequestError.attachedElsewhere(state.describe())
    if (state.deleted) throw InvalidRequestError.deletedObject(state.describe())
    this.#transactions.checkContext()
    this.#transactions.autobegin()
    if (state.key === undefined) {
      state.session = this
      this.newStates.add(state)
      return
    }
    const existing = this.identityMap.get(state.mapper, state.key)
    if (existing !== undefined && existing !== state) throw InvalidRequestError.identityConflict(state.describe())
    state.session = this
    state.deleted = false
    this.identityMap.add(state)
    if (state.modified) this.dirtyStates.add(state)
  }

  /**
   * Detaches one object, then the loaded related objects of its `@cascade(delete)` relationships
   * (SQLAlchemy's `expunge` cascade, which its usual `cascade="all, delete-orphan"` includes).
   */
  #expungeState(state: InstanceState): void {
    this.identityMap.remove(state)
    this.newStates.delete(state)
    this.dirtyStates.delete(state)
    this.deletedStates.delete(state)
    state.session = null
    for (const relationship of state.mapper.relationships.values()) {
      if (relationship.cascade?.includes('delete') !== true || !(relationship.name in state.related)) continue
      for (const obj of relatedObjects(state.related[relationship.name])) {
        const related = stateOf(obj)
        if (related !== undefined && related.session === this) this.#expungeState(related)
      }
    }
  }

  /** An expired or stale object whose row is gone (deleted elsewhere) leaves the session, as SQLAlchemy's get() does. */
  #forgetVanished(state: InstanceState): void {
    if (state.session !== this || state.deleted || this.deletedStates.has(state)) return
    this.expunge(state.obj)
    // A rollback may bring the row back: the object returns with it.
    this.#transactions.noteVanished(state)
  }

  /** True when autoflush is on and a flush has something to write (or is running). */
  get #needsAutoflush(): boolean {
    // Not from a listener of this session's own flush: that flush waits for it (SQLAlchemy skips autoflush while flushing).
    return this.autoflushEnabled && (this.hasPendingChanges || this.#transactions.flushing) && !isFlushing(this)
  }

  #stateOf(obj: Model): InstanceState {
    const state = stateOf(obj)
    if (state === undefined) throw UnmappedError.instance(obj)
    return state
  }

  #persistentState(obj: Model, operation: string): InstanceState {
    const state = this.#stateOf(obj)
    if (state.session !== this || state.key === undefined) throw InvalidRequestError.notInSession(state.describe(), operation)
    return state
  }
}
