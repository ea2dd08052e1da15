/** The driver for every database reached through a Prisma 7 driver adapter (PostgreSQL via @prisma/adapter-pg): owns the transaction SQL, the pool and error mapping. */
import type { ArgType, SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery, SqlQueryable, Transaction } from '@prisma/driver-adapter-utils'
import { type DatabaseAddress, IllegalStateChangeError, InvalidRequestError, type OrmError, TransactionAbortedError, WriteConflictError } from '../errors.js'
import type { CompiledQuery } from '../sql/compiled-query.js'
import { isConnectionError, mapAdapterError } from './adapter-errors.js'
import { CursorStream } from './adapter-stream.js'
import { retryOnDeadConnection } from './dead-connection-retry.js'
import { DeferredBeginConnection, releaseToPool } from './deferred-begin-connection.js'
import type { ConnectionOwner, DisposeOptions, Driver, DriverConnection, IsolationLevel, PoolStatus, QueryResult, RowBatch, RowBatches, StatementReporter } from './driver.js'
import { QueuePool } from './pool.js'
import type { RowStream } from './row-stream.js'

/** Where a database's own stream reads (see `PrismaAdapterDriverOptions.openStream`). */
export interface AdapterStreamSource {
  /** The session's open transaction, or null when it has none (the stream may then use a connection of its own). */
  readonly transaction: Transaction | null
  /** The adapter, for a connection of its pool. */
  readonly adapter: SqlDriverAdapter
  /** Maps what the driver throws while reading to a named error. */
  readonly mapError: (error: unknown) => Error
}

/** Opens a stream of a SELECT's rows a database's own way; `onEnd` is called once when it ends. */
export type AdapterStreamOpener = (source: AdapterStreamSource, query: CompiledQuery, batchSize: number, onEnd: (stream: RowStream) => void) => Promise<RowStream>

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
  /** The isolation level a transaction gets when none is asked for: PostgreSQL's READ COMMITTED when absent. */
  readonly defaultIsolationLevel?: IsolationLevel
  /**
   * The database ends the whole transaction on a deadlock and goes on in autocommit (MySQL/MariaDB,
   * error 1213): later statements of the session's transaction are refused instead of being committed one by one.
   */
  readonly writeConflictEndsTransaction?: boolean
  /**
   * How `stream()` reads, when not through PostgreSQL's DECLARE/FETCH cursor (MySQL/MariaDB). A stream on
   * the transaction's connection holds it until the stream ends: other statements of the transaction are
   * refused meanwhile (`write_during_stream`).
   */
  readonly openStream?: AdapterStreamOpener
  /** Receives every statement run. */
  readonly reporter: StatementReporter
  /** The server the URL names (no password), for the message of a refused first connection. */
  readonly address?: DatabaseAddress
  /**
   * When given, a commit's lone write (`singleStatementCommits`) goes alone, in autocommit, only while
   * this answers true, and inside BEGIN ... COMMIT otherwise, where the BEGIN heals a pooled connection
   * that died unseen: PostgreSQL's default, true while the connection the adapter's pool hands out next
   * answered lately. Asked about the open adapter, in the same turn as the write is handed to its pool
   * (nothing in between can change which connection that is); not asked before the adapter is open
   * (its pool is new: every connection the write can get is one that just answered).
   */
  readonly loneWritesAlone?: (adapter: SqlDriverAdapter) => boolean
}

const UNKNOWN_ARG: ArgType = Object.freeze({ scalarType: 'unknown', arity: 'scalar' })
const ARG_TYPES: ArgType[][] = []

/** `argTypes` must be exactly as long as `args` (adapters read one entry per argument); values are already encoded. */
function argTypesFor(count: number): ArgType[] {
  return (ARG_TYPES[count] ??= Array.from({ length: count }, () => UNKNOWN_ARG))
}

