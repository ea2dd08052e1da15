/** The driver for every database reached through a Prisma 7 driver adapter (PostgreSQL via @prisma/adapter-pg): owns the transaction SQL, the pool and error mapping. */
import type { ArgType, SqlDriverAdapter, SqlDriverAdapterFactory, Transaction } from '@prisma/driver-adapter-utils'
import { type DatabaseAddress, IllegalStateChangeError, type OrmError } from '../errors.js'
import type { CompiledQuery } from '../sql/compiled-query.js'
import { isConnectionError, mapAdapterError } from './adapter-errors.js'
import { CursorStream } from './adapter-stream.js'
import { retryOnDeadConnection } from './dead-connection-retry.js'
import { DeferredBeginConnection } from './deferred-begin-connection.js'
import type { ConnectionOwner, DisposeOptions, Driver, DriverConnection, IsolationLevel, PoolStatus, QueryResult, RowBatch, RowBatches, StatementReporter } from './driver.js'
import { QueuePool } from './pool.js'

/** Settings of {@link PrismaAdapterDriver}. */
export interface PrismaAdapterDriverOptions {
  /**
   * Opens the adapter. Called once, and again after `dispose()`: each adapter owns its own pool of
   * database connections (adapter-pg builds a `pg.Pool` per `connect()` when given a config).
   */
  readonly factory: SqlDriverAdapterFactory
  /** Connections kept open (SQLAlchemy's pool_size). */
  readonly poolSize: number
  /** Extra connections under load (SQLAlchemy's max_overflow). */
  readonly maxOverflow: number
  /** Milliseconds to wait for a free connection before `PoolTimeoutError`. */
  readonly poolTimeoutMs: number
  /** Milliseconds after which an idle session connection is dropped (`poolIdleTimeout`); negative or absent: never. */
  readonly idleTimeoutMs?: number
  /** Receives every statement run. */
  readonly reporter: StatementReporter
  /** The server the URL names (no password), for the message of a refused first connection. */
  readonly address?: DatabaseAddress
}

const UNKNOWN_ARG: ArgType = Object.freeze({ scalarType: 'unknown', arity: 'scalar' })
const ARG_TYPES: ArgType[][] = []

/** `argTypes` must be exactly as long as `args` (adapters read one entry per argument); values are already encoded. */
function argTypesFor(count: number): ArgType[] {
  return (ARG_TYPES[count] ??= Array.from({ length: count }, () => UNKNOWN_ARG))
}

/**
 * One session's connection ({@link DeferredBeginConnection}). Reads before the first write run in
 * autocommit on any pooled server connection: under PostgreSQL's default READ COMMITTED isolation each
 * statement sees the latest committed data inside a transaction or not, so this only saves a read-only
 * session its BEGIN and ROLLBACK round trips (3 round trips become 1 for a primary-key get). The first
 * write starts the transaction with the adapter's `startTransaction()` (which checks a connection out of
 * the adapter's pool and sends BEGIN); every later statement runs in it. COMMIT and ROLLBACK are sent
 * here, because the adapters' `commit()`/`rollback()` only hand the connection back to their pool.
 */
class AdapterConnection extends DeferredBeginConnection {
  private starting: Promise<Transaction> | null = null
  /** Numbers of the cursors open in the transaction (`pa_stream_<n>`): a new stream takes the lowest free one. */
  private readonly cursors = new Set<number>()
  /** Settles when the last statement sent in the transaction has (see {@link turn}). */
  private tail: Promise<void> = Promise.resolve()

  constructor(private readonly driver: PrismaAdapterDriver) {
    super(driver.reporter)
  }

  /** True while a database transaction is open on this connection. */
  get inTransaction(): boolean {
    return this.starting !== null
  }

