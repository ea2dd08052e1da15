/** SessionTransaction: the session's database transaction, with an explicit state machine and guarded transitions. */
import type { DriverConnection } from '../engine/driver.js'
import type { Engine } from '../engine/engine.js'
import { IllegalStateChangeError, PendingRollbackError } from '../errors.js'
import type { InstanceState } from './state.js'

/**
 * - `active`: usable; the connection is checked out on the first statement (autobegin);
 * - `deactive`: a flush failed and the database transaction was rolled back; only `rollback()` is allowed;
 * - `committed` / `closed`: finished; the session starts a new transaction on its next statement.
 */
export type TransactionState = 'active' | 'deactive' | 'committed' | 'closed'

/**
 * One transaction of a session. Holds the engine connection from the first statement until
 * commit or rollback, and remembers what this transaction did to objects so that a rollback
 * can restore them.
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
  private connecting: Promise<DriverConnection> | null = null
  private connection: DriverConnection | null = null
  private failure: unknown = undefined

  constructor(private readonly engine: Engine) {}

  /** Throws unless the transaction may run statements. */
  guard(operation: string): void {
    if (this.state === 'active') return
    if (this.state === 'deactive') throw PendingRollbackError.afterFailedFlush(this.failure)
    throw IllegalStateChangeError.notAllowed(operation, this.state)
  }

  /** The connection, checked out and begun on first use. */
  connect(): Promise<DriverConnection> {
    this.guard('execute')
    if (this.connecting === null) {
      this.connecting = this.engine.connect().then(async (connection) => {
        this.connection = connection
        await connection.begin()
        return connection
      })
      // A failed checkout must not stick: the next statement tries again.
      this.connecting.catch(() => {
        this.connecting = null
      })
    }
    return this.connecting
  }

  /** Commits and returns the connection to the pool. */
  async commit(): Promise<void> {
    this.guard('commit')
    const connection = await this.settledConnection()
    if (connection !== null) {
      try {
        await connection.commit()
      } catch (error) {
        await this.release(connection)
        this.state = 'closed'
        throw error
      }
      await this.release(connection)
    }
    this.state = 'committed'
  }

  /** Rolls back (if anything began) and returns the connection to the pool. Allowed in every state. */
  async rollback(): Promise<void> {
    const connection = await this.settledConnection()
    if (connection !== null) {
      try {
        await connection.rollback()
      } finally {
        await this.release(connection)
      }
    }
    this.state = 'closed'
  }

  /** Marks the transaction failed after a flush error: rolls the database back now, keeps the error for PendingRollbackError. */
  async fail(cause: unknown): Promise<void> {
    this.failure = cause
    const connection = await this.settledConnection()
    if (connection !== null) {
      try {
        await connection.rollback()
      } finally {
        await this.release(connection)
      }
    }
    this.state = 'deactive'
  }

  /** Remembers the pre-transaction value of columns about to be overwritten by a flushed UPDATE. */
  rememberOriginals(state: InstanceState, values: Record<string, unknown>): void {
    const originals = this.originals.get(state)
    if (originals === undefined) this.originals.set(state, { ...values })
    else for (const [name, value] of Object.entries(values)) if (!(name in originals)) originals[name] = value
  }

  private async settledConnection(): Promise<DriverConnection | null> {
    if (this.connecting !== null) await this.connecting.catch(() => undefined)
    return this.connection
  }

  private async release(connection: DriverConnection): Promise<void> {
    this.connection = null
    this.connecting = null
    await this.engine.release(connection)
  }
}
