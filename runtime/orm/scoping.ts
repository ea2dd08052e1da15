/** ScopedSession: SQLAlchemy's `scoped_session` and Flask-SQLAlchemy's `db.session`, one Session per async scope. */
import type { ConnectionOwner, IsolationLevel } from '../engine/driver.js'
import type { Engine } from '../engine/engine.js'
import type { ExternalTransaction } from '../engine/external-transaction.js'
import { InvalidRequestError, NotFoundError } from '../errors.js'
import type { Query } from '../query/query.js'
import type { ColumnsOf, Model, ModelClass, KeyOf } from './model.js'
import type { BindTarget } from './routing.js'
import { Scope, ScopeRegistry } from './scope-registry.js'
import type { RawSql, Result } from '../sql/raw-sql.js'
import type { IdentityMap } from './identity-map.js'
import type { InsertManyOptions, InsertRow } from './insert-many.js'
import type { GetOptions, Session, SessionConnection, SessionOptions } from './session.js'
import type { NestedTransaction, Transaction } from './transaction/transaction-handles.js'
import type { SessionFactory } from './sessionmaker.js'

/** A scope opened by middleware: run the request inside it, then end it exactly once. */
export interface ScopeHandle {
  /** The scope itself. @internal */
  readonly scope: Scope
  /** Runs `fn` (and everything it awaits or schedules) inside the scope. */
  run<R>(fn: () => R): R
  /**
   * Ends the scope; later calls do nothing. With `commit`, commits the session first (a failed
   * commit is rethrown after the session is closed). Always closes the session, which rolls back
   * whatever was not committed and returns its connection to the pool.
   */
  end(options?: { commit?: boolean }): Promise<void>
}

/** What a scope changes in its session's options: its owner label and its default database, when given. */
function sessionOptionsOf(scope: Scope): Partial<SessionOptions> | undefined {
  if (scope.bind === undefined) return scope.owner === undefined ? undefined : { owner: scope.owner }
  return scope.owner === undefined ? { bind: scope.bind } : { owner: scope.owner, bind: scope.bind }
}

/**
 * The session of the current scope, wherever in the scope's async call tree it is used.
 *
 * Inside one scope (a request behind the middleware, a `db.scope()` call) every use is the same
 * {@link Session}, across awaits, timers and `Promise.all`; different scopes never share one.
 * Outside any scope it raises `NoScopeError`, unless the global scope was enabled for scripts.
 *
 * ### Examples
 * ```ts
 * await db.scope(async () => {
 *   db.session.add(new Role({ name: 'admin' }))
 *   await db.session.commit()
 * })
 * ```
 */
export class ScopedSession {
  /** @internal */
  readonly registry: ScopeRegistry
  private readonly factory: SessionFactory

  /** @internal Use `db.session`. */
  constructor(factory: SessionFactory, registry = new ScopeRegistry()) {
    this.factory = factory
    this.registry = registry
  }

  /** The current scope's session, created on first use (SQLAlchemy's `scoped_session()` call). */
  get current(): Session {
    const scope = this.registry.current()
    scope.session ??= this.factory(sessionOptionsOf(scope))
    return scope.session
  }

  /** True when the current scope already has a session (SQLAlchemy's `registry.has()`). */
  get hasSession(): boolean {
    return this.registry.find()?.session !== undefined
  }

  /**
   * Closes the current scope's session (rolling back what was not committed, releasing its
   * connection) and forgets it; the next use in the scope starts a new one.
   */
  async remove(): Promise<void> {
    const scope = this.registry.find()
    const session = scope?.session
    if (scope === undefined || session === undefined) return
    scope.session = undefined
    await session.close()
    session.terminate()
  }

  /** Changes the options of sessions created from now on; refused once the current scope has a session. */
  configure(options: Partial<SessionOptions>): void {
    if (this.hasSession) {
      throw InvalidRequestError.sessionAlreadyInScope()
    }
    this.factory.configure(options)
  }

