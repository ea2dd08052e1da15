/** Session: identity map, unit of work and transaction, SQLAlchemy's `Session` for TypeScript. */
import type { ConnectionOwner, IsolationLevel, QueryResult } from '../engine/driver.js'
import type { Dialect } from '../dialect/dialect.js'
import type { Engine } from '../engine/engine.js'
import type { ExternalTransaction } from '../engine/external-transaction.js'
import { ConnectionLostError, IllegalStateChangeError, InvalidRequestError, NoResultFoundError, NoScopeError, NPlusOneError, nPlusOneMessage, UnmappedError } from '../errors.js'
import type { DynamicRelationship } from '../loading/dynamic-loader.js'
import { LazyLoadBatcher } from '../loading/lazy-load-batcher.js'
import { CollectionTracker } from './collections.js'
import { loadRelated } from '../loading/load-related.js'
import { hydrateJoined, joinedSelect } from '../loading/joined-load.js'
import { resolveOptions, type LoaderOption } from '../loading/loader-options.js'
import { Query, type QuerySource } from '../query/query.js'
import type { CompiledQuery } from '../sql/compiled-query.js'
import { Result, type RawSql } from '../sql/raw-sql.js'
import { dispatchSessionEvent, duringFlush, isFlushing, sessionListens } from './events.js'
import { NestedTransaction, Transaction } from './transaction-handles.js'
import type { SelectNode, StatementNode } from '../sql/nodes.js'
import { IdentityMap } from './identity-map.js'
import type { Mapper, Relationship } from './mapper.js'
import { mapperOf, type KeyOf, type Model, type ModelClass } from './model.js'
import { SessionRouting, type BindRoute, type BindTarget } from './routing.js'
import { restoreObjects, type RestoreScope } from './restore.js'
import { explainSchemaMismatch } from './schema-mismatch.js'
import type { Savepoint } from './savepoint.js'
import { SessionTransaction } from './session-transaction.js'
import { InstanceState, relatedObjects, STATE, stateOf, type Instrumented } from './state.js'
import { hydrate, populate } from './hydration.js'
import { UnitOfWork } from './unit-of-work.js'

/** Options of a {@link Session}. */
export interface SessionOptions {
  /** The default database: an engine, or `{ primary, replicas }` to read from replicas. Models without `/// @bind(...)` live here. */
  readonly bind: BindTarget
  /**
   * The other databases, by bind key (SQLAlchemy's `Session(binds=...)`, Flask-SQLAlchemy's
   * `SQLALCHEMY_BINDS`): models with `/// @bind(key)` run their statements on `binds[key]`.
   */
  readonly binds?: Readonly<Record<string, BindTarget>> | undefined
  /** Read from the primaries only, never from a replica (default false). See {@link Session.usePrimary}. */
  readonly primary?: boolean | undefined
  /** Flush pending changes before each query (default true). */
  readonly autoflush?: boolean | undefined
  /**
   * After commit, treat loaded objects as possibly stale (default true): relationships reload on
   * their next access and the next read of the row (query, `get`) refreshes its columns. Column
   * values stay readable, since JavaScript cannot reload them synchronously.
   */
  readonly expireOnCommit?: boolean | undefined
  /** Opt-in N+1 check: warn (or raise) when one relationship is lazy-loaded more than `threshold` times. */
  readonly nPlusOne?: NPlusOneOptions | undefined
  /**
   * The isolation level of this session's transactions, over each engine's `isolationLevel`
   * (SQLAlchemy's `Session(bind=engine.execution_options(isolation_level=...))`). See
   * `EngineOptions.isolationLevel` for what each database takes; a level the database cannot give is
   * a `ConfigurationError` at the first statement.
   */
  readonly isolationLevel?: IsolationLevel | undefined
  /**
   * An external transaction (`await engine.begin()`) to run inside: this session's transactions on
   * that engine become savepoints on its connection, so the session's commits are kept only if the
   * external transaction commits (SQLAlchemy's `join_transaction_mode="create_savepoint"`).
   */
  readonly joinTransaction?: ExternalTransaction | undefined
  /**
   * Who this session works for, named by `PoolTimeoutError` while it holds a connection. Default
   * `Session #n`; `db.session` names its scope (`GET /orders`, `db.scope() at app.ts:12:9`).
   */
  readonly owner?: ConnectionOwner | undefined
}

/** Options of {@link Session.get}. */
export interface GetOptions {
  /** Loader options for the lookup (`joinedload('role')`, ...), applied when it runs SQL, as a query's `options()`. */
  readonly options?: readonly LoaderOption[] | undefined
}

/** Settings of the N+1 check. */
export interface NPlusOneOptions {
  /** Lazy loads of one relationship allowed per session before the check fires. */
  readonly threshold: number
  /** Throw `NPlusOneError` instead of warning. */
  readonly raise?: boolean | undefined
  /** Where warnings go; default `console.warn`. */
  readonly warn?: ((message: string) => void) | undefined
}

/** A session without a transaction has flushed nothing: a rollback only drops unflushed changes. */
const NOTHING_FLUSHED: RestoreScope = Object.freeze({ inserted: [], deleted: [], vanished: [], originals: new Map() })

/** How many times commit() flushes while flush listeners keep adding work (SQLAlchemy's limit). */
const MAX_COMMIT_FLUSHES = 100

/** Appended to the message of an error raised by a query's autoflush. */
const AUTOFLUSH_NOTE =
  ' (raised as a result of Query-invoked autoflush; consider using a session.noAutoflush() block if this flush is occurring prematurely)'