  async execute(query: CompiledQuery): Promise<QueryResult> {
    const generation = this.generation
    // Reads before the transaction's first write run in autocommit, as on SQLite (see the class comment).
    const transactional = this.joinsTransaction(query)
    const queryable = transactional ? await this.transaction() : await this.driver.adapter()
    if (generation !== this.generation) throw IllegalStateChangeError.notAllowed('execute', 'closed')
    // Autocommit reads go to any pooled server connection; the transaction's statements share one.
    const done = transactional ? await this.turn() : undefined
    const request = { sql: query.sql, args: query.parameters as unknown[], argTypes: argTypesFor(query.parameters.length) }
    const send = async (): Promise<QueryResult> =>
      query.result === 'rows'
        ? query.columnNames
          ? await queryable.queryRaw(request).then((result) => ({ rows: result.rows, changes: 0, columns: result.columnNames }))
          : { rows: (await queryable.queryRaw(request)).rows, changes: 0 }
        : { rows: [], changes: await queryable.executeRaw(request) }
    try {
      // An autocommit read on pooled connections the server closed (a restart, an idle timeout): pg's
      // pool drops each, and a read outside any transaction simply runs again on the next one, as a
      // BEGIN does (the pre-ping of this driver).
      const attempts = transactional || query.isWrite ? 1 : this.driver.healingAttempts
      const result = await this.reported(query.sql, query.parameters, () => retryOnDeadConnection(attempts, send))
      this.driver.connectedOnce = true
      return result
    } finally {
      done?.()
    }
  }

  /**
   * Streams a SELECT through a server-side cursor (`DECLARE ... NO SCROLL CURSOR FOR`, then `FETCH
   * FORWARD batchSize` per batch, `CLOSE` at the end). A cursor lives in a transaction: this begins the
   * session's one now, even for a read, and the stream shares its connection with the session's other
   * statements (each FETCH waits its turn), so the loop may query and flush meanwhile.
   */
  async stream(query: CompiledQuery, batchSize: number): Promise<RowBatches> {
    const generation = this.generation
    const transaction = await this.transaction()
    if (generation !== this.generation) throw IllegalStateChangeError.notAllowed('execute', 'closed')
    let number = 1
    while (this.cursors.has(number)) number++
    this.cursors.add(number)
    const name = `pa_stream_${number}`
    const run = async (sql: string, parameters: readonly unknown[]): Promise<RowBatch> => {
      const done = await this.turn()
      try {
        const request = { sql, args: parameters as unknown[], argTypes: argTypesFor(parameters.length) }
        return await this.reported(sql, parameters, async () => (await transaction.queryRaw(request)).rows)
      } finally {
        done()
      }
    }
    try {
      await run(`DECLARE ${name} NO SCROLL CURSOR FOR ${query.sql}`, query.parameters)
    } catch (error) {
      this.cursors.delete(number)
      throw error
    }
    const forget = (stream: unknown): void => {
      this.cursors.delete(number)
      this.streams.forget(stream as CursorStream)
    }
    return this.streams.add(new CursorStream(name, batchSize, forget, run))
  }

  /** A cursor's transaction runs other statements between its FETCHes, writes included. */
  get writesBlocked(): boolean {
    return false
  }

  /** Any level other than PostgreSQL's default READ COMMITTED is set by the adapter at BEGIN, so the transaction begins at its first statement. */
  protected beginsAtFirstStatement(level: IsolationLevel | undefined): boolean {
    return level !== undefined && level !== 'READ COMMITTED'
  }

  protected async sendCommit(): Promise<void> {
    await this.finish('COMMIT')
  }

  protected async sendRollback(): Promise<void> {
    await this.finish('ROLLBACK')
  }

  protected mapError(error: unknown, sql: string): OrmError {
    return mapAdapterError(error, sql, this.driver.address, this.driver.connectedOnce)
  }

  /** The server rolls back the transaction of a connection it lost: a ROLLBACK that cannot reach it has nothing left to undo. */
  protected override ignoresFailedRollback(error: OrmError): boolean {
    return isConnectionError(error)
  }

  /**
   * Waits until every statement sent before on the transaction's connection has settled, and returns
   * the function to call once this one has: a pg client runs one query at a time, and pg's own queue
   * for overlapping calls is deprecated (gone in pg@9).
   */
  private async turn(): Promise<() => void> {
    const previous = this.tail
    let settled!: () => void
    this.tail = new Promise<void>((resolve) => (settled = resolve))
    await previous
    return settled
  }

  /** Ends the open transaction with `sql`, then hands the adapter's connection back to its pool; a failed COMMIT is rolled back first. */
  private async finish(sql: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    const starting = this.starting
    this.starting = null
    const transaction = await starting?.catch(() => null)
    if (transaction === null || transaction === undefined) return
    const done = await this.turn()
    try {
      await this.reported(sql, [], () => transaction.executeRaw({ sql, args: [], argTypes: [] }))
    } catch (error) {
      if (sql === 'COMMIT') await this.rollbackAfterFailure(() => this.reported('ROLLBACK', [], () => transaction.executeRaw({ sql: 'ROLLBACK', args: [], argTypes: [] })))
      await transaction.rollback().catch(() => undefined)
      throw error
    } finally {
      done()
    }
    await transaction.commit()
  }