  /**
   * Opens a new scope. Middleware runs the request in it and ends it when the response is done.
   * `owner` names the scope's session in `PoolTimeoutError` (the middleware pass `"GET /path"`);
   * `bind` replaces the factory's default database for the scope's session.
   */
  open(owner?: ConnectionOwner, bind?: BindTarget): ScopeHandle {
    const scope = new Scope(owner, bind)
    const registry = this.registry
    return {
      scope,
      run: (fn) => registry.run(scope, fn),
      end: async ({ commit = false } = {}) => {
        if (scope.ended) return
        scope.ended = true
        const session = scope.session
        scope.session = undefined
        if (session === undefined) return
        try {
          if (commit) await session.commit()
        } finally {
          await session.close()
          session.terminate()
        }
      },
    }
  }

  /**
   * Runs `work` in a new scope and ends the scope when it settles: with `commit: true` the session
   * commits when `work` resolves; otherwise (and always when it throws) uncommitted work is rolled back.
   * `owner` names the scope's session in `PoolTimeoutError`; `bind` replaces the factory's default database.
   */
  async run<R>(work: () => R | Promise<R>, options: { commit?: boolean; owner?: ConnectionOwner; bind?: BindTarget } = {}): Promise<R> {
    const handle = this.open(options.owner, options.bind)
    let result: R
    try {
      result = await handle.run(work)
    } catch (error) {
      await handle.end().catch(() => undefined)
      throw error
    }
    await handle.end({ commit: options.commit === true })
    return result
  }

  /** See {@link Session.add}. */
  add(obj: Model): void {
    this.current.add(obj)
  }

  /** See {@link Session.addAll}. */
  addAll(objects: Iterable<Model>): void {
    this.current.addAll(objects)
  }

  /** See {@link Session.delete}. */
  delete(obj: Model): void {
    this.current.delete(obj)
  }

  /** See {@link Session.get}. */
  get<T extends Model>(modelClass: ModelClass<T>, key: KeyOf<T>, options?: GetOptions): Promise<T | null> {
    return options === undefined ? this.current.get(modelClass, key) : this.current.get(modelClass, key, options)
  }

  /** Like {@link Session.get}, but raises {@link NotFoundError} (HTTP 404) when there is no such row. */
  async getOr404<T extends Model>(modelClass: ModelClass<T>, key: KeyOf<T>, options: GetOptions & { description?: string } = {}): Promise<T> {
    const found = await this.current.get(modelClass, key, options)
    if (found === null) throw NotFoundError.of(`${modelClass.name} ${JSON.stringify(key, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`, options.description)
    return found
  }

  /** See {@link Session.query}. */
  query<T extends Model>(modelClass: ModelClass<T>): Query<T> {
    return this.current.query(modelClass)
  }

  /** See {@link Session.flush}. */
  flush(): Promise<void> {
    return this.current.flush()
  }

  /** See {@link Session.commit}. */
  commit(): Promise<void> {
    return this.current.commit()
  }

  /** See {@link Session.rollback}. */
  rollback(): Promise<void> {
    return this.current.rollback()
  }

  /** See {@link Session.close}. The scope keeps the (now empty) session. */
  close(): Promise<void> {
    return this.current.close()
  }

  /** See {@link Session.expunge}. */
  expunge(obj: Model): void {
    this.current.expunge(obj)
  }

  /** See {@link Session.expungeAll}. */
  expungeAll(): void {
    this.current.expungeAll()
  }

  /** See {@link Session.refresh}. */
  refresh<T extends Model>(obj: T, columns?: readonly (keyof ColumnsOf<T> & string)[]): Promise<void> {
    return this.current.refresh(obj, columns)
  }

  /** See {@link Session.expire}. */
  expire(obj: Model, attributes?: readonly string[]): void {
    this.current.expire(obj, attributes)
  }

  /** See {@link Session.expireAll}. */
  expireAll(): void {
    this.current.expireAll()
  }

  /** See {@link Session.merge}. */
  merge<T extends Model>(obj: T): Promise<T> {
    return this.current.merge(obj)
  }

  /** See {@link Session.usePrimary}. */
  usePrimary(): void {
    this.current.usePrimary()
  }

