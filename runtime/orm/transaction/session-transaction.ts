/** SessionTransaction: the session's database transaction, with an explicit state machine and guarded transitions. */
import type { ConnectionOwner, DriverConnection, IsolationLevel, QueryResult, RowBatches } from '../../engine/driver.js'
import type { Engine } from '../../engine/engine.js'
import type { ExternalTransaction } from '../../engine/external-transaction.js'
import { BindCommitError, ConnectionLostError, DatabaseUnavailableError, IllegalStateChangeError, InvalidRequestError, PendingRollbackError } from '../../errors.js'
import type { CompiledQuery } from '../../sql/compiled-query.js'
import { EngineTransaction } from './engine-transaction.js'
import type { Mapper } from '../mapper.js'
import type { BindRoute, SessionRouting } from '../routing.js'
import { isEmpty, rememberOriginalsIn, restoreObjects } from './restore.js'
import { Savepoint } from './savepoint.js'
import type { LoadContext } from '../session-context.js'
import type { InstanceState } from '../state.js'

/**
 * - `active`: usable; each engine's connection is checked out on its first statement (autobegin);
 * - `deactive`: a flush failed and the database transaction was rolled back; only `rollback()` is allowed;
 * - `closing`: a rollback or close is waiting for statements already running; new ones are refused;
 * - `committed` / `closed`: finished; the session starts a new transaction on its next statement.
 */
export type TransactionState = 'active' | 'deactive' | 'closing' | 'committed' | 'closed'

/** What moves a transaction from one state to the next. */
type TransactionEvent = 'commitStarts' | 'commitEnds' | 'commitFails' | 'rollbackStarts' | 'rollbackEnds' | 'flushFails' | 'flushFailsWhileClosing'

/** The operation an event belongs to, as error messages name it. */
const OPERATIONS: Readonly<Record<TransactionEvent, string>> = {
  commitStarts: 'commit',
  commitEnds: 'commit',
  commitFails: 'commit',
  rollbackStarts: 'roll back',
  rollbackEnds: 'roll back',
  flushFails: 'fail a flush',
  flushFailsWhileClosing: 'fail a flush',
}

/**
 * Every legal move, by event then by the state it starts from (SQLAlchemy's `_StateChange`
 * declarations). Only a commit has a precondition (an active transaction); the ends of a commit or
 * a rollback and a failed flush are reached from wherever a race left the transaction, so they list
 * every state: a rollback or a failure never hides the error that caused it behind a refused move.
 */
const TRANSITIONS: Readonly<Record<TransactionEvent, Readonly<Partial<Record<TransactionState, TransactionState>>>>> = {
  commitStarts: { active: 'closing' },
  // A rollback racing the commit awaits the same outcome; the commit that went through wins.
  commitEnds: { active: 'committed', deactive: 'committed', closing: 'committed', committed: 'committed', closed: 'committed' },
  commitFails: { active: 'closed', deactive: 'closed', closing: 'closed', committed: 'closed', closed: 'closed' },
  rollbackStarts: { active: 'closing', deactive: 'closing', closing: 'closing', closed: 'closing', committed: 'committed' },
  rollbackEnds: { active: 'closed', deactive: 'closed', closing: 'closed', closed: 'closed', committed: 'committed' },
  // Failed while statements ran; a rollback that began meanwhile ends the transaction closed when it finishes.
  flushFails: { active: 'deactive', deactive: 'deactive', closing: 'deactive', committed: 'deactive', closed: 'closed' },
  // Failed while a rollback or close was already under way (a teardown racing the flush): that rollback wins.
  flushFailsWhileClosing: { active: 'closed', deactive: 'closed', closing: 'closed', committed: 'closed', closed: 'closed' },
}

const DONE = Promise.resolve()

/** Makes a connection's transaction permanent. */
function commit(connection: DriverConnection): Promise<void> | undefined {
  return connection.commit()
}

