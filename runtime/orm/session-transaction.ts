/** SessionTransaction: the session's database transaction, with an explicit state machine and guarded transitions. */
import type { DriverConnection, QueryResult } from '../engine/driver.js'
import type { Engine } from '../engine/engine.js'
import { IllegalStateChangeError, PendingRollbackError } from '../errors.js'
import type { CompiledQuery } from '../sql/compiled-query.js'
import type { Mapper } from './mapper.js'
import type { InstanceState } from './state.js'

/**
 * - `active`: usable; the connection is checked out on the first statement (autobegin);
 * - `deactive`: a flush failed and the database transaction was rolled back; only `rollback()` is allowed;
 * - `closing`: a rollback or close is waiting for statements already running; new ones are refused;
 * - `committed` / `closed`: finished; the session starts a new transaction on its next statement.
 */
export type TransactionState = 'active' | 'deactive' | 'closing' | 'committed' | 'closed'

/**
 * One transaction of a session. Holds the engine connection from the first statement until
 * commit or rollback, and remembers what this transaction did to objects so that a rollback
 * can restore them.
 *
 * Every statement goes through {@link execute}, which refuses to run once the transaction is no
 * longer active and tracks statements in flight: ending the transaction waits for them, so a
 * connection never goes back to the pool while one of this transaction's statements still runs
 * (e.g. a request's teardown racing its own flush).
 * @internal
 */
export class SessionTransaction {
  state: TransactionState = 'active'
  /** Objects that became persistent through a flush in this transaction. */
  readonly inserted: InstanceState[] = []
  /** Objects whose DELETE was flushed in this transaction. */
  readonly deleted: InstanceState[] = []
  /** Column values as they were before this transaction's first flushed UPDATE of each object. */
  readonly originals = new Map<InstanceState, Record<string, unknown>>()
  /** Identity keys of `deleted`, per mapper, indexed up to `deletedIndexed`. */
  private readonly deletedKeys = new Map<Mapper, Set<unknown>>()
  private deletedIndexed = 0
  private connecting: Promise<DriverConnection> | null = null
  /** The connection once checked out and begun: statements skip awaiting `connecting`. */
  private connection: DriverConnection | null = null
  private readonly inFlight = new Set<Promise<unknown>>()
  private ending: Promise<void> | null = null
  private failure: unknown = undefined

  constructor(private readonly engine: Engine) {}

  /** Throws unless the transaction may run statements. */
  guard(operation: string): void {
    if (this.state === 'active') return
    if (this.state === 'deactive') throw PendingRollbackError.afterFailedFlush(this.failure)
    throw IllegalStateChangeError.notAllowed(operation, this.state)
  }

  /** Runs one statement on the transaction's connection, checked out and begun on first use. */
  async execute(query: CompiledQuery): Promise<QueryResult> {
    this.guard('execute')
    let connection = this.connection
    if (connection === null) {
      connection = await this.connect()
      this.guard('execute')
    }
    const running = connection.execute(query)
    this.inFlight.add(running)
    try {
      return await running
    } finally {
      this.inFlight.delete(running)
    }
  }

  /** Commits and returns the connection to the pool. */
  async commit(): Promise<void> {
    this.guard('commit')
    this.state = 'closing'
    await this.end(async (connection) => {
      try {
        await connection.commit()
      } catch (error) {
        this.state = 'closed'
        throw error
      }
    })
    this.state = 'committed'
  }

  /**
   * Rolls back (if anything began) and returns the connection to the pool, after statements still
   * running have settled. Allowed in every state; a second call waits for the first.
   */
  async rollback(): Promise<void> {
    const endedElsewhere = this.ending !== null
    if (this.state !== 'committed') this.state = 'closing'
    try {
      await this.end((connection) => connection.rollback())
    } catch (error) {
      // A failed COMMIT already rolled back and released the connection; its error was reported there.
      if (!endedElsewhere) throw error
    }
    if (this.state !== 'committed') this.state = 'closed'
  }

  /** Marks the transaction failed after a flush error: rolls the database back now, keeps the error for PendingRollbackError. */
  async fail(cause: unknown): Promise<void> {
    this.failure = cause
    const closing = this.state === 'closing'
    await this.end((connection) => connection.rollback()).catch((error: unknown) => {
      if (!closing) throw error
    })
    // A rollback already under way (a teardown racing the flush) wins: the transaction ends closed.
    this.state = closing || this.state === 'closed' ? 'closed' : 'deactive'
  }

  /** True when a flush of this transaction deleted the row with this identity (by a DELETE or the database's ON DELETE CASCADE). */
  wasDeleted(mapper: Mapper, key: unknown): boolean {
    for (; this.deletedIndexed < this.deleted.length; this.deletedIndexed++) {
      const state = this.deleted[this.deletedIndexed]
      let keys = this.deletedKeys.get(state.mapper)
      if (keys === undefined) this.deletedKeys.set(state.mapper, (keys = new Set()))
      keys.add(state.key)
    }
    return this.deletedKeys.get(mapper)?.has(key) ?? false
  }

  /** Remembers the pre-transaction value of columns about to be overwritten by a flushed UPDATE. */
  rememberOriginals(state: InstanceState, values: Record<string, unknown>): void {
    const originals = this.originals.get(state)
    if (originals === undefined) this.originals.set(state, { ...values })
    else for (const [name, value] of Object.entries(values)) if (!(name in originals)) originals[name] = value
  }

  private connect(): Promise<DriverConnection> {
    if (this.connecting === null) {
      this.connecting = this.engine.connect().then(async (connection) => {
        await connection.begin()
        this.connection = connection
        return connection
      })
      // A failed checkout must not stick: the next statement tries again.
      this.connecting.catch(() => {
        this.connecting = null
      })
    }
    return this.connecting
  }

  /** Ends the transaction once: waits for running statements, runs `finish`, returns the connection. */
  private end(finish: (connection: DriverConnection) => Promise<void>): Promise<void> {
    this.ending ??= (async () => {
      const connecting = this.connecting
      if (connecting === null) return
      const connection = await connecting.catch(() => null)
      if (connection === null) return
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
      try {
        await finish(connection)
      } finally {
        this.connecting = null
        this.connection = null
        await this.engine.release(connection)
      }
    })()
    return this.ending
  }
}
