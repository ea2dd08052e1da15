/** TransactionCoordinator: a session's transactions over its life: autobegin, begin(work) blocks, savepoints, flushes, commit and rollback, and the events around them. */
import type { ConnectionOwner, IsolationLevel } from '../../engine/driver.js'
import { SPAN_NAMES } from '../../engine/tracing.js'
import type { ExternalTransaction } from '../../engine/external-transaction.js'
import { IllegalStateChangeError, InvalidRequestError, NoScopeError } from '../../errors.js'
import { dispatchSessionEvent, duringFlush, isFlushing, sessionListens } from '../event-registry.js'
import type { Mapper } from '../mapper.js'
import type { FlushContext } from '../session-context.js'
import type { InstanceState } from '../state.js'
import { traceFlush, traceTransactionEnd, type FlushTrace } from '../session-tracing.js'
import { applyFlushResult } from '../unit-of-work/flush-transitions.js'
import { UnitOfWork } from '../unit-of-work/unit-of-work.js'
import { restoreObjects, type RestoreScope } from './restore.js'
import { SessionTransaction } from './session-transaction.js'
import { NestedTransaction, Transaction } from './transaction-handles.js'

/** How many times commit() flushes while flush listeners keep adding work (SQLAlchemy's limit). */
const MAX_COMMIT_FLUSHES = 100

/** A session without a transaction has flushed nothing: a rollback only drops unflushed changes. */
const NOTHING_FLUSHED: RestoreScope = Object.freeze({ inserted: [], deleted: [], vanished: [], originals: new Map() })

/**
 * What the coordinator needs of its session besides the flush contract: whether there is work, its
 * public flush, and how its transactions are opened (who holds the connections, at which isolation
 * level, inside which external transaction).
 */
export interface TransactionHost extends FlushContext {
  /** True when there are changes a flush would write. */
  readonly hasPendingChanges: boolean
  /** Whether commit marks loaded objects stale. */
  readonly expireOnCommit: boolean
  /** Names the session in `PoolTimeoutError` while a transaction holds a connection. */
  readonly owner: ConnectionOwner
  /** The session's isolation level, over each engine's own. */
  readonly isolationLevel: IsolationLevel | undefined
  /** The external transaction the session runs inside, if any. */
  readonly joinTransaction: ExternalTransaction | undefined
  /** The session's public flush (a savepoint's begin and release flush first). */
  flush(): Promise<void>
}

/**
 * One per session: holds the session's current {@link SessionTransaction} and moves the session
 * through its transactions, as SQLAlchemy's session and its `SessionTransaction` do together. The
 * transaction begins on the first change or statement (autobegin); a failed flush rolls the database
 * back and restores objects at once, and the session then needs `rollback()`; listeners of
 * after-commit and after-rollback may not run SQL.
 * @internal
 */
export class TransactionCoordinator {
  readonly #host: TransactionHost
  #transaction: SessionTransaction | null = null
  #flushing: Promise<void> | null = null
  /** Counts rollbacks and closes, so a commit can tell that one happened while it flushed. */
  #epoch = 0
  /** Set when the session's scope ended: it may not start another transaction. */
  #terminated = false
  /** Inside `begin(work)`: its transaction, and whether `work` ended it early (then new work is refused until `work` returns). */
  #context: { readonly transaction: SessionTransaction; ended: boolean } | null = null
  /** While after-commit or after-rollback listeners run: the state named when they try to run SQL. */
  #eventPhase: string | null = null
  /** Set by a commit's flush whose one statement committed on its own (autocommit), for that commit to see. */
  #committedAlone = false

  constructor(host: TransactionHost) {
    this.#host = host
  }

  /** True while a transaction is open. */
  get active(): boolean {
    return this.#transaction !== null
  }

  /** True while a flush runs. */
  get flushing(): boolean {
    return this.#flushing !== null
  }