/** The session's connection: raw statements inside its transaction. See {@link Session.connection}. */
export interface SessionConnection {
  /** The engine the statements run on. */
  readonly engine: Engine
  /** Runs a raw statement inside the session's transaction. */
  execute<R extends Record<string, unknown> = Record<string, unknown>>(statement: RawSql): Promise<Result<R>>
}

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
  /** @internal Groups lazy loads started in the same tick. */
  readonly lazyLoads: LazyLoadBatcher = new LazyLoadBatcher(this)
  /** @internal Loaded collections and many-to-many links changed in memory. */
  readonly collections: CollectionTracker = new CollectionTracker()
  /** @internal Pending objects (added, not yet flushed). */
  readonly newStates = new Set<InstanceState>()
  /** @internal Persistent objects with unflushed changes. */
  readonly dirtyStates = new Set<InstanceState>()
  /** @internal Persistent objects marked for deletion, not yet flushed. */
  readonly deletedStates = new Set<InstanceState>()
  private transaction: SessionTransaction | null = null
  private flushing: Promise<void> | null = null
  /** Counts rollbacks and closes, so a commit can tell that one happened while it flushed. */
  private epoch = 0
  /** Set when the session's scope ended: it may not start another transaction. */
  private terminated = false
  /** Inside `begin(work)`: its transaction, and whether `work` ended it early (then new work is refused until `work` returns). */
  private context: { readonly transaction: SessionTransaction; ended: boolean } | null = null
  /** While after-commit or after-rollback listeners run: the state named when they try to run SQL. */
  private eventPhase: string | null = null
  /** @internal Which engine runs each statement: the model's bind, its primary or this session's replica. */
  readonly routing: SessionRouting
  private readonly nPlusOne: NPlusOneOptions | undefined
  private readonly lazyLoadCounts = new Map<Relationship, number>()
  /** What `PoolTimeoutError` calls this session while it holds a connection. */
  readonly owner: ConnectionOwner
  /** The isolation level of this session's transactions; undefined for each engine's own. */
  readonly isolationLevel: IsolationLevel | undefined
  /** The external transaction this session runs inside, if any. */
  readonly joinTransaction: ExternalTransaction | undefined

  constructor(options: SessionOptions) {
    this.routing = new SessionRouting(options.bind, options.binds, options.primary ?? false)
    this.bind = this.routing.defaultRoute.primary
    this.owner = options.owner ?? `Session #${nextSessionNumber++}`
    this.nPlusOne = options.nPlusOne
    this.autoflushEnabled = options.autoflush ?? true
    this.expireOnCommit = options.expireOnCommit ?? true
    this.isolationLevel = options.isolationLevel
    this.joinTransaction = options.joinTransaction
  }

  /** True while a transaction is open (begun by the first statement, ended by commit/rollback/close). */
  get inTransaction(): boolean {
    return this.transaction !== null
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
    const state = this.stateOf(obj)
    if (state.session === this) {
      if (state.deleted) throw InvalidRequestError.deletedInTransaction(state.describe())
      // Adding an object marked for deletion takes the mark back (SQLAlchemy does the same).
      if (this.deletedStates.size > 0) this.deletedStates.delete(state)
      return
    }
    this.attach(state)
    this.cascadeAdd(state)
    this.cascadeCollections(state)
  }

  /** Puts an object that has no session in this one: transient becomes pending, detached persistent. No cascade. */
  private attach(state: InstanceState): void {
    if (state.session !== null) throw InvalidRequestError.attachedElsewhere(state.describe())
    if (state.deleted) throw InvalidRequestError.deletedObject(state.describe())
    this.checkContext()
    this.autobegin()
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

  /** Adds several objects. */
  addAll(objects: Iterable<Model>): void {
    for (const obj of objects) this.add(obj)
  }

  /** Marks a persistent object for deletion: a DELETE at the next flush. */
  delete(obj: Model): void {
    const state = this.stateOf(obj)
    if (state.key === undefined) {
      throw InvalidRequestError.badArgument(`${state.describe()} is not persisted; use session.expunge() to discard a pending object.`)
    }
    // A detached object is attached without the save-update cascade (delete cascades only along @cascade(delete)).
    if (state.session === null) this.attach(state)
    else if (state.session !== this) throw InvalidRequestError.attachedElsewhere(state.describe())
    this.checkContext()
    this.autobegin()
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
    const values = this.primaryKeyValues(mapper, key)
    const state = this.identityMap.get(mapper, mapper.identityKey(values))
    if (state !== undefined && !state.stale && (state.expired === null || state.expired.size === 0)) {
      // Marked for deletion but not flushed, it is still persistent: the identity map answers it, as in SQLAlchemy.
      return state.deleted ? null : (state.obj as T)
    }
    this.guard('get')
    // Checked first: awaiting an autoflush with nothing to write would still cost a turn of the event loop.
    if (this.needsAutoflush) await this.autoflush()
    if (this.deletedInTransaction(mapper, values)) return null
    // Joined relationships and loader options need a query's statement: run the lookup as a query.
    if (mapper.joinedRelationships.length > 0 || (options.options !== undefined && options.options.length > 0)) {
      const [viaQuery] = await this.loadObjects<T>(mapper, mapper.selectWhere(mapper.primaryKeyCondition(values)), options.options)
      if (viaQuery === undefined && state !== undefined) this.forgetVanished(state)
      return viaQuery ?? null
    }
    const route = this.routing.routeOf(mapper)
    const rows = await this.executeCompiled(route, mapper, this.primaryKeyQuery(route, mapper, values))
    if (rows.length === 0) {
      if (state !== undefined) this.forgetVanished(state)
      return null
    }
    const found = hydrate(this, mapper, rows[0], mapper.decoders(route.dialect)) as T
    if (mapper.eagerRelationships.length > 0) await this.applyLoading(mapper, [stateOf(found)!], [])
    return found
  }

  /** An expired or stale object whose row is gone (deleted elsewhere) leaves the session, as SQLAlchemy's get() does. */
  private forgetVanished(state: InstanceState): void {
    if (state.session !== this || state.deleted || this.deletedStates.has(state)) return
    this.expunge(state.obj)
    // A rollback may bring the row back: the object returns with it.
    this.transaction?.vanished.push(state)
  }

  /** A query over a model's rows. */
  query<T extends Model>(modelClass: ModelClass<T>): Query<T> {
    const mapper = mapperOf(modelClass)
    const source: QuerySource = { mapper, session: () => this }
    return new Query<T>(source)
  }

  /** Writes pending changes (INSERT, UPDATE, DELETE) inside the transaction, without committing. */
  async flush(): Promise<void> {
    if (isFlushing(this)) throw InvalidRequestError.alreadyFlushing()
    while (this.flushing !== null) await this.flushing.catch(() => undefined)
    this.guard('flush')
    if (!this.hasPendingChanges) return
    this.flushing = this.runFlush()
    try {
      await this.flushing
    } finally {
      this.flushing = null
    }
  }

  /**
   * Flushes when autoflush is on and there is something to write. Queries call this first; an
   * error says that it came from this autoflush, as SQLAlchemy's does.
   */
  async autoflush(): Promise<void> {
    if (!this.needsAutoflush) return
    try {
      await this.flush()
    } catch (error) {
      if (error instanceof Error && !error.message.includes(AUTOFLUSH_NOTE)) error.message += AUTOFLUSH_NOTE
      throw error
    }
  }

  /** True when autoflush is on and a flush has something to write (or is running). */
  private get needsAutoflush(): boolean {
    // Not from a listener of this session's own flush: that flush waits for it (SQLAlchemy skips autoflush while flushing).
    return this.autoflushEnabled && (this.hasPendingChanges || this.flushing !== null) && !isFlushing(this)
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
  async commit(): Promise<void> {
    if (this.transaction !== null) this.transaction.guard('commit')
    const epoch = this.epoch
    if (sessionListens(this, 'beforeCommit')) await dispatchSessionEvent(this, 'beforeCommit')
    // Listeners of a flush may add objects: flush again until nothing is left, as SQLAlchemy does (at most 100 times).
    for (let flushes = 0; ; flushes++) {
      await this.flush()
      if (!this.hasPendingChanges) break
      if (flushes >= MAX_COMMIT_FLUSHES) throw InvalidRequestError.flushLoop(MAX_COMMIT_FLUSHES)
    }
    if (this.epoch !== epoch) throw IllegalStateChangeError.notAllowed('commit', 'rolled back by a concurrent rollback() or close()')
    const transaction = this.transaction
    if (transaction === null) return
    if (this.context?.transaction === transaction) this.context.ended = true
    await transaction.commit()
    this.transaction = null
    for (const state of transaction.deleted) state.session = null
    if (this.expireOnCommit) for (const state of this.identityMap.states()) this.markStale(state)
    if (sessionListens(this, 'afterCommit')) await this.inEventPhase('committed', () => dispatchSessionEvent(this, 'afterCommit'))
  }

  /** Runs after-commit/after-rollback listeners while statements are refused, as SQLAlchemy refuses them there. */
  private async inEventPhase(phase: string, dispatch: () => Promise<void>): Promise<void> {
    this.eventPhase = phase
    try {
      await dispatch()
    } finally {
      this.eventPhase = null
    }
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
    this.checkContext()
    if (this.transaction !== null) throw InvalidRequestError.transactionAlreadyBegun()
    const transaction = this.ensureTransaction()
    const handle = new Transaction(
      () => this.transaction === transaction && transaction.state === 'active',
      () => this.commit(),
      () => this.rollback(),
    )
    if (work === undefined) return handle
    return (async () => {
      const outer = this.context
      const context = (this.context = { transaction, ended: false })
      let result: R
      try {
        result = await work(this)
        this.context = outer
        if (!context.ended) await handle.commit()
      } catch (error) {
        this.context = outer
        // A failed commit is rolled back too, so the session stays usable.
        if (this.transaction === transaction) await this.rollback()
        throw error
      }
      return result
    })()
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
  async beginNested<R>(work?: (session: this) => R | Promise<R>): Promise<NestedTransaction | R> {
    await this.flush()
    const transaction = this.ensureTransaction()
    this.routing.pin()
    const savepoint = await transaction.beginSavepoint(this.routing.defaultRoute)
    const handle = new NestedTransaction(
      () => savepoint.state === 'active' && this.transaction === transaction,
      async () => {
        if (savepoint.state !== 'active' || this.transaction !== transaction) throw InvalidRequestError.transactionInactive('nested transaction')
        await this.flush()
        this.closeInnerSavepoints(transaction, savepoint)
        await transaction.releaseSavepoint(savepoint)
      },
      async () => {
        if ((savepoint.state !== 'active' && savepoint.state !== 'deactive') || this.transaction !== transaction) return
        this.closeInnerSavepoints(transaction, savepoint)
        while (this.flushing !== null) await this.flushing.catch(() => undefined)
        await transaction.rollbackSavepoint(savepoint, this)
      },
    )
    if (work === undefined) return handle
    let result: R
    try {
      result = await work(this)
      await handle.commit()
    } catch (error) {
      // A failed release (its flush failed) rolls back to the savepoint too, so the session stays usable.
      await handle.rollback()
      throw error
    }
    return result
  }

  /** True while a `beginNested()` savepoint is open. */
  get inNestedTransaction(): boolean {
    return (this.transaction?.savepoints.length ?? 0) > 0
  }

  /** Savepoints opened inside `savepoint` and left open end with it (released into it, or rolled back with it). */
  private closeInnerSavepoints(transaction: SessionTransaction, savepoint: Savepoint): void {
    const at = transaction.savepoints.indexOf(savepoint)
    if (at < 0) throw InvalidRequestError.transactionInactive('nested transaction')
    for (const inner of transaction.savepoints.splice(at + 1)) inner.mergeInto(savepoint)
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
    this.guard('execute')
    await this.autoflush()
    return this.runRaw<R>(statement, options.bind)
  }

  /**
   * The session's connection to the default bind (or `options.bind`'s model's bind), inside its
   * transaction: what SQLAlchemy's `session.connection()` gives, for raw statements that must see
   * the session's flushed, uncommitted work.
   */
  async connection(options: { bind?: ModelClass } = {}): Promise<SessionConnection> {
    this.guard('connection')
    this.ensureTransaction()
    return {
      engine: this.getBind(options.bind, { write: true }),
      execute: <R extends Record<string, unknown> = Record<string, unknown>>(statement: RawSql) => this.runRaw<R>(statement, options.bind),
    }
  }

  private async runRaw<R extends Record<string, unknown>>(statement: RawSql, bind: ModelClass | undefined): Promise<Result<R>> {
    const route = bind === undefined ? this.routing.defaultRoute : this.routing.routeOf(mapperOf(bind))
    const node = statement.toNode()
    const query = route.compiler.compile(node)
    const transaction = this.ensureTransaction()
    if (node.isWrite) this.routing.pin()
    // Raw statements run on the primary: a replica may lag behind what the caller expects to read.
    const result = node.isWrite ? await transaction.write(route, query) : await transaction.execute(route, route.primary, query)
    return new Result<R>(result)
  }

  /** Like {@link get}, but raises `NoResultFoundError` when there is no such row (SQLAlchemy's `get_one`). */
  async getOne<T extends Model>(modelClass: ModelClass<T>, key: KeyOf<T>, options: GetOptions = {}): Promise<T> {
    const found = await this.get(modelClass, key, options)
    if (found === null) throw NoResultFoundError.forModel(mapperOf(modelClass).name)
    return found
  }

  /**
   * True when the object has changes a flush would write: a column whose value really differs from
   * the loaded one (assigning the current value is no change), or a to-one relationship assigned.
   * SQLAlchemy's `session.is_modified()`.
   */
  isModified(obj: Model): boolean {
    const state = this.stateOf(obj)
    if (state.key === undefined) return state.modified
    return state.changedColumns().length > 0 || (state.changedRelationships !== null && state.changedRelationships.size > 0) || state.changedCollections !== null
  }

  /**
   * Rolls the transaction back and restores objects to the database's state: objects inserted in
   * the transaction and pending objects become transient, deleted ones persistent again, and
   * modified columns take their original values. After a commit that failed part-way
   * (`BindCommitError`), objects of the binds that did commit stay as committed.
   */
  async rollback(): Promise<void> {
    await this.rollbackAndRestore(true)
  }

  /** Rolls back and restores objects; `expire` marks the remaining ones stale (rollback does, close does not: it detaches them). */
  private async rollbackAndRestore(expire: boolean): Promise<void> {
    const transaction = this.transaction
    if (this.context !== null && this.context.transaction === transaction) this.context.ended = true
    this.transaction = null
    this.epoch++
    this.collections.reset()
    if (transaction !== null) {
      // Statements already running settle first; a flush in progress then fails at its next statement.
      await transaction.rollback()
      while (this.flushing !== null) await this.flushing.catch(() => undefined)
    }
    this.restoreObjects(transaction, expire)
    if (transaction !== null && sessionListens(this, 'afterRollback')) await this.inEventPhase('inactive', () => dispatchSessionEvent(this, 'afterRollback'))
  }

  /**
   * After the database rolled `transaction` back: objects inserted in it become transient, deleted
   * ones persistent again, modified columns take their values back, pending objects leave the
   * session (SQLAlchemy's `_restore_snapshot`); `expire` marks the rest stale. What was restored is
   * forgotten, so a second call (a failed flush restores at once, the later rollback() again) does nothing twice.
   */
  private restoreObjects(transaction: SessionTransaction | null, expire: boolean): void {
    if (transaction === null) {
      restoreObjects(this, NOTHING_FLUSHED)
    } else {
      const { inserted, deleted, vanished, originals } = transaction
      restoreObjects(this, { inserted, deleted, vanished, originals, kept: (state) => this.committedIn(transaction, state) })
      // Rows read after the transaction wrote may show writes that are gone now: their columns are
      // expired (read again with refresh() or a query), never served from a rolled-back transaction.
      for (const state of transaction.readAfterWrite) {
        if (state.key === undefined || state.deleted || state.session !== this) continue
        // The primary key is the identity the object keeps; every other column is expired.
        state.expired = new Set(state.mapper.columns.filter((column) => !state.mapper.primaryKey.includes(column)).map((column) => column.name))
        state.committed = null
      }
      transaction.forgetRestored()
    }
    if (expire) for (const state of this.identityMap.states()) this.markStale(state)
  }

  /** True when the object's row was written in a bind whose COMMIT went through before another bind's failed. */
  private committedIn(transaction: SessionTransaction, state: InstanceState): boolean {
    const committed = transaction.committedEngines
    return committed !== null && committed.has(this.routing.routeOf(state.mapper).primary)
  }

  /** Rolls back, then detaches every object. The session can be used again afterwards. */
  async close(): Promise<void> {
    // Detached objects keep what they loaded (collections stay readable), as after SQLAlchemy's close().
    await this.rollbackAndRestore(false)
    this.expungeAll()
    this.routing.reset()
  }

  /** Removes one object from the session: persistent becomes detached, pending becomes transient. */
  expunge(obj: Model): void {
    const state = this.stateOf(obj)
    if (state.session !== this) throw InvalidRequestError.notInSession(state.describe(), 'expunged')
    this.expungeState(state)
  }

  /**
   * Detaches one object, then the loaded related objects of its `@cascade(delete)` relationships
   * (SQLAlchemy's `expunge` cascade, which its usual `cascade="all, delete-orphan"` includes).
   */
  private expungeState(state: InstanceState): void {
    this.identityMap.remove(state)
    this.newStates.delete(state)
    this.dirtyStates.delete(state)
    this.deletedStates.delete(state)
    state.session = null
    for (const relationship of state.mapper.relationships.values()) {
      if (relationship.cascade?.includes('delete') !== true || !(relationship.name in state.related)) continue
      for (const obj of relatedObjects(state.related[relationship.name])) {
        const related = stateOf(obj)
        if (related !== undefined && related.session === this) this.expungeState(related)
      }
    }
  }

  /** Removes every object from the session. */
  expungeAll(): void {
    for (const state of this.identityMap.states()) state.session = null
    for (const state of this.newStates) state.session = null
    this.identityMap.clear()
    this.newStates.clear()
    this.dirtyStates.clear()
    this.deletedStates.clear()
  }

  /**
   * Marks columns (all when `attributes` is omitted) expired: unflushed changes to them are
   * discarded, reading them throws `ExpiredAttributeError` until `refresh()` or the next query
   * that returns the row, and loaded relationships reload on next access.
   */
  expire(obj: Model, attributes?: readonly string[]): void {
    const state = this.persistentState(obj, 'expired')
    const relationships = attributes?.filter((name) => state.mapper.relationships.has(name)) ?? []
    const names = attributes?.filter((name) => !state.mapper.relationships.has(name)) ?? state.mapper.columns.map((column) => column.name)
    for (const name of relationships) {
      delete state.related[name]
      state.changedRelationships?.delete(name)
    }
    if (attributes !== undefined && names.length === 0) return
    const expired = (state.expired ??= new Set())
    for (const name of names) {
      state.mapper.column(name)
      expired.add(name)
      if (state.committed !== null && name in state.committed) {
        state.dict[name] = state.committed[name]
        delete state.committed[name]
      }
    }
    if (state.committed !== null && Object.keys(state.committed).length === 0) state.committed = null
    if (attributes === undefined) {
      state.related = {}
      state.changedRelationships = null
    } else {
      // Loaded relationships reload; ones assigned and not yet flushed are kept, as the assignment is unflushed work.
      const assigned = state.changedRelationships
      for (const name of Object.keys(state.related)) if (!assigned?.has(name)) delete state.related[name]
    }
  }

  /** Expires every object in the session. */
  expireAll(): void {
    for (const state of [...this.identityMap.states()]) this.expire(state.obj)
  }

  /** Reloads every column of a persistent object from the database, discarding unflushed changes to it. */
  async refresh(obj: Model): Promise<void> {
    const state = this.persistentState(obj, 'refreshed')
    this.guard('refresh')
    // Its own unflushed column changes are discarded, not flushed; other pending work is autoflushed first, as SQLAlchemy does.
    if (state.committed !== null) {
      Object.assign(state.dict, state.committed)
      state.committed = null
      if (state.changedRelationships === null) this.dirtyStates.delete(state)
    }
    await this.autoflush()
    const values = state.mapper.primaryKey.map((column) => state.storedValue(column.name))
    const route = this.routing.routeOf(state.mapper)
    const rows = await this.executeCompiled(route, state.mapper, this.primaryKeyQuery(route, state.mapper, values))
    if (rows.length === 0) throw InvalidRequestError.badArgument(`Could not refresh ${state.describe()}: its row no longer exists.`)
    state.clearModifications()
    this.dirtyStates.delete(state)
    populate(state, rows[0], state.mapper.decoders(route.dialect), true)
    if (this.readsUncommitted) this.noteUncommittedRead(state)
    state.related = {}
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
    return (await this.noAutoflush(() => this.mergeState(this.stateOf(obj), new Map()))) as T
  }

  private async mergeState(source: InstanceState, merged: Map<InstanceState, Model>): Promise<Model> {
    if (source.session === this) return source.obj
    const done = merged.get(source)
    if (done !== undefined) return done
    const mapper = source.mapper
    const key = mapper.identityKeyOf(source.dict)
    let target: Model | null = null
    if (key !== undefined) {
      target = this.pendingWithKey(mapper, key)
      if (target === null) {
        const values = mapper.primaryKey.map((column) => source.dict[column.name])
        target = await this.get(mapper.modelClass, (values.length === 1 ? values[0] : Object.fromEntries(mapper.primaryKey.map((c, i) => [c.name, values[i]]))) as never)
      }
    }
    if (target === null) {
      target = Object.create(mapper.modelClass.prototype) as Model
      ;(target as Instrumented)[STATE] = new InstanceState(mapper, target, {})
      this.add(target)
    }
    merged.set(source, target)
    const targetState = this.stateOf(target)
    for (const column of mapper.columns) {
      const value = source.dict[column.name]
      if (value !== undefined && !column.equals(value, targetState.dict[column.name])) targetState.setColumn(column.name, value)
    }
    for (const relationship of mapper.relationships.values()) await this.mergeRelationship(source, targetState, relationship, merged)
    return target
  }

  /** Merges one relationship of `source` onto `target`, when `source` has it in memory. */
  private async mergeRelationship(source: InstanceState, target: InstanceState, relationship: Relationship, merged: Map<InstanceState, Model>): Promise<void> {
    const name = relationship.name
    const inMemory = name in source.related ? source.related[name] : source.unsavedMembers?.get(name)
    if (inMemory === undefined) return
    const targetObj = target.obj as unknown as Record<string, unknown>
    if (!relationship.uselist) {
      const value = inMemory === null ? null : await this.mergeState(stateOf(inMemory)!, merged)
      if (relationship.ownsForeignKey || relationship.backPopulates !== undefined) {
        if (!(name in target.related) || target.related[name] !== value) targetObj[name] = value
      }
      return
    }
    // An empty collection merely read on an object without a row was never set (SQLAlchemy keeps such lists out of the object's state).
    if (source.key === undefined && (inMemory as Model[]).length === 0 && source.changedCollections?.has(name) !== true) return
    const members: Model[] = []
    for (const member of inMemory as Model[]) members.push(await this.mergeState(stateOf(member)!, merged))
    if (relationship.strategy === 'dynamic') {
      const query = targetObj[name] as DynamicRelationship<Model>
      const current = target.key === undefined ? [...(target.unsavedMembers?.get(name) ?? [])] : await query.all()
      for (const obj of current) if (!members.includes(obj)) query.remove(obj)
      for (const obj of members) if (!current.includes(obj)) query.append(obj)
      return
    }
    const list = (await targetObj[name]) as Model[]
    if (list.length !== members.length || list.some((obj, i) => obj !== members[i])) list.splice(0, list.length, ...members)
  }

  /** A pending object of `mapper` whose primary key, set by hand, is `key`: a merge joins it rather than adding another. */
  private pendingWithKey(mapper: Mapper, key: unknown): Model | null {
    for (const state of this.newStates) if (state.mapper === mapper && mapper.identityKeyOf(state.dict) === key) return state.obj
    return null
  }

  /** @internal True once the transaction wrote: rows read from then on may hold writes a rollback undoes. */
  get readsUncommitted(): boolean {
    return this.transaction !== null && this.transaction.hasWritten
  }

  /** @internal Remembers an object whose row was read after this transaction wrote (see `restoreObjects`). */
  noteUncommittedRead(state: InstanceState): void {
    this.transaction?.readAfterWrite.add(state)
  }

  /** @internal Called by states when a column or relationship changes. */
  markModified(state: InstanceState): void {
    if (state.key !== undefined && !state.deleted) {
      if (this.transaction === null) {
        this.checkContext()
        if (!this.terminated) this.transaction = new SessionTransaction(this.owner, this.isolationLevel, this.joinTransaction)
      }
      this.dirtyStates.add(state)
    }
  }

  /** @internal Runs a SELECT on the table of `mapper` (on its bind's reading engine) and returns raw rows. */
  async executeRows(mapper: Mapper, node: SelectNode, exactIntegers: boolean): Promise<readonly (readonly unknown[])[]> {
    const route = this.routing.routeOf(mapper)
    try {
      return (await this.read(route, route.compiler.compile(node, exactIntegers))).rows
    } catch (error) {
      throw explainSchemaMismatch(error, mapper)
    }
  }

  /** @internal Runs a write on the table of `mapper`, on its bind's primary, inside the session's transaction. */
  async write(mapper: Mapper, node: StatementNode, exactIntegers = false): Promise<QueryResult> {
    const route = this.routing.routeOf(mapper)
    try {
      return await this.ensureTransaction().write(route, route.compiler.compile(node, exactIntegers))
    } catch (error) {
      throw explainSchemaMismatch(error, mapper)
    }
  }

  /** Runs an already compiled SELECT of `mapper`'s table on `route`'s bind and returns its rows. */
  private async executeCompiled(route: BindRoute, mapper: Mapper, query: CompiledQuery): Promise<readonly (readonly unknown[])[]> {
    try {
      return (await this.read(route, query)).rows
    } catch (error) {
      throw explainSchemaMismatch(error, mapper)
    }
  }

  /** Runs a read of `route`'s bind: on the primary once the session is pinned to it, else on this session's replica. */
  private read(route: BindRoute, query: CompiledQuery): Promise<QueryResult> {
    const transaction = this.ensureTransaction()
    const engine = this.routing.readEngine(route)
    if (engine === route.primary) return transaction.execute(route, engine, query)
    return this.readReplica(transaction, route, engine, query)
  }

  /**
   * Runs a read on `replica`. When the replica cannot be reached (its connection checkout fails,
   * or, for drivers that connect at the first statement, the connection is lost), the replica is
   * skipped for a while by every session, and this read and the session's later ones go to the primary.
   */
  private async readReplica(transaction: SessionTransaction, route: BindRoute, replica: Engine, query: CompiledQuery): Promise<QueryResult> {
    const connection = transaction.on(route, replica)
    let checkedOut = false
    try {
      await connection.connect()
      checkedOut = true
      return await connection.execute(query)
    } catch (error) {
      if (checkedOut && !(error instanceof ConnectionLostError)) throw error
      this.routing.unreachable(route, replica)
      return transaction.execute(route, route.primary, query)
    }
  }

  /** @internal The SQL dialect of a model's bind. */
  dialectOf(mapper: Mapper): Dialect {
    return this.routing.routeOf(mapper).dialect
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

  /** @internal Runs an entity SELECT (all columns of `mapper`) and returns objects through the identity map. */
  async loadObjects<T extends Model>(mapper: Mapper, node: SelectNode, options: readonly LoaderOption[] = []): Promise<T[]> {
    this.guard('query')
    const joined = this.joinedFor(mapper, options)
    let objects: T[]
    if (joined.length > 0) {
      const exact = mapper.hasBigInt || joined.some((relationship) => relationship.mapper.hasBigInt)
      const rows = await this.executeRows(mapper, joinedSelect(mapper, node, joined), exact)
      objects = hydrateJoined(this, mapper, joined, rows) as T[]
      for (const relationship of joined) await this.loadJoinedTargets(relationship, objects)
    } else {
      const rows = await this.executeRows(mapper, node, mapper.hasBigInt)
      const decoders = mapper.decoders(this.dialectOf(mapper))
      objects = new Array<T>(rows.length)
      for (let i = 0; i < rows.length; i++) objects[i] = hydrate(this, mapper, rows[i], decoders) as T
    }
    if (objects.length > 0 && (mapper.eagerRelationships.length > 0 || options.length > 0)) {
      await this.applyLoading(
        mapper,
        objects.map((obj) => stateOf(obj)!),
        options,
      )
    }
    return objects
  }

  /** Relationships this query loads with a join: the schema's `joined` ones, changed by options. */
  private joinedFor(mapper: Mapper, options: readonly LoaderOption[]): Relationship[] {
    if (options.length === 0) return mapper.joinedRelationships
    const { strategies } = resolveOptions(mapper, options)
    return [...mapper.relationships.values()].filter((relationship) => (strategies.get(relationship) ?? relationship.strategy) === 'joined')
  }

  /** The objects a join brought in get their own `selectin` relationships, as if queried. */
  private async loadJoinedTargets(relationship: Relationship, owners: readonly Model[]): Promise<void> {
    if (relationship.mapper.eagerRelationships.length === 0) return
    const targets = new Set<InstanceState>()
    for (const owner of owners) {
      for (const obj of relatedObjects(stateOf(owner)!.related[relationship.name])) targets.add(stateOf(obj)!)
    }
    if (targets.size > 0) await this.applyLoading(relationship.mapper, [...targets], [])
  }

  /**
   * After a query: loads `selectin` relationships (from the schema or a `selectinload` option) for
   * all `states` with one SELECT ... IN (...) each, records other per-query strategies on the
   * objects, and descends into nested option paths.
   */
  private async applyLoading(mapper: Mapper, states: readonly InstanceState[], options: readonly LoaderOption[]): Promise<void> {
    const { strategies, nested } = resolveOptions(mapper, options)
    for (const relationship of mapper.relationships.values()) {
      const chosen = strategies.get(relationship)
      const strategy = chosen ?? relationship.strategy
      if (chosen !== undefined && chosen !== 'selectin') for (const state of states) (state.strategyOverrides ??= {})[relationship.name] = chosen
      const deeper = nested.get(relationship)
      if (strategy !== 'selectin' && deeper === undefined) continue
      const owners = states.filter((state) => !(relationship.name in state.related))
      if (owners.length > 0) await loadRelated(this, relationship, owners)
      if (deeper === undefined) continue
      const children = states.flatMap((state) => relatedObjects(state.related[relationship.name]).map((obj) => stateOf(obj)!))
      if (children.length > 0) await this.applyLoading(relationship.mapper, [...new Set(children)], deeper)
    }
  }

  /** @internal Counts one lazy load of `relationship` for the N+1 check, which warns or throws past its threshold. */
  countLazyLoad(relationship: Relationship): void {
    if (this.nPlusOne === undefined) return
    const count = (this.lazyLoadCounts.get(relationship) ?? 0) + 1
    this.lazyLoadCounts.set(relationship, count)
    if (count <= this.nPlusOne.threshold) return
    const name = `${relationship.parent.name}.${relationship.name}`
    if (this.nPlusOne.raise) throw NPlusOneError.of(name, count)
    // Warn once per relationship, when it first crosses the threshold.
    if (count === this.nPlusOne.threshold + 1) (this.nPlusOne.warn ?? console.warn)(nPlusOneMessage(name, count))
  }

  private markStale(state: InstanceState): void {
    state.stale = true
    state.related = {}
    state.changedRelationships = null
  }

  /** `SELECT <every column> WHERE <pk> = ?`: compiled once per mapper and dialect; only the parameters change. */
  private primaryKeyQuery(route: BindRoute, mapper: Mapper, values: readonly unknown[]): CompiledQuery {
    const dialect = route.dialect
    const template = mapper.cachedQuery(dialect, 'select-by-pk', () =>
      route.compiler.compile(mapper.selectWhere(mapper.primaryKeyCondition(values)), mapper.hasBigInt),
    )
    const pk = mapper.primaryKey
    const parameters = pk.map((column, i) => (values[i] === null ? null : dialect.encode(values[i], column.type)))
    return { ...template, parameters }
  }

  private primaryKeyValues(mapper: Mapper, key: unknown): unknown[] {
    const pk = mapper.primaryKey
    if (pk.length === 1 && (key === null || typeof key !== 'object' || key instanceof Date)) return [key]
    if (key === null || typeof key !== 'object') {
      throw InvalidRequestError.badArgument(`${mapper.name} has a composite primary key; pass { ${pk.map((c) => c.name).join(', ')} }.`)
    }
    return pk.map((column) => {
      const value = (key as Record<string, unknown>)[column.name]
      if (value === undefined) throw InvalidRequestError.badArgument(`Primary key of ${mapper.name} is missing "${column.name}".`)
      return value
    })
  }

  /** @internal Adds related objects that are not in a session yet (save-update cascade). */
  cascadeAdd(state: InstanceState): void {
    for (const name of state.changedRelationships ?? []) {
      if (state.echoedRelationships?.has(name) === true) continue
      const related = stateOf(state.related[name])
      if (related !== undefined && related.session === null) this.add(related.obj)
    }
  }

  /**
   * A transient object joining the session brings the objects of its in-memory collections (a
   * loaded list, or what was appended to a dynamic relationship): they are added too, and
   * many-to-many members get their join-table rows (save-update cascade).
   */
  private cascadeCollections(state: InstanceState): void {
    const unsaved = state.unsavedMembers
    const keyless = state.key === undefined
    for (const relationship of state.mapper.relationships.values()) {
      if (!relationship.uselist) continue
      const loaded = state.related[relationship.name]
      const members = (Array.isArray(loaded) ? loaded : unsaved?.get(relationship.name)) as Model[] | undefined
      if (members === undefined || members.length === 0) continue
      for (const member of members) {
        const target = stateOf(member)
        if (target === undefined) continue
        if (target.session === null) this.add(member)
        // An object without a row has no stored links: every member of its many-to-many list is a new link.
        if (keyless && relationship.secondary !== undefined) this.collections.link(relationship, state, target, true)
      }
    }
    const removed = state.removedMembers
    state.removedMembers = null
    for (const member of removed ?? []) if (stateOf(member)?.session === null) this.add(member)
  }

  private async runFlush(): Promise<void> {
    const transaction = this.ensureTransaction()
    // From the first write on, reads go to the primaries: the session reads its own writes.
    this.routing.pin()
    if (sessionListens(this, 'beforeFlush')) await duringFlush(this, () => dispatchSessionEvent(this, 'beforeFlush'))
    try {
      await new UnitOfWork(this, transaction).run()
    } catch (error) {
      // Inside a savepoint only the savepoint fails: rolling back to it makes the session usable again.
      const savepoint = transaction.innermostSavepoint
      if (savepoint !== undefined && transaction.state === 'active') {
        savepoint.state = 'deactive'
        savepoint.failure = error
      } else {
        await transaction.fail(error)
        // As in SQLAlchemy, the failed flush's rollback restores objects now; the session still needs rollback() before new work.
        if (this.transaction === transaction) {
          this.collections.reset()
          this.restoreObjects(transaction, true)
        }
        if (sessionListens(this, 'afterRollback')) await this.inEventPhase('inactive', () => dispatchSessionEvent(this, 'afterRollback'))
      }
      throw error
    }
    if (sessionListens(this, 'afterFlush')) await duringFlush(this, () => dispatchSessionEvent(this, 'afterFlush'))
  }

  /** Inside `begin(work)` after `work` committed or rolled back the block's transaction: new work is refused (SQLAlchemy's rule). */
  private checkContext(): void {
    if (this.context !== null && this.context.ended) throw InvalidRequestError.closedInContext()
  }

  /** Begins the session's transaction without a statement (SQLAlchemy 2.0 autobegins on add, delete and changes). */
  private autobegin(): void {
    if (this.transaction === null && !this.terminated) this.transaction = new SessionTransaction(this.owner, this.isolationLevel, this.joinTransaction)
  }

  private ensureTransaction(): SessionTransaction {
    if (this.eventPhase !== null) throw InvalidRequestError.noSqlInPhase(this.eventPhase)
    if (this.transaction === null) {
      if (this.terminated) throw NoScopeError.scopeEnded()
      this.transaction = new SessionTransaction(this.owner, this.isolationLevel, this.joinTransaction)
    }
    return this.transaction
  }

  /** @internal Called when the session's scope ends (after close): any later statement raises `NoScopeError`. */
  terminate(): void {
    this.terminated = true
  }

  /**
   * @internal Re-reads the row of an object loaded in an earlier transaction, keeping unflushed
   * changes, so a lazy load follows the foreign key the database holds now.
   */
  async refreshStale(state: InstanceState): Promise<void> {
    const values = state.mapper.primaryKey.map((column) => state.storedValue(column.name))
    const route = this.routing.routeOf(state.mapper)
    const rows = await this.executeCompiled(route, state.mapper, this.primaryKeyQuery(route, state.mapper, values))
    if (rows.length > 0) populate(state, rows[0], state.mapper.decoders(route.dialect), false)
  }

  /** True when a flush of the current transaction deleted this row (a DELETE, or the database's ON DELETE CASCADE) and no object took its identity since. */
  private deletedInTransaction(mapper: Mapper, values: readonly unknown[]): boolean {
    const transaction = this.transaction
    if (transaction === null || transaction.deleted.length === 0) return false
    const key = mapper.identityKey(values)
    return this.identityMap.get(mapper, key) === undefined && transaction.wasDeleted(mapper, key)
  }

  private guard(operation: string): void {
    if (this.eventPhase !== null) throw InvalidRequestError.noSqlInPhase(this.eventPhase)
    this.transaction?.guard(operation)
  }

  private stateOf(obj: Model): InstanceState {
    const state = stateOf(obj)
    if (state === undefined) throw UnmappedError.instance(obj)
    return state
  }

  private persistentState(obj: Model, operation: string): InstanceState {
    const state = this.stateOf(obj)
    if (state.session !== this || state.key === undefined) throw InvalidRequestError.notInSession(state.describe(), operation)
    return state
  }
}
