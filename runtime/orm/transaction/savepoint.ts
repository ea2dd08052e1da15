/** Savepoint: one `beginNested()` level of a session transaction, with what a ROLLBACK TO SAVEPOINT must restore in memory. */
import { controlStatement } from '../../sql/compiled-query.js'
import type { EngineTransaction } from './engine-transaction.js'
import { rememberOriginalsIn, restoreObjects } from './restore.js'
import type { LoadContext } from '../session-context.js'
import type { InstanceState } from '../state.js'

/** The states of a savepoint: usable, failed by a flush (only its rollback is allowed), or ended. */
export type SavepointState = 'active' | 'deactive' | 'released' | 'rolled back'

/** What a savepoint reads and cuts back in the transaction it belongs to: the objects each flush inserted, deleted or found gone. */
export interface SavepointJournal {
  readonly inserted: InstanceState[]
  readonly deleted: InstanceState[]
  readonly vanished: InstanceState[]
  /** Forgets the index of deleted identities after `deleted` shrank. */
  resetDeletedIndex(): void
}

/**
 * One SAVEPOINT on every primary connection of the transaction. It remembers where the
 * transaction's lists of inserted and deleted objects stood when it began, and the column values
 * of objects before their first UPDATE flushed inside it, so that a rollback to it puts memory
 * back where the database goes: objects inserted inside become transient again, objects deleted
 * inside persistent again, updated columns take their values back (SQLAlchemy's nested
 * `_restore_snapshot`).
 * @internal
 */
export class Savepoint {
  state: SavepointState = 'active'
  /** The flush error that made this savepoint `deactive`. */
  failure: unknown = undefined
  /** Column values before this savepoint's first flushed UPDATE of each object. */
  readonly originals = new Map<InstanceState, Record<string, unknown>>()

  constructor(
    /** Our own name (`sp_<n>`), never user input. */
    readonly name: string,
    /** The connections the SAVEPOINT was sent on. */
    private readonly connections: readonly EngineTransaction[],
    /** Length of `transaction.inserted` when the savepoint began. */
    private readonly insertedFrom: number,
    /** Length of `transaction.deleted` when the savepoint began. */
    private readonly deletedFrom: number,
    /** Length of `transaction.vanished` when the savepoint began. */
    private readonly vanishedFrom: number,
    /** Streams opened on each of `connections` when the savepoint began (a rollback ends the later ones). */
    private readonly streamsFrom: readonly number[],
  ) {}

  /** Sends `SAVEPOINT <name>` on every connection (each begins its transaction first). */
  static async begin(name: string, transaction: SavepointJournal, connections: readonly EngineTransaction[]): Promise<Savepoint> {
    for (const connection of connections) await connection.execute(controlStatement(`SAVEPOINT ${name}`))
    const streamsFrom = connections.map((connection) => connection.streamsOpened)
    return new Savepoint(name, connections, transaction.inserted.length, transaction.deleted.length, transaction.vanished.length, streamsFrom)
  }

  /** Remembers values about to be overwritten by an UPDATE flushed inside this savepoint (the first ones win). */
  rememberOriginals(state: InstanceState, values: Record<string, unknown>): void {
    rememberOriginalsIn(this.originals, state, values)
  }

  /** `RELEASE SAVEPOINT`: its work joins the enclosing transaction, and so do its remembered values. */
  async release(enclosing: Savepoint | undefined): Promise<void> {
    for (const connection of this.connections) await connection.execute(controlStatement(`RELEASE SAVEPOINT ${this.name}`))
    if (enclosing !== undefined) this.mergeInto(enclosing)
    else this.state = 'released'
  }

  /** Ends this savepoint inside `enclosing` (released, or closed with it): its remembered values join the enclosing one's. */
  mergeInto(enclosing: Savepoint): void {
    for (const [state, values] of this.originals) enclosing.rememberOriginals(state, values)
    this.state = 'released'
  }

  /** `ROLLBACK TO SAVEPOINT` on the database, after ending the streams opened inside it, then the same in memory (see the class comment). */
  async rollback(session: LoadContext, transaction: SavepointJournal): Promise<void> {
    this.connections.forEach((connection, i) => connection.interruptStreamsSince(this.streamsFrom[i], 'rollback'))
    for (const connection of this.connections) await connection.execute(controlStatement(`ROLLBACK TO SAVEPOINT ${this.name}`), true)
    this.state = 'rolled back'
    this.restore(session, transaction)
  }

  private restore(session: LoadContext, transaction: SavepointJournal): void {
    session.collections.reset()
    const deleted = transaction.deleted.splice(this.deletedFrom)
    const inserted = transaction.inserted.splice(this.insertedFrom)
    const vanished = transaction.vanished.splice(this.vanishedFrom)
    transaction.resetDeletedIndex()
    // Unlike a full rollback, rows merely read inside the savepoint are not expired: SQLAlchemy's
    // nested rollback expires only the objects changed in it, and so do we.
    restoreObjects(session, { inserted, deleted, vanished, originals: this.originals })
    // Loaded relationships may hold objects that are gone now: they load again on next access.
    for (const state of session.identityMap.states()) {
      state.forgetRelated()
      state.changedRelationships = null
    }
  }
}