  /** True while a `beginNested()` savepoint is open. */
  get nested(): boolean {
    return (this.#transaction?.savepoints.length ?? 0) > 0
  }

  /** True once the transaction wrote: rows read from then on may hold writes a rollback undoes. */
  get readsUncommitted(): boolean {
    return this.#transaction !== null && this.#transaction.hasWritten
  }

  /** Remembers an object whose row was read after this transaction wrote (see `SessionTransaction.restore`). */
  noteUncommittedRead(state: InstanceState): void {
    this.#transaction?.noteReadAfterWrite(state)
  }

  /** Forgets an object {@link noteUncommittedRead} remembered, once it left the session (a stream released it): a rollback has nothing to expire there. */
  forgetUncommittedRead(state: InstanceState): void {
    this.#transaction?.forgetReadAfterWrite(state)
  }

  /** Remembers an object expunged because its row was gone: a rollback may bring the row back, and the object with it. */
  noteVanished(state: InstanceState): void {
    this.#transaction?.vanished.push(state)
  }

  /** The session's scope ended (after close): any later statement raises `NoScopeError`. */
  terminate(): void {
    this.#terminated = true
  }

  /** Throws unless the session may run `operation` now (no listener phase that refuses SQL, a usable transaction). */
  guard(operation: string): void {
    if (this.#eventPhase !== null) throw InvalidRequestError.noSqlInPhase(this.#eventPhase)
    this.#transaction?.guard(operation)
  }

  /** Inside `begin(work)` after `work` committed or rolled back the block's transaction: new work is refused (SQLAlchemy's rule). */
  checkContext(): void {
    if (this.#context !== null && this.#context.ended) throw InvalidRequestError.closedInContext()
  }

  /** Begins the session's transaction without a statement (SQLAlchemy 2.0 autobegins on add, delete and changes). */
  autobegin(): void {
    if (this.#transaction === null && !this.#terminated) this.#transaction = this.#newTransaction()
  }

  /** A change to a loaded object begins the transaction, unless `begin(work)` ended it (refused) or the scope did (no transaction). */
  beginForChange(): void {
    if (this.#transaction !== null) return
    this.checkContext()
    if (!this.#terminated) this.#transaction = this.#newTransaction()
  }

  /** The current transaction, begun now if there is none, for a statement. */
  ensure(): SessionTransaction {
    if (this.#eventPhase !== null) throw InvalidRequestError.noSqlInPhase(this.#eventPhase)
    if (this.#transaction === null) {
      if (this.#terminated) throw NoScopeError.scopeEnded()
      this.#transaction = this.#newTransaction()
    }
    return this.#transaction
  }

  /** True when a flush of the current transaction deleted this row (a DELETE, or the database's ON DELETE CASCADE) and no object took its identity since. */
  deletedInTransaction(mapper: Mapper, values: readonly unknown[]): boolean {
    const transaction = this.#transaction
    if (transaction === null || transaction.deleted.length === 0) return false
    const key = mapper.identityKey(values)
    return this.#host.identityMap.get(mapper, key) === undefined && transaction.wasDeleted(mapper, key)
  }

  /**
   * Writes pending changes inside the transaction (see `Session.flush`). `endsTransaction`: the
   * commit's own flush, which the COMMIT follows at once (see `UnitOfWork`).
   */
  async flush(endsTransaction = false): Promise<void> {
    const host = this.#host
    if (isFlushing(host)) throw InvalidRequestError.alreadyFlushing()
    while (this.#flushing !== null) await this.#flushing.catch(() => undefined)
    this.guard('flush')
    if (!host.hasPendingChanges) return
    // Refused before it writes anything, so that the transaction goes on (a failed flush would roll it back).
    this.#transaction?.checkWritable('flush')
    this.#flushing = traceFlush((trace) => this.#runFlush(trace, endsTransaction))
    try {
      await this.#flushing
    } finally {
      this.#flushing = null
    }
  }

  /** Flushes until nothing is left, commits every engine's transaction and returns the connections (see `Session.commit`); a `prismalchemy.commit` span when traced. */
  commit(): Promise<void> {
    return traceTransactionEnd(SPAN_NAMES.commit, () => this.#commit())
  }

  async #commit(): Promise<void> {
    const host = this.#host
    if (this.#transaction !== null) this.#transaction.guard('commit')
    const epoch = this.#epoch
    if (sessionListens(host, 'beforeCommit')) await dispatchSessionEvent(host, 'beforeCommit')
    // The commit ends the transaction's streams: ended before its flush, which they would block on SQLite.
    // Awaited even when nothing was to end (undefined): the flush below then collects what the caller
    // changed in the same tick as commit(), as it always has (one INSERT for `add(a); commit(); add(b)`).
    await this.#transaction?.endStreams('commit')
    // Listeners of a flush may add objects: flush again until nothing is left, as SQLAlchemy does (at most 100 times).
    this.#committedAlone = false
    for (let flushes = 0; ; flushes++) {
      await this.flush(flushes === 0)
      // The first flush's one statement committed on its own, then a rollback or close raced this
      // commit: what the commit wrote is committed (the rollback kept that object), and it ends here.
      if (this.#committedAlone && this.#epoch !== epoch) return
      if (!host.hasPendingChanges) break
      if (flushes >= MAX_COMMIT_FLUSHES) throw InvalidRequestError.flushLoop(MAX_COMMIT_FLUSHES)
    }
    if (this.#epoch !== epoch) throw IllegalStateChangeError.notAllowed('commit', 'rolled back by a concurrent rollback() or close()')
    const transaction = this.#transaction
    if (transaction === null) return
    if (this.#context?.transaction === transaction) this.#context.ended = true
    await transaction.commit()
    this.#transaction = null
    for (const state of transaction.deleted) state.session = null
    if (host.expireOnCommit) for (const state of host.identityMap.states()) state.markStale()
    if (sessionListens(host, 'afterCommit')) await this.#inEventPhase('committed', () => dispatchSessionEvent(host, 'afterCommit'))
  }

  /**
   * Rolls back and restores objects; `expire` marks the remaining ones stale (rollback does, close
   * does not: it detaches them). A `prismalchemy.rollback` span when traced and a transaction is open.
   */
  rollback(expire: boolean): Promise<void> {
    return this.#transaction === null ? this.#rollback(expire) : traceTransactionEnd(SPAN_NAMES.rollback, () => this.#rollback(expire))
  }

  async #rollback(expire: boolean): Promise<void> {
    const host = this.#host
    const transaction = this.#transaction
    if (this.#context !== null && this.#context.transaction === transaction) this.#context.ended = true
    this.#transaction = null
    this.#epoch++
    host.collections.reset()
    if (transaction !== null) {
      // Statements already running settle first; a flush in progress then fails at its next statement.
      await transaction.rollback()
      while (this.#flushing !== null) await this.#flushing.catch(() => undefined)
    }
    this.#restore(transaction, expire)
    if (transaction !== null && sessionListens(host, 'afterRollback')) await this.#inEventPhase('inactive', () => dispatchSessionEvent(host, 'afterRollback'))
  }

  /** Begins the transaction explicitly, and with `work` runs it as a block that commits or rolls back (see `Session.begin`). */
  begin<R>(work: (() => R | Promise<R>) | undefined): Transaction | Promise<R> {
    this.checkContext()
    if (this.#transaction !== null) throw InvalidRequestError.transactionAlreadyBegun()
    const transaction = this.ensure()
    const handle = new Transaction(
      () => this.#transaction === transaction && transaction.state === 'active',
      () => this.commit(),
      () => this.rollback(true),
    )
    if (work === undefined) return handle
    return (async () => {
      const outer = this.#context
      const context = (this.#context = { transaction, ended: false })
      let result: R
      try {
        result = await work()
        this.#context = outer
        if (!context.ended) await handle.commit()
      } catch (error) {
        this.#context = outer
        // A failed commit is rolled back too, so the session stays usable.
        if (this.#transaction === transaction) await this.rollback(true)
        throw error
      }
      return result
    })()
  }

  /** Flushes, opens a savepoint, and with `work` runs it as a block that releases or rolls back to it (see `Session.beginNested`). */
  async beginNested<R>(work: (() => R | Promise<R>) | undefined): Promise<NestedTransaction | R> {
    const host = this.#host
    await host.flush()
    const transaction = this.ensure()
    host.routing.pin()
    const savepoint = await transaction.beginSavepoint(host.routing.defaultRoute)
    const handle = new NestedTransaction(
      () => savepoint.state === 'active' && this.#transaction === transaction,
      async () => {
        if (savepoint.state !== 'active' || this.#transaction !== transaction) throw InvalidRequestError.transactionInactive('nested transaction')
        await host.flush()
        transaction.closeInnerSavepoints(savepoint)
        await transaction.releaseSavepoint(savepoint)
      },
      async () => {
        if ((savepoint.state !== 'active' && savepoint.state !== 'deactive') || this.#transaction !== transaction) return
        transaction.closeInnerSavepoints(savepoint)
        while (this.#flushing !== null) await this.#flushing.catch(() => undefined)
        await transaction.rollbackSavepoint(savepoint, host)
      },
    )
    if (work === undefined) return handle
    let result: R
    try {
      result = await work()
      await handle.commit()
    } catch (error) {
      // A failed release (its flush failed) rolls back to the savepoint too, so the session stays usable.
      await handle.rollback()
      throw error
    }
    return result
  }

  async #runFlush(trace: FlushTrace | undefined, endsTransaction: boolean): Promise<void> {
    const host = this.#host
    const transaction = this.ensure()
    // From the first write on, reads go to the primaries: the session reads its own writes.
    host.routing.pin()
    if (sessionListens(host, 'beforeFlush')) await duringFlush(host, () => dispatchSessionEvent(host, 'beforeFlush'))
    // The COMMIT follows this flush at once: nothing written before it, no savepoint, no listener
    // that could write after it. Then a flush of one statement may send it alone, in autocommit.
    const alone = endsTransaction && !transaction.hasWritten && transaction.savepoints.length === 0 && !sessionListens(host, 'afterFlush')
    try {
      const result = await new UnitOfWork(host, transaction, alone).run()
      if (alone && transaction.committedAlone) this.#committedAlone = true
      trace?.wrote(result)
      applyFlushResult(host, transaction, result)
    } catch (error) {
      // Inside a savepoint only the savepoint fails: rolling back to it makes the session usable again.
      const savepoint = transaction.innermostSavepoint
      if (savepoint !== undefined && transaction.state === 'active') {
        savepoint.state = 'deactive'
        savepoint.failure = error
      } else {
        await transaction.fail(error)
        // As in SQLAlchemy, the failed flush's rollback restores objects now; the session still needs rollback() before new work.
        if (this.#transaction === transaction) {
          host.collections.reset()
          this.#restore(transaction, true)
        }
        if (sessionListens(host, 'afterRollback')) await this.#inEventPhase('inactive', () => dispatchSessionEvent(host, 'afterRollback'))
      }
      throw error
    }
    if (sessionListens(host, 'afterFlush')) await duringFlush(host, () => dispatchSessionEvent(host, 'afterFlush'))
  }

  /** Undoes in memory what the rolled-back `transaction` did (only unflushed changes without one); `expire` marks the rest stale. */
  #restore(transaction: SessionTransaction | null, expire: boolean): void {
    const host = this.#host
    if (transaction === null) restoreObjects(host, NOTHING_FLUSHED)
    else transaction.restore(host)
    if (expire) for (const state of host.identityMap.states()) state.markStale()
  }

  /** Runs after-commit/after-rollback listeners while statements are refused, as SQLAlchemy refuses them there. */
  async #inEventPhase(phase: string, dispatch: () => Promise<void>): Promise<void> {
    this.#eventPhase = phase
    try {
      await dispatch()
    } finally {
      this.#eventPhase = null
    }
  }

  #newTransaction(): SessionTransaction {
    const { owner, isolationLevel, joinTransaction } = this.#host
    return new SessionTransaction(owner, isolationLevel, joinTransaction)
  }
}