/** Ends a connection's transaction without keeping it; undefined when nothing was open. */
function rollback(connection: DriverConnection): Promise<void> | undefined {
  return connection.rollback()
}

/**
 * One transaction of a session, over every engine it touched: one {@link EngineTransaction} (one
 * pooled connection) per engine, opened by the first statement on that engine and held until
 * commit or rollback. Remembers what this transaction did to objects so that a rollback can
 * restore them.
 *
 * Every statement goes through {@link execute}, {@link read} or {@link write}, which refuse to run once
 * the transaction is no longer active; ending the transaction waits for statements still running on each connection.
 * @internal
 */
export class SessionTransaction {
  #state: TransactionState = 'active'
  /** Objects that became persistent through a flush in this transaction. */
  readonly inserted: InstanceState[] = []
  /** Objects whose DELETE was flushed in this transaction. */
  readonly deleted: InstanceState[] = []
  /** Objects whose row was read after this transaction first wrote: a rollback expires them. Null until there is one. */
  private readAfterWrite: Set<InstanceState> | null = null
  /** Objects expunged because their row was gone when read (deleted by a statement of this transaction, perhaps): a rollback re-attaches them. */
  readonly vanished: InstanceState[] = []
  /** Column values as they were before this transaction's first flushed UPDATE of each object. */
  readonly originals = new Map<InstanceState, Record<string, unknown>>()
  /**
   * After a commit that failed part-way: the engines whose COMMIT went through before it failed.
   * Their objects' changes are permanent, so a rollback leaves those objects as committed.
   */
  committedEngines: ReadonlySet<Engine> | null = null
  /** Identity keys of `deleted`, per mapper, indexed up to `deletedIndexed`; null until `wasDeleted` indexes one. */
  private deletedKeys: Map<Mapper, Set<unknown>> | null = null
  private deletedIndexed = 0
  /** The connection of the first engine used: most sessions use one, and find it without a search. */
  private first: EngineTransaction | null = null
  /** The connections of the other engines, in order of first use; null until there is one. */
  private others: EngineTransaction[] | null = null
  /** How the transaction ends (commit or rollback), started once: later calls await the same outcome. */
  private ending: Promise<void> | null = null
  private failure: unknown = undefined

  /**
   * `owner` names the session in `PoolTimeoutError` while this transaction holds a connection;
   * `isolationLevel` (the session's) overrides each engine's own.
   */
  constructor(
    private readonly owner?: ConnectionOwner,
    readonly isolationLevel?: IsolationLevel,
    /** An external transaction whose engine's statements run inside it (see `SessionOptions.joinTransaction`). */
    readonly joinTransaction?: ExternalTransaction,
  ) {}

  /** Where the transaction is in its life (see {@link TransactionState}). */
  get state(): TransactionState {
    return this.#state
  }

