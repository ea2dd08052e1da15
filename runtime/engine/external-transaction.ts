/** ExternalTransaction: a transaction the application holds on one connection, that sessions join with savepoints (SQLAlchemy's "join a session into an external transaction" recipe). */
import { InvalidRequestError } from '../errors.js'
import { controlStatement, type CompiledQuery } from '../sql/compiled-query.js'
import type { AloneResult, DriverConnection, QueryResult, RowBatches, TransactionOptions } from './driver.js'

/**
 * A session transaction inside the external one: its BEGIN is a SAVEPOINT (sent with its first
 * statement), its COMMIT a RELEASE SAVEPOINT, its ROLLBACK a ROLLBACK TO SAVEPOINT, so that the
 * session can commit and roll back as usual while the external transaction decides in the end.
 */
class JoinedConnection implements DriverConnection {
  /** The SAVEPOINT, sent once by the first statement (statements started together share it). */
  private savepoint: Promise<string> | null = null
  private requested = false
  /** Streams opened in this session transaction: its end interrupts those still open (the outer connection goes on). */
  private readonly streams = new Set<RowBatches>()

  constructor(
    private readonly outer: ExternalTransaction,
    private readonly connection: DriverConnection,
  ) {}

  begin(_options?: TransactionOptions): undefined {
    this.requested = true
    return undefined
  }

  async execute(query: CompiledQuery): Promise<QueryResult> {
    await this.enter()
    return this.connection.execute(query)
  }

  /** Inside the external transaction nothing commits on its own: the statement runs in the savepoint. */
  async executeAlone(query: CompiledQuery): Promise<AloneResult> {
    return { result: await this.execute(query), committed: false }
  }

  get writesBlocked(): boolean {
    return this.connection.writesBlocked
  }

  async stream(query: CompiledQuery, batchSize: number): Promise<RowBatches> {
    await this.enter()
    const stream = await this.connection.stream(query, batchSize)
    this.streams.add(stream)
    return stream
  }

  /** Checks the external transaction, and sends the SAVEPOINT with the first statement. */
  private async enter(): Promise<void> {
    if (!this.outer.isActive) throw InvalidRequestError.transactionInactive('external transaction')
    if (this.requested && this.savepoint === null) {
      const name = this.outer.nextSavepointName()
      this.savepoint = this.connection.execute(controlStatement(`SAVEPOINT ${name}`)).then(() => name)
      this.savepoint.catch(() => undefined)
    }
    if (this.savepoint !== null) await this.savepoint
  }

  async commit(): Promise<void> {
    await this.end('RELEASE SAVEPOINT')
  }

  async rollback(): Promise<void> {
    await this.end('ROLLBACK TO SAVEPOINT')
  }

  private async end(sql: 'RELEASE SAVEPOINT' | 'ROLLBACK TO SAVEPOINT'): Promise<void> {
    for (const stream of this.streams) await stream.closeFor(sql === 'RELEASE SAVEPOINT' ? 'commit' : 'rollback')
    this.streams.clear()
    this.requested = false
    const started = this.savepoint
    this.savepoint = null
    const name = started === null ? null : await started.catch(() => null)
    if (name !== null && this.outer.isActive) await this.connection.execute(controlStatement(`${sql} ${name}`))
  }
}

/** What an external transaction needs of its engine: to take its connection back. `Engine` is one. */
export interface ConnectionSource {
  /** Returns a checked-out connection to the pool. */
  release(connection: DriverConnection): Promise<void>
}

/**
 * A transaction the application begins on one of the engine's connections (`await engine.begin()`)
 * and ends itself. Sessions created with `{ bind: engine, joinTransaction: outer }` run inside it:
 * each session transaction is a SAVEPOINT, so `session.commit()` releases it and
 * `session.rollback()` rolls back to it, while nothing is committed until `outer.commit()`. Its
 * classic use is a test that rolls back everything the code under test committed.
 *
 * ### Examples
 * ```ts
 * const outer = await engine.begin()
 * const session = new Session({ bind: engine, joinTransaction: outer })
 * session.add(new User({ username: 'ann' }))
 * await session.commit()            // RELEASE SAVEPOINT: visible inside `outer` only
 * await session.close()
 * await outer.rollback()            // nothing was kept
 * ```
 */
export class ExternalTransaction<E extends ConnectionSource = ConnectionSource> {
  private savepoints = 0
  private ended = false

  /** @internal Use `engine.begin()`. */
  constructor(
    /** The engine the connection belongs to; sessions join on this engine's statements. */
    readonly engine: E,
    private readonly connection: DriverConnection,
  ) {}

  /** True until `commit()` or `rollback()`. */
  get isActive(): boolean {
    return !this.ended
  }

  /** @internal The connection a joining session transaction uses: savepoints on this transaction's connection. */
  join(): DriverConnection {
    if (this.ended) throw InvalidRequestError.transactionInactive('external transaction')
    return new JoinedConnection(this, this.connection)
  }

  /** @internal A savepoint name unique within this transaction (ours, never user input). */
  nextSavepointName(): string {
    return `ext_sp_${++this.savepoints}`
  }

  /** Commits everything done inside, and returns the connection to the pool. */
  async commit(): Promise<void> {
    await this.finish((connection) => connection.commit())
  }

  /** Rolls back everything done inside (the sessions' commits included), and returns the connection to the pool. */
  async rollback(): Promise<void> {
    await this.finish((connection) => connection.rollback())
  }

  private async finish(end: (connection: DriverConnection) => Promise<void> | undefined): Promise<void> {
    if (this.ended) throw InvalidRequestError.transactionInactive('external transaction')
    this.ended = true
    try {
      await end(this.connection)
    } finally {
      await this.engine.release(this.connection)
    }
  }
}
