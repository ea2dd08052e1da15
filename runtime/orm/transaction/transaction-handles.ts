/** The handles `session.begin()` and `session.beginNested()` return: commit or roll back one level of the session's transaction. */
import { InvalidRequestError } from '../../errors.js'

/** The session's transaction begun by `session.begin()`: SQLAlchemy's `SessionTransaction` as users hold it. */
export class Transaction {
  /** @internal */
  constructor(
    private readonly active: () => boolean,
    private readonly commitWork: () => Promise<void>,
    private readonly rollbackWork: () => Promise<void>,
  ) {}

  /** True until this transaction is committed or rolled back (by this handle or the session). */
  get isActive(): boolean {
    return this.active()
  }

  /** Commits the session (flush, COMMIT). Raises `InvalidRequestError` (`transaction_inactive`) once the transaction ended. */
  async commit(): Promise<void> {
    if (!this.active()) throw InvalidRequestError.transactionInactive('transaction')
    await this.commitWork()
  }

  /** Rolls the session back. Raises `InvalidRequestError` (`transaction_inactive`) once the transaction ended. */
  async rollback(): Promise<void> {
    if (!this.active()) throw InvalidRequestError.transactionInactive('transaction')
    await this.rollbackWork()
  }
}

/** A SAVEPOINT begun by `session.beginNested()`: SQLAlchemy's nested `SessionTransaction`. */
export class NestedTransaction {
  /** @internal */
  constructor(
    private readonly active: () => boolean,
    private readonly releaseWork: () => Promise<void>,
    private readonly rollbackWork: () => Promise<void>,
  ) {}

  /** True until the savepoint is released, rolled back, or ended with the outer transaction. */
  get isActive(): boolean {
    return this.active()
  }

  /** Flushes and releases the savepoint (`RELEASE SAVEPOINT`): its work becomes part of the outer transaction. */
  commit(): Promise<void> {
    return this.releaseWork()
  }

  /** Rolls back to the savepoint (`ROLLBACK TO SAVEPOINT`) and restores the objects changed since it began. */
  rollback(): Promise<void> {
    return this.rollbackWork()
  }
}