  /** Moves to the state `event` leads to from the current one, or throws when the table has no such move. */
  #move(event: TransactionEvent): void {
    const next = TRANSITIONS[event][this.#state]
    if (next === undefined) throw IllegalStateChangeError.notAllowed(OPERATIONS[event], this.#state)
    this.#state = next
  }

  /** Open savepoints (`beginNested()`), innermost last. */
  readonly savepoints: Savepoint[] = []
  private savepointCounter = 0

  /** Throws unless the transaction may run statements. */
  guard(operation: string): void {
    if (this.state === 'active') {
      const innermost = this.savepoints.length > 0 ? this.savepoints[this.savepoints.length - 1] : undefined
      if (innermost !== undefined && innermost.state === 'deactive') throw PendingRollbackError.afterFailedNestedFlush(innermost.failure)
      return
    }
    if (this.state === 'deactive') throw PendingRollbackError.afterFailedFlush(this.failure)
    throw IllegalStateChangeError.notAllowed(operation, this.state)
  }

  /** The innermost open savepoint, if any. */
  get innermostSavepoint(): Savepoint | undefined {
    return this.savepoints.length > 0 ? this.savepoints[this.savepoints.length - 1] : undefined
  }

  /**
   * Opens a savepoint on the default bind's primary and every other primary this transaction has
   * used (each begins its database transaction first).
   */
  async beginSavepoint(defaultRoute: BindRoute): Promise<Savepoint> {
    this.guard('beginNested')
    const primaries = [this.on(defaultRoute, defaultRoute.primary), ...this.engines().filter((transaction) => transaction.started && !transaction.readOnly)]
    const savepoint = await Savepoint.begin(`sp_${++this.savepointCounter}`, this, [...new Set(primaries)])
    for (const transaction of primaries) transaction.wrote = true
    this.savepoints.push(savepoint)
    return savepoint
  }

  /** Releases `savepoint` (the innermost): its work joins the enclosing level. */
  async releaseSavepoint(savepoint: Savepoint): Promise<void> {
    this.guard('commit a nested transaction')
    await savepoint.release(this.savepoints[this.savepoints.length - 2])
    this.savepoints.pop()
  }

  /** Rolls back to `savepoint` (the innermost) in the database and in memory. */
  async rollbackSavepoint(savepoint: Savepoint, session: LoadContext): Promise<void> {
    if (this.state !== 'active') throw IllegalStateChangeError.notAllowed('roll back a nested transaction', this.state)
    this.savepoints.pop()
    await savepoint.rollback(session, this)
  }

  /**
   * Runs a read of `route`'s bind where `routing` sends it: the primary once the session is pinned
   * to it, else the session's replica. When the replica cannot be reached (its connection checkout
   * fails, or, for drivers that connect at the first statement, the connection is lost), every
   * session skips it for a while, and this read and the session's later ones go to the primary.
   */
  read(routing: SessionRouting, route: BindRoute, query: CompiledQuery): Promise<QueryResult> {
    const engine = routing.readEngine(route)
    if (engine === route.primary) return this.execute(route, engine, query)
    return this.#readReplica(routing, route, engine, query)
  }

  /** Ends the streams still open on every engine's connection: the transaction commits (see `EngineTransaction.endStreams`); a promise only when a cursor must be CLOSEd. */
  endStreams(operation: string): Promise<void> | undefined {
    const engines = this.engines()
    for (let i = 0; i < engines.length; i++) {
      const ending = engines[i].endStreams(operation)
      if (ending !== undefined) return this.endStreamsAfter(ending, engines.slice(i + 1), operation)
    }
    return undefined
  }

  /** Waits for `ending`, then ends the streams of `rest`, one engine after the other (see {@link endStreams}). */
  private async endStreamsAfter(ending: Promise<void>, rest: readonly EngineTransaction[], operation: string): Promise<void> {
    await ending
    for (const transaction of rest) await transaction.endStreams(operation)
  }

  /** Throws `write_during_stream` before `operation` writes anything when a primary's connection can run no write now (SQLite while a stream reads on it). */
  checkWritable(operation: string): void {
    if (this.engines().some((transaction) => !transaction.readOnly && transaction.writesBlocked)) throw InvalidRequestError.writeDuringStream(operation)
  }

  /**
   * Opens a stream of a read's rows (`query.stream()`) where `routing` sends `route`'s reads, like
   * {@link read}: a replica that cannot be reached when the stream opens (no row read yet) sends it,
   * and the session's later reads, to the primary.
   */
  stream(routing: SessionRouting, route: BindRoute, query: CompiledQuery, batchSize: number): Promise<RowBatches> {
    const engine = routing.readEngine(route)
    if (engine === route.primary) return this.on(route, engine).stream(query, batchSize)
    return this.#onReplica(routing, route, engine, (transaction) => transaction.stream(query, batchSize))
  }

  /** A read on `replica`, falling back to the primary when the replica cannot be reached (see {@link read}). */
  #readReplica(routing: SessionRouting, route: BindRoute, replica: Engine, query: CompiledQuery): Promise<QueryResult> {
    return this.#onReplica(routing, route, replica, (transaction) => transaction.execute(query))
  }

