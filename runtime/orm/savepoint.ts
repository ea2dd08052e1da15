/** Savepoint: one `beginNested()` level of a session transaction, with what a ROLLBACK TO SAVEPOINT must restore in memory. */
import type { CompiledQuery } from '../sql/compiled-query.js'
import type { EngineTransaction } from './engine-transaction.js'
import type { Session } from './session.js'
import type { SessionTransaction } from './session-transaction.js'
import type { InstanceState } from './state.js'

/** The states of a savepoint: usable, failed by a flush (only its rollback is allowed), or ended. */
export type SavepointState = 'active' | 'deactive' | 'released' | 'rolled back'

function statement(text: string): CompiledQuery {
  return { sql: text, parameters: [], result: 'count', isWrite: true, exactIntegers: false }
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
  ) {}

  /** Sends `SAVEPOINT <name>` on every connection (each begins its transaction first). */
  static async begin(name: string, transaction: SessionTransaction, connections: readonly EngineTransaction[]): Promise<Savepoint> {
    for (const connection of connections) await connection.execute(statement(`SAVEPOINT ${name}`))
    return new Savepoint(name, connections, transaction.inserted.length, transaction.deleted.length, transaction.vanished.length)
  }

  /** Remembers values about to be overwritten by an UPDATE flushed inside this savepoint (the first ones win). */
  rememberOriginals(state: InstanceState, values: Record<string, unknown>): void {
    const originals = this.originals.get(state)
    if (originals === undefined) this.originals.set(state, { ...values })
    else for (const [name, value] of Object.entries(values)) if (!(name in originals)) originals[name] = value
  }

  /** `RELEASE SAVEPOINT`: its work joins the enclosing transaction, and so do its remembered values. */
  async release(enclosing: Savepoint | undefined): Promise<void> {
    for (const connection of this.connections) await connection.execute(statement(`RELEASE SAVEPOINT ${this.name}`))
    this.state = 'released'
    if (enclosing !== undefined) for (const [state, values] of this.originals) enclosing.rememberOriginals(state, values)
  }

  /** `ROLLBACK TO SAVEPOINT` on the database, then the same in memory (see the class comment). */
  async rollback(session: Session, transaction: SessionTransaction): Promise<void> {
    for (const connection of this.connections) await connection.execute(statement(`ROLLBACK TO SAVEPOINT ${this.name}`), true)
    this.state = 'rolled back'
    this.restore(session, transaction)
  }

  private restore(session: Session, transaction: SessionTransaction): void {
    const identityMap = session.identityMap
    session.collections.reset()
    const deleted = transaction.deleted.splice(this.deletedFrom)
    const inserted = transaction.inserted.splice(this.insertedFrom)
    transaction.resetDeletedIndex()
    for (const state of transaction.vanished.splice(this.vanishedFrom)) {
      if (state.session !== null || state.key === undefined || identityMap.get(state.mapper, state.key) !== undefined) continue
      state.session = session
      identityMap.add(state)
    }
    // Objects inserted since the savepoint become transient and keep their attributes as they are.
    const transient = new Set(inserted)
    for (const state of deleted) {
      state.deleted = false
      if (state.session !== session) continue
      identityMap.add(state)
      if (transient.has(state)) continue
      // A change made before the delete was never written: the object shows the stored row again.
      if (state.committed !== null) Object.assign(state.dict, state.committed)
      state.clearModifications()
    }
    for (const state of inserted) {
      identityMap.remove(state)
      state.key = undefined
      state.clearModifications()
      if (state.session === session) state.session = null
    }
    for (const state of session.dirtyStates) {
      if (state.committed !== null && state.session === session && !transient.has(state)) Object.assign(state.dict, state.committed)
      state.clearModifications()
    }
    session.dirtyStates.clear()
    for (const [state, originals] of this.originals) {
      if (state.session !== session || transient.has(state)) continue
      Object.assign(state.dict, originals)
      const key = state.mapper.identityKeyOf(state.dict)
      if (state.session === session && state.key !== undefined && key !== state.key) {
        identityMap.remove(state)
        state.key = key
        identityMap.add(state)
      }
    }
    for (const state of session.newStates) state.session = null
    session.newStates.clear()
    session.deletedStates.clear()
    // Unlike a full rollback, rows merely read inside the savepoint are not expired: SQLAlchemy's
    // nested rollback expires only the objects changed in it (restored above), and so do we.
    // Loaded relationships may hold objects that are gone now: they load again on next access.
    for (const state of identityMap.states()) {
      state.related = {}
      state.changedRelationships = null
    }
  }
}