  /** See {@link Session.getBind}. */
  getBind(modelClass?: ModelClass, options: { write?: boolean } = {}): Engine {
    return this.current.getBind(modelClass, options)
  }

  /** See {@link Session.noAutoflush}. */
  noAutoflush<R>(fn: () => R | Promise<R>): Promise<R> {
    return this.current.noAutoflush(fn)
  }

  /** See {@link Session.new}. */
  get new(): Model[] {
    return this.current.new
  }

  /** See {@link Session.dirty}. */
  get dirty(): Model[] {
    return this.current.dirty
  }

  /** See {@link Session.deleted}. */
  get deleted(): Model[] {
    return this.current.deleted
  }

  /** See {@link Session.inTransaction}. */
  get inTransaction(): boolean {
    return this.current.inTransaction
  }

  /** See {@link Session.inNestedTransaction}. */
  get inNestedTransaction(): boolean {
    return this.current.inNestedTransaction
  }

  /** See {@link Session.hasPendingChanges}. */
  get hasPendingChanges(): boolean {
    return this.current.hasPendingChanges
  }

  /** See {@link Session.bind}. */
  get bind(): Engine {
    return this.current.bind
  }

  /** See {@link Session.identityMap}. */
  get identityMap(): IdentityMap {
    return this.current.identityMap
  }

  /** See {@link Session.autoflushEnabled}. */
  get autoflushEnabled(): boolean {
    return this.current.autoflushEnabled
  }

  set autoflushEnabled(enabled: boolean) {
    this.current.autoflushEnabled = enabled
  }

  /** See {@link Session.expireOnCommit}. */
  get expireOnCommit(): boolean {
    return this.current.expireOnCommit
  }

  /** See {@link Session.isolationLevel}. */
  get isolationLevel(): IsolationLevel | undefined {
    return this.current.isolationLevel
  }

  /** See {@link Session.joinTransaction}. */
  get joinTransaction(): ExternalTransaction | undefined {
    return this.current.joinTransaction
  }

  /** See {@link Session.owner}. */
  get owner(): ConnectionOwner {
    return this.current.owner
  }

  /** See {@link Session.autoflush}. */
  autoflush(): Promise<void> {
    return this.current.autoflush()
  }

  /** See {@link Session.begin}. */
  begin(): Transaction
  begin<R>(work: (session: Session) => R | Promise<R>): Promise<R>
  begin<R>(work?: (session: Session) => R | Promise<R>): Transaction | Promise<R> {
    return work === undefined ? this.current.begin() : this.current.begin(work)
  }

  /** See {@link Session.beginNested}. */
  beginNested(): Promise<NestedTransaction>
  beginNested<R>(work: (session: Session) => R | Promise<R>): Promise<R>
  beginNested<R>(work?: (session: Session) => R | Promise<R>): Promise<NestedTransaction | R> {
    return work === undefined ? this.current.beginNested() : this.current.beginNested(work)
  }

  /** See {@link Session.execute}. */
  execute<R extends Record<string, unknown> = Record<string, unknown>>(statement: RawSql, options: { bind?: ModelClass } = {}): Promise<Result<R>> {
    return this.current.execute<R>(statement, options)
  }

  /** See {@link Session.connection}. */
  connection(options: { bind?: ModelClass } = {}): Promise<SessionConnection> {
    return this.current.connection(options)
  }

  /** See {@link Session.insertMany}. */
  insertMany<T extends Model>(modelClass: ModelClass<T>, rows: readonly InsertRow<T>[], options: InsertManyOptions = {}): Promise<number> {
    return this.current.insertMany(modelClass, rows, options)
  }

  /** See {@link Session.getOne}. */
  getOne<T extends Model>(modelClass: ModelClass<T>, key: KeyOf<T>, options: GetOptions = {}): Promise<T> {
    return this.current.getOne(modelClass, key, options)
  }

  /** See {@link Session.isModified}. */
  isModified(obj: Model): boolean {
    return this.current.isModified(obj)
  }
}