/** The adapter's request for `query`. */
function requestOf(query: CompiledQuery): SqlQuery {
  return { sql: query.sql, args: query.parameters as unknown[], argTypes: argTypesFor(query.parameters.length) }
}

/**
 * Runs `request` (of `query`) on `queryable`, shapes what the adapter answered as `query` expects, and
 * notes that `driver` has had a connection answer (see `PrismaAdapterDriver.connectedOnce`).
 */
function runRequest(driver: PrismaAdapterDriver, queryable: SqlQueryable, query: CompiledQuery, request: SqlQuery): Promise<QueryResult> {
  if (query.result === 'count') {
    return queryable.executeRaw(request).then((changes) => {
      driver.connectedOnce = true
      return { rows: [], changes }
    })
  }
  return queryable.queryRaw(request).then((result) => {
    driver.connectedOnce = true
    // The adapter reports the generated key of an INSERT through queryRaw only (executeRaw returns the count).
    if (query.result === 'insert-id') return { rows: [], changes: 1, lastInsertId: result.lastInsertId }
    return query.columnNames ? { rows: result.rows, changes: 0, columns: result.columnNames } : { rows: result.rows, changes: 0 }
  })
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
  /** The error with which the database itself ended the open transaction (see `writeConflictEndsTransaction`). */
  private endedBy: OrmError | null = null
  /** The open stream reading on the transaction's connection, which runs nothing else until it ends (see `openStream`). */
  private holdingStream: RowStream | null = null

  constructor(private readonly driver: PrismaAdapterDriver) {
    super(driver.reporter)
  }

  /** True while a database transaction is open on this connection. */
  get inTransaction(): boolean {
    return this.starting !== null
  }

  execute(query: CompiledQuery): Promise<QueryResult> {
    // Reads before the transaction's first write run in autocommit, as on SQLite (see the class comment).
    return this.send(query, this.joinsTransaction(query))
  }

  /** Whether a lone write may go alone now (see `PrismaAdapterDriverOptions.loneWritesAlone`). */
  protected override mayRunAlone(): boolean {
    const adapter = this.driver.openedAdapter
    return adapter === undefined || (this.driver.loneWritesAlone?.(adapter) ?? true)
  }

  /** A write in autocommit on any pooled server connection, like the reads before a transaction's first write. */
  protected runAlone(query: CompiledQuery): Promise<QueryResult> {
    return this.send(query, false)
  }

  /** Sends `query` inside the session's transaction (begun now if it was not) when `transactional`, else in autocommit on the adapter's pool. */
  private send(query: CompiledQuery, transactional: boolean): Promise<QueryResult> {
    const adapter = this.driver.openedAdapter
    return transactional || adapter === undefined ? this.sendWaiting(query, transactional) : this.sendAutocommit(adapter, query)
  }

  /**
   * An autocommit statement on the open adapter's pool, handed to it in this turn (see `loneWritesAlone`)
   * and with no promise of its own but the one that reports it: every read before a write, and a lone write.
   * A read on pooled connections the server closed (a restart, an idle timeout) runs again on the next
   * one: pg's pool drops each, and a read outside any transaction simply runs again, as a BEGIN does
   * (the pre-ping of this driver).
   */
  private sendAutocommit(adapter: SqlDriverAdapter, query: CompiledQuery): Promise<QueryResult> {
    const attempts = query.isWrite ? 1 : this.driver.healingAttempts
    const request = requestOf(query)
    return this.reported(query.sql, query.parameters, () => retryOnDeadConnection(attempts, () => runRequest(this.driver, adapter, query, request)))
  }

  /** {@link send} when it must wait: for the adapter to open, or for the transaction's BEGIN and its turn on the connection. */
  private async sendWaiting(query: CompiledQuery, transactional: boolean): Promise<QueryResult> {
    const generation = this.generation
    if (transactional) this.refuseOnHeldConnection(query.sql)
    const queryable: SqlQueryable = transactional ? await this.transaction() : await this.driver.adapter().catch((error: unknown) => Promise.reject(this.mapError(error, query.sql)))
    if (generation !== this.generation) throw IllegalStateChangeError.notAllowed('execute', 'closed')
    if (!transactional) return await this.sendAutocommit(queryable as SqlDriverAdapter, query)
    // The transaction's statements share one connection, one after the other.
    const done = await this.turn()
    try {
      // Checked again in turn: the statement before this one may have ended the transaction (a deadlock) or opened a stream.
      this.refuseOnHeldConnection(query.sql)
      const request = requestOf(query)
      return await this.reported(query.sql, query.parameters, () => runRequest(this.driver, queryable, query, request))
    } catch (error) {
      this.noteTransactionEnd(error)
      throw error
    } finally {
      done()
    }
  }

  /**
   * Refuses a statement of the transaction when the database already ended it (see
   * `writeConflictEndsTransaction`) or a stream holds its connection (see `openStream`).
   */
  private refuseOnHeldConnection(sql: string): void {
    if (this.endedBy !== null) throw TransactionAbortedError.rolledBackByDatabase(this.endedBy, sql)
    if (this.holdingStream !== null) throw InvalidRequestError.writeDuringStream(sql)
  }

  /** Remembers that the database ended the transaction with `error`, where a write conflict does that (MySQL). */
  private noteTransactionEnd(error: unknown): void {
    if (error instanceof WriteConflictError && this.driver.writeConflictEndsTransaction) this.endedBy = error
  }

  /**
   * Streams a SELECT through a server-side cursor (`DECLARE ... NO SCROLL CURSOR FOR`, then `FETCH
   * FORWARD batchSize` per batch, `CLOSE` at the end). A cursor lives in a transaction: this begins the
   * session's one now, even for a read, and the stream shares its connection with the session's other
   * statements (each FETCH waits its turn), so the loop may query and flush meanwhile.
   */
  async stream(query: CompiledQuery, batchSize: number): Promise<RowBatches> {
    const open = this.driver.openStream
    if (open !== undefined) return this.streamOwnWay(open, query, batchSize)
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

  /**
   * Streams with the database's own opener: on the transaction's connection when the session's
   * transaction is open (or begins at its first statement), which then runs nothing else until the
   * stream ends; otherwise on a connection the opener takes for the stream alone.
   */
  private async streamOwnWay(open: AdapterStreamOpener, query: CompiledQuery, batchSize: number): Promise<RowBatches> {
    const generation = this.generation
    const inTransaction = this.inTransaction || this.joinsTransaction({ ...query, isWrite: false })
    const transaction = inTransaction ? await this.transaction() : null
    const adapter = await this.driver.adapter()
    if (generation !== this.generation) throw IllegalStateChangeError.notAllowed('execute', 'closed')
    const done = transaction !== null ? await this.turn() : undefined
    const mapError = (error: unknown): OrmError => {
      const mapped = this.mapError(error, query.sql)
      if (transaction !== null) this.noteTransactionEnd(mapped)
      return mapped
    }
    const source: AdapterStreamSource = { transaction, adapter, mapError }
    try {
      // The transaction's connection sends one stream's rows at a time: a second one would wait behind the first forever.
      if (transaction !== null) this.refuseOnHeldConnection(query.sql)
      const stream = await this.reported(query.sql, query.parameters, () =>
        open(source, query, batchSize, (ended) => {
          if (ended === this.holdingStream) this.holdingStream = null
          this.streams.forget(ended)
        }),
      )
      if (transaction !== null) this.holdingStream = stream
      return this.streams.add(stream)
    } finally {
      done?.()
    }
  }

  /** A cursor's transaction runs other statements between its FETCHes, writes included; a stream of the database's own holds its connection. */
  get writesBlocked(): boolean {
    return this.holdingStream !== null
  }

  /** Any level other than the database's default (PostgreSQL's READ COMMITTED, MySQL's REPEATABLE READ) is set by the adapter at BEGIN, so the transaction begins at its first statement. */
  protected beginsAtFirstStatement(level: IsolationLevel | undefined): boolean {
    return level !== undefined && level !== this.driver.defaultIsolationLevel
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
    const endedBy = this.endedBy
    this.endedBy = null
    const transaction = await starting?.catch(() => null)
    if (transaction === null || transaction === undefined) return
    if (endedBy !== null && sql === 'COMMIT') {
      // Nothing is left to commit: what ran after the deadlock was refused. The connection goes back to its pool.
      await transaction.rollback().catch(() => undefined)
      throw TransactionAbortedError.rolledBackByDatabase(endedBy, sql)
    }
    const done = await this.turn()
    // adapter-mariadb's commit()/rollback() send COMMIT/ROLLBACK themselves (`usePhantomQuery`), then hand the
    // connection back to its pool (which rolls back whatever a failed COMMIT left open); adapter-pg's only hand it back.
    if (transaction.options.usePhantomQuery) {
      try {
        await this.reported(sql, [], () => (sql === 'COMMIT' ? transaction.commit() : transaction.rollback()))
      } finally {
        done()
      }
      return
    }
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
  /** @internal See `PrismaAdapterDriverOptions.writeConflictEndsTransaction`. */
  readonly writeConflictEndsTransaction: boolean
  /** @internal See `PrismaAdapterDriverOptions.openStream`. */
  readonly openStream: AdapterStreamOpener | undefined
  /** @internal See `PrismaAdapterDriverOptions.defaultIsolationLevel`. */
  readonly defaultIsolationLevel: IsolationLevel
  /** @internal See `PrismaAdapterDriverOptions.loneWritesAlone`. */
  readonly loneWritesAlone: ((adapter: SqlDriverAdapter) => boolean) | undefined
  private readonly pool: QueuePool<AdapterConnection>
  private opening: Promise<SqlDriverAdapter> | null = null
  #opened: SqlDriverAdapter | undefined = undefined

  constructor(private readonly options: PrismaAdapterDriverOptions) {
    this.reporter = options.reporter
    this.address = options.address
    this.writeConflictEndsTransaction = options.writeConflictEndsTransaction ?? false
    this.openStream = options.openStream
    this.defaultIsolationLevel = options.defaultIsolationLevel ?? 'READ COMMITTED'
    this.loneWritesAlone = options.loneWritesAlone
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

  acquireNow(owner?: ConnectionOwner): DriverConnection | undefined {
    return this.pool.acquireNow(owner)
  }

  /**
   * @internal How many times BEGIN or an autocommit read runs on dead pooled connections: one per
   * server connection the adapter's pool may hold, plus one on a freshly opened connection.
   */
  get healingAttempts(): number {
    return this.options.poolSize + this.options.maxOverflow + 1
  }

  release(connection: DriverConnection): Promise<void> | undefined {
    return releaseToPool(this.pool, connection as AdapterConnection)
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
    this.#opened = undefined
    const adapter = await opening?.catch(() => null)
    const closing = adapter?.dispose()
    // The adapter's pool closes once its checked-out connections come back: wait only when asked or none are out.
    if (busy && !options.wait) closing?.catch(() => undefined)
    else await closing
    await disposing
  }

  /** @internal The adapter once {@link adapter} opened it (until a dispose): statements use it without a turn of the event loop. */
  get openedAdapter(): SqlDriverAdapter | undefined {
    return this.#opened
  }

  /** @internal The adapter, opened on first use. */
  adapter(): Promise<SqlDriverAdapter> {
    if (this.opening === null) {
      const opening = this.options.factory.connect()
      this.opening = opening
      opening.then(
        (adapter) => {
          if (this.opening === opening) this.#opened = adapter
        },
        () => {
          if (this.opening === opening) this.opening = null
        },
      )
    }
    return this.opening
  }
}