  /**
   * Runs `work` on the session's connection to `replica`, or on the primary's when the replica
   * cannot be reached: its checkout fails, or (drivers that connect at the first statement) the
   * connection is lost. Other errors are the statement's own, and are raised.
   */
  async #onReplica<R>(routing: SessionRouting, route: BindRoute, replica: Engine, work: (transaction: EngineTransaction) => Promise<R>): Promise<R> {
    const connection = this.on(route, replica)
    let checkedOut = false
    try {
      await connection.connect()
      checkedOut = true
      return await work(connection)
    } catch (error) {
      // A replica down since startup is unavailable rather than lost: either way the primary answers.
      if (checkedOut && !(error instanceof ConnectionLostError || error instanceof DatabaseUnavailableError)) throw error
      routing.unreachable(route, replica)
      return work(this.on(route, route.primary))
    }
  }

  /**
   * After the database rolled this transaction back: objects inserted in it become transient,
   * deleted ones persistent again, modified columns take their values back, pending objects leave
   * the session (SQLAlchemy's `_restore_snapshot`); objects of binds whose COMMIT went through
   * before another's failed stay as committed. Rows read after the transaction wrote are expired.
   * What was restored is forgotten, so a second call does nothing twice.
   */
  restore(ctx: LoadContext): void {
    const committed = this.committedEngines
    const alone = this.#committedAlone
    const kept =
      committed === null && alone === null ? undefined : (state: InstanceState) => alone?.has(state) === true || (committed?.has(ctx.routing.routeOf(state.mapper).primary) ?? false)
    restoreObjects(ctx, { inserted: this.inserted, deleted: this.deleted, vanished: this.vanished, originals: this.originals, kept })
    // A transaction that only read has nothing more to undo or forget.
    const readAfterWrite = this.readAfterWrite
    if (isEmpty(this) && readAfterWrite === null) return
    // Rows read after the transaction wrote may show writes that are gone now: their columns are
    // expired (read again with refresh() or a query), never served from a rolled-back transaction.
    for (const state of readAfterWrite ?? []) {
      if (state.key === undefined || state.deleted || state.session !== ctx) continue
      // The primary key is the identity the object keeps; every other column is expired.
      state.expired = new Set(state.mapper.columns.filter((column) => !state.mapper.primaryKey.includes(column)).map((column) => column.name))
      state.committed = null
    }
    this.forgetRestored()
  }

  /** Savepoints opened inside `savepoint` and left open end with it (released into it, or rolled back with it). */
  closeInnerSavepoints(savepoint: Savepoint): void {
    const at = this.savepoints.indexOf(savepoint)
    if (at < 0) throw InvalidRequestError.transactionInactive('nested transaction')
    for (const inner of this.savepoints.splice(at + 1)) inner.mergeInto(savepoint)
  }

  /** Runs one statement on `engine` (a primary or a replica of `route`), in this transaction's connection to it. */
  execute(route: BindRoute, engine: Engine, query: CompiledQuery): Promise<QueryResult> {
    return this.on(route, engine).execute(query)
  }

  /** True once a write ran in this transaction (on any engine): rows read from then on may show writes a rollback undoes. */
  hasWritten = false

  /** Set by {@link expectLoneWrite} until the next write. */
  #loneWriteExpected = false
  /** Whether the flush's lone write committed on its own, until the flush ends (see {@link settleLoneWrite}). */
  #autocommitted = false

  /**
   * The flush about to run writes exactly one statement, on an engine that allows it
   * (`EngineOptions.singleStatementCommits`), and the commit follows it with nothing in between: that
   * write runs alone in autocommit (see `DriverConnection.executeAlone`).
   */
  expectLoneWrite(): void {
    this.#loneWriteExpected = true
  }

  /**
   * The flush that expected a lone write ended: `written` is the object it wrote, undefined when the
   * flush failed. When that write committed on its own, the object counts as committed from now on:
   * a rollback (one racing the commit, or after a later flush of the same commit failed) leaves it as
   * committed and restores only the rest. A failed flush's write changed nothing that stays (its
   * statement failed, or matched no row), so its object is restored as usual.
   */
  settleLoneWrite(written: InstanceState | undefined): void {
    if (written !== undefined && this.#autocommitted) (this.#committedAlone ??= new Set()).add(written)
    this.#loneWriteExpected = false
    this.#autocommitted = false
  }

  /** Objects whose write committed on its own (see {@link settleLoneWrite}): a rollback leaves them as committed. Null while none did. */
  #committedAlone: Set<InstanceState> | null = null

  /** True once a lone write committed on its own (see {@link settleLoneWrite}). */
  get committedAlone(): boolean {
    return this.#committedAlone !== null
  }

  /** Remembers an object whose row was read after this transaction wrote: a rollback expires it (see {@link restore}). */
  noteReadAfterWrite(state: InstanceState): void {
    this.readAfterWrite ??= new Set()
    this.readAfterWrite.add(state)
  }

  /** Forgets an object {@link noteReadAfterWrite} remembered. */
  forgetReadAfterWrite(state: InstanceState): void {
    this.readAfterWrite?.delete(state)
  }

  /** Runs one write on `route`'s primary, remembering that this engine was written to (see {@link commit}). */
  write(route: BindRoute, query: CompiledQuery): Promise<QueryResult> {
    this.hasWritten = true
    const transaction = this.on(route, route.primary)
    transaction.wrote = true
    if (!this.#loneWriteExpected) return transaction.execute(query)
    this.#loneWriteExpected = false
    return this.#writeAlone(transaction, query)
  }

  #writeAlone(transaction: EngineTransaction, query: CompiledQuery): Promise<QueryResult> {
    return transaction.executeAlone(query).then(({ result, committed }) => {
      this.#autocommitted = committed
      return result
    })
  }

  /** This transaction's connection to `engine`, created (not yet checked out) on first use. */
  on(route: BindRoute, engine: Engine): EngineTransaction {
    const first = this.first
    if (first !== null && first.engine === engine) return first
    if (first === null) return (this.first = new EngineTransaction(engine, route, this, this.owner))
    const others = (this.others ??= [])
    let found = others.find((transaction) => transaction.engine === engine)
    if (found === undefined) {
      found = new EngineTransaction(engine, route, this, this.owner)
      others.push(found)
    }
    return found
  }

  /**
   * Commits every primary's transaction in turn (default bind first, then the others by key) and
   * rolls back the replicas' read-only ones; returns every connection to its pool. There is no
   * two-phase commit: when one COMMIT fails, the engines committed before it stay committed, the
   * rest are rolled back, and the error is a `BindCommitError` naming the bind that failed (the
   * driver's own error when the failing engine is the only one written to, others only read).
   */
  async commit(): Promise<void> {
    this.guard('commit')
    this.#move('commitStarts')
    await (this.ending ??= this.commitAll())
    this.#move('commitEnds')
  }

  /**
   * Rolls back (where anything began) and returns every connection to its pool, after statements
   * still running have settled. Allowed in every state; a second call waits for the first.
   */
  async rollback(): Promise<void> {
    const endedElsewhere = this.ending !== null
    this.#move('rollbackStarts')
    try {
      await (this.ending ??= this.rollbackAll())
    } catch (error) {
      // A failed COMMIT already rolled back and released the connections; its error was reported there.
      if (!endedElsewhere) throw error
    }
    this.#move('rollbackEnds')
  }

  /** Marks the transaction failed after a flush error: rolls the database back now, keeps the error for PendingRollbackError. */
  async fail(cause: unknown): Promise<void> {
    this.failure = cause
    const closing = this.state === 'closing'
    await (this.ending ??= this.rollbackAll()).catch((error: unknown) => {
      if (!closing) throw error
    })
    this.#move(closing ? 'flushFailsWhileClosing' : 'flushFails')
  }

  /** True when a flush of this transaction deleted the row with this identity (by a DELETE or the database's ON DELETE CASCADE). */
  wasDeleted(mapper: Mapper, key: unknown): boolean {
    for (; this.deletedIndexed < this.deleted.length; this.deletedIndexed++) {
      const state = this.deleted[this.deletedIndexed]
      const deletedKeys = (this.deletedKeys ??= new Map())
      let keys = deletedKeys.get(state.mapper)
      if (keys === undefined) deletedKeys.set(state.mapper, (keys = new Set()))
      keys.add(state.key)
    }
    return this.deletedKeys?.get(mapper)?.has(key) ?? false
  }

  /** Forgets the index of deleted identities (`wasDeleted`), after `deleted` shrank (a savepoint rollback). */
  resetDeletedIndex(): void {
    this.deletedKeys = null
    this.deletedIndexed = 0
  }

  /** Forgets what the transaction did to objects, once a rollback restored them. */
  private forgetRestored(): void {
    this.inserted.length = 0
    this.deleted.length = 0
    this.vanished.length = 0
    this.readAfterWrite = null
    this.originals.clear()
    this.deletedKeys = null
    this.deletedIndexed = 0
  }

  /** Remembers the pre-transaction value of columns about to be overwritten by a flushed UPDATE (and the innermost savepoint's). */
  rememberOriginals(state: InstanceState, values: Record<string, unknown>): void {
    this.innermostSavepoint?.rememberOriginals(state, values)
    rememberOriginalsIn(this.originals, state, values)
  }


  /** Every engine's connection, in order of first use. */
  private engines(): EngineTransaction[] {
    return this.first === null ? [] : [this.first, ...(this.others ?? [])]
  }

  private commitAll(): Promise<void> {
    const first = this.first
    // One engine (most sessions): its COMMIT's error is the commit's error.
    if (this.others === null && first !== null && !first.readOnly) {
      return first.end(commit).catch((error: unknown) => {
        this.#move('commitFails')
        throw error
      })
    }
    return this.commitSeveral()
  }

  private async commitSeveral(): Promise<void> {
    const started = this.engines().filter((transaction) => transaction.started)
    const writers = started.filter((transaction) => !transaction.readOnly).sort((a, b) => a.route.rank - b.route.rank)
    // Replicas only read: their transactions are rolled back, and a failure there loses nothing.
    await Promise.allSettled(started.filter((transaction) => transaction.readOnly).map((transaction) => transaction.end(rollback)))
    const committed: EngineTransaction[] = []
    for (const [i, transaction] of writers.entries()) {
      try {
        await transaction.end(commit)
      } catch (error) {
        this.#move('commitFails')
        const rest = writers.slice(i + 1)
        await Promise.allSettled(rest.map((other) => other.end(rollback)))
        this.committedEngines = new Set(committed.map((other) => other.engine))
        // Only one engine written to (others only read, their COMMIT changes nothing): the database's error itself.
        const written = writers.filter((other) => other.wrote)
        if (written.length === 0 || (written.length === 1 && written[0] === transaction)) throw error
        const keys = (list: readonly EngineTransaction[]) => list.map((other) => other.route.key)
        throw BindCommitError.partial(transaction.route.key, keys(committed), keys(rest), error)
      }
      committed.push(transaction)
    }
  }

  private rollbackAll(): Promise<void> {
    // One engine (most sessions): its rollback, with no promise in between.
    if (this.others === null) return this.first === null ? DONE : this.first.end(rollback)
    return this.rollbackSeveral()
  }

  private async rollbackSeveral(): Promise<void> {
    const results = await Promise.allSettled(this.engines().map((transaction) => transaction.end(rollback)))
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }
}