  /** The open transaction, started on first use (concurrent statements share one start). */
  private transaction(): Promise<Transaction> {
    if (this.starting === null) {
      const starting = this.startTransaction()
      this.starting = starting
      starting.catch(() => {
        if (this.starting === starting) this.starting = null
      })
    }
    return this.starting
  }

  /**
   * Starts a transaction. A pooled connection that died since its last use (a server restart) fails at
   * BEGIN: that is retried on the next connection until one works or a fresh one is opened (see
   * {@link retryOnDeadConnection}), which is what SQLAlchemy's pre-ping achieves, at no extra round trip.
   */
  private startTransaction(): Promise<Transaction> {
    const level = this.beginsAtFirstStatement(this.isolationLevel) ? this.isolationLevel : undefined
    // The adapter sends BEGIN, then SET TRANSACTION ISOLATION LEVEL when a level is given.
    return this.reported(level === undefined ? 'BEGIN' : `BEGIN ISOLATION LEVEL ${level}`, [], async () => {
      const adapter = await this.driver.adapter()
      const transaction = await retryOnDeadConnection(this.driver.healingAttempts, () => adapter.startTransaction(level))
      this.driver.connectedOnce = true
      return transaction
    })
  }
}

/**
 * A driver over any Prisma 7 driver adapter. Our {@link QueuePool} hands out session connections
 * (pool size, overflow, checkout timeout); each holds one adapter transaction while a transaction is
 * open. The adapter's own pool is sized to match (see `postgresDatabase`), so it never waits itself.
 */
export class PrismaAdapterDriver implements Driver {
  /** @internal */
  readonly reporter: StatementReporter
  /** @internal The server the URL names, for `DatabaseUnavailableError` messages. */
  readonly address: DatabaseAddress | undefined
  /**
   * @internal True once a connection to the server worked: a server that cannot be reached before that
   * is unavailable (`DatabaseUnavailableError`), after it a lost connection (`ConnectionLostError`).
   */
  connectedOnce = false
  private readonly pool: QueuePool<AdapterConnection>
  private opening: Promise<SqlDriverAdapter> | null = null

  constructor(private readonly options: PrismaAdapterDriverOptions) {
    this.reporter = options.reporter
    this.address = options.address
    this.pool = new QueuePool({
      create: () => new AdapterConnection(this),
      destroy: () => undefined,
      poolSize: options.poolSize,
      maxOverflow: options.maxOverflow,
      timeoutMs: options.poolTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
    })
  }

  async acquire(owner?: ConnectionOwner): Promise<DriverConnection> {
    return this.pool.acquire(owner)
  }

  /**
   * @internal How many times BEGIN or an autocommit read runs on dead pooled connections: one per
   * server connection the adapter's pool may hold, plus one on a freshly opened connection.
   */
  get healingAttempts(): number {
    return this.options.poolSize + this.options.maxOverflow + 1
  }

  async release(connection: DriverConnection): Promise<void> {
    const adapterConnection = connection as AdapterConnection
    // Checked synchronously: a connection with nothing open goes back without a turn of the event loop.
    if (adapterConnection.inTransaction) await adapterConnection.rollbackForRelease()
    if (adapterConnection.reusable) await this.pool.release(adapterConnection)
    else await this.pool.discard(adapterConnection)
  }

  status(): PoolStatus {
    return this.pool.status()
  }

  /** Closes the adapter's idle connections now; connections inside a transaction close when it ends. The engine stays usable. */
  async dispose(options: DisposeOptions = {}): Promise<void> {
    const busy = this.pool.status().checkedOut > 0
    const disposing = this.pool.dispose(options)
    const opening = this.opening
    this.opening = null
    const adapter = await opening?.catch(() => null)
    const closing = adapter?.dispose()
    // The adapter's pool closes once its checked-out connections come back: wait only when asked or none are out.
    if (busy && !options.wait) closing?.catch(() => undefined)
    else await closing
    await disposing
  }

  /** @internal The adapter, opened on first use. */
  adapter(): Promise<SqlDriverAdapter> {
    if (this.opening === null) {
      const opening = this.options.factory.connect()
      this.opening = opening
      opening.catch(() => {
        if (this.opening === opening) this.opening = null
      })
    }
    return this.opening
  }
}
