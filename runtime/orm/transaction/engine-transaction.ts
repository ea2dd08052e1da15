/** EngineTransaction: a session transaction's connection to one engine, checked out and begun on first use, ended once. */
import type { AloneResult, ConnectionOwner, DriverConnection, IsolationLevel, QueryResult, RowBatches } from '../../engine/driver.js'
import { checkIsolationLevel, type Engine } from '../../engine/engine.js'
import type { CompiledQuery } from '../../sql/compiled-query.js'
import type { BindRoute } from '../routing.js'
import type { ExternalTransaction } from '../../engine/external-transaction.js'

/** What `end()` answers when it ended at once: one settled promise, shared. */
const ENDED: Promise<void> = Promise.resolve()

/** What an engine's transaction asks of the session transaction it is part of. */
export interface TransactionParent {
  /** Throws unless statements may run now. */
  guard(operation: string): void
  /** The session's isolation level, over the engine's own. */
  readonly isolationLevel?: IsolationLevel | undefined
  /** An external transaction whose engine's statements run inside it. */
  readonly joinTransaction?: ExternalTransaction | undefined
}

/**
 * The part of a session transaction on one engine: a bind's primary, or one of its replicas
 * (read-only: rolled back at the end, never committed).
 *
 * Tracks statements in flight: ending waits for them, so a connection never goes back to the
 * pool while one of its statements still runs (e.g. a request's teardown racing its own flush).
 * @internal
 */
export class EngineTransaction {
  private connecting: Promise<DriverConnection> | null = null
  /** The connection once checked out and begun: statements skip awaiting `connecting`. */
  private connection: DriverConnection | null = null
  private readonly inFlight = new Set<Promise<unknown>>()
  /** The streams opened on the connection, in order (see {@link streamsOpened}). */
  private readonly streams: RowBatches[] = []
  private ending: Promise<void> | null = null
  /** True once a write (INSERT, UPDATE, DELETE) ran here: a primary that was only read commits nothing that matters. */
  wrote = false
  /** True when this engine's statements run inside the session's `joinTransaction` (savepoints on its connection). */
  private joined = false

  constructor(
    readonly engine: Engine,
    /** The bind this engine serves (for a replica, the bind it replicates). */
    readonly route: BindRoute,
    /** The session transaction this is part of: it says whether statements may run. */
    private readonly parent: TransactionParent,
    /** Names the session in `PoolTimeoutError` while the connection is checked out. */
    private readonly owner: ConnectionOwner | undefined,
  ) {}

  /** True for a replica's connection: read-only, rolled back at the end. */
  get readOnly(): boolean {
    return this.engine !== this.route.primary
  }

  /** True once a connection was asked for (and so must be ended). */
  get started(): boolean {
    return this.connecting !== null
  }

  /**
   * Runs one statement on the connection, checked out and begun on first use. `unguarded` skips
   * the transaction's state check, for the ROLLBACK TO SAVEPOINT that ends a failed savepoint.
   */
  execute(query: CompiledQuery, unguarded = false): Promise<QueryResult> {
    return this.run((connection) => connection.execute(query), unguarded)
  }

  /** Runs the write `query` as everything the transaction writes before its commit (see `DriverConnection.executeAlone`). */
  executeAlone(query: CompiledQuery): Promise<AloneResult> {
    return this.run((connection) => connection.executeAlone(query), false)
  }

  /**
   * Runs `send` on the connection, checked out and begun on first use, while the transaction allows
   * statements (unless `unguarded`). Once the connection is there, no async function wraps the
   * statement: its promise is chained once, by {@link track} (inside an async context every promise has a cost).
   */
  private run<R>(send: (connection: DriverConnection) => Promise<R>, unguarded: boolean): Promise<R> {
    try {
      if (!unguarded) this.parent.guard('execute')
      let connection = this.connection
      if (connection === null) {
        const connecting = this.connect()
        // Checked out and begun at once (an idle connection): nothing to wait for.
        connection = this.connection
        if (connection === null) return this.runConnected(connecting, send, unguarded)
        if (!unguarded) this.parent.guard('execute')
      }
      return this.track(send(connection))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** {@link run} once the checkout and BEGIN of `connecting` are done. */
  private async runConnected<R>(connecting: Promise<DriverConnection>, send: (connection: DriverConnection) => Promise<R>, unguarded: boolean): Promise<R> {
    const connection = await connecting
    if (!unguarded) this.parent.guard('execute')
    return await this.track(send(connection))
  }

  /**
   * `running`, counted among the statements in flight (which {@link end} waits for) until it settles.
   * One reaction on it, not a second one beside the caller's: V8's async stack traces (an error's
   * stack, `recordQueries`' caller) follow a promise only while it has a single reaction.
   */
  private track<R>(running: Promise<R>): Promise<R> {
    const inFlight = this.inFlight
    const tracked: Promise<R> = running.then(
      (result) => {
        inFlight.delete(tracked)
        return result
      },
      (error: unknown) => {
        inFlight.delete(tracked)
        throw error
      },
    )
    inFlight.add(tracked)
    return tracked
  }

  /** True while the checked-out connection can run no write (SQLite while a stream reads on it). */
  get writesBlocked(): boolean {
    return this.connection?.writesBlocked ?? false
  }

  /** Opens a stream of `query`'s rows on the connection (see `DriverConnection.stream`); the end of the transaction interrupts it. */
  async stream(query: CompiledQuery, batchSize: number): Promise<RowBatches> {
    this.parent.guard('execute')
    const connection = this.connection ?? (await this.connect())
    this.parent.guard('execute')
    const opening = connection.stream(query, batchSize)
    this.inFlight.add(opening)
    try {
      const stream = await opening
      this.streams.push(stream)
      return stream
    } finally {
      this.inFlight.delete(opening)
    }
  }

  /** How many streams were opened on the connection so far: a savepoint notes it at its start (see {@link interruptStreamsSince}). */
  get streamsOpened(): number {
    return this.streams.length
  }

  /**
   * Ends, with no statement, the streams opened since `count` were ({@link streamsOpened}) that are
   * still open, because their savepoint rolls back with `operation`: PostgreSQL closes the cursors
   * opened inside a savepoint rolled back to, and better-sqlite3 runs no ROLLBACK TO while a statement
   * is iterated. Their next read raises `stream_closed`.
   */
  interruptStreamsSince(count: number, operation: string): void {
    for (const stream of this.streams.splice(count)) if (stream.open) stream.interrupt(operation)
  }

  /**
   * Ends the streams still open because the transaction ends with `operation`, before its last flush
   * (better-sqlite3 writes nothing while a statement is iterated). A joined transaction's cursors are
   * CLOSEd, as its RELEASE SAVEPOINT keeps them open; a COMMIT closes the others itself. Returns a
   * promise only when it has a cursor to CLOSE (inside an async context every promise has a cost).
   */
  endStreams(operation: string): Promise<void> | undefined {
    const streams = this.streams.splice(0)
    for (let i = 0; i < streams.length; i++) {
      const stream = streams[i]
      if (!stream.open) continue
      if (this.joined) return this.closeStreams(streams.slice(i), operation)
      stream.interrupt(operation)
    }
    return undefined
  }

  /** CLOSEs a joined transaction's open cursors, one after the other (see {@link endStreams}). */
  private async closeStreams(streams: readonly RowBatches[], operation: string): Promise<void> {
    for (const stream of streams) if (stream.open) await stream.closeFor(operation)
  }

  /**
   * Checks the connection out and begins, once; a failed checkout is forgotten so that the next
   * statement tries again. When an idle connection is checked out and begun at once, {@link connection}
   * is set before this returns.
   */
  connect(): Promise<DriverConnection> {
    if (this.connecting === null) {
      // The session's level wins over the engine's; checked against this engine's database before any checkout.
      const requested = this.parent.isolationLevel
      const isolationLevel = requested === undefined ? this.engine.isolationLevel : checkIsolationLevel(this.engine.dialect, requested)
      const options = isolationLevel === undefined ? undefined : { isolationLevel }
      const joined = this.parent.joinTransaction?.engine === this.engine ? this.parent.joinTransaction : undefined
      this.joined = joined !== undefined
      const now = joined === undefined ? this.engine.connectNow(this.owner) : undefined
      const beginning = now?.begin(options)
      if (now !== undefined && beginning === undefined) {
        this.connection = now
        this.connecting = Promise.resolve(now)
        return this.connecting
      }
      const checkedOut = now !== undefined ? Promise.resolve(now) : joined !== undefined ? Promise.resolve(joined.join()) : this.engine.connect(this.owner)
      this.connecting = checkedOut.then(async (connection) => {
        await (connection === now ? beginning : connection.begin(options))
        this.connection = connection
        return connection
      })
      this.connecting.catch(() => {
        this.connecting = null
      })
    }
    return this.connecting
  }

  /**
   * Ends the connection's transaction once: waits for running statements, runs `finish`, returns the
   * connection. When nothing runs, `finish` had nothing to send and the pool took the connection back
   * at once, it ends without a promise of its own (a read-only session's close).
   */
  end(finish: (connection: DriverConnection) => Promise<void> | undefined): Promise<void> {
    this.ending ??= this.connection !== null && this.inFlight.size === 0 ? this.finishNow(this.connection, finish) : this.finishLater(finish)
    return this.ending
  }

  /** {@link end} on a connection with no statement running: at once when `finish` sends nothing and the pool takes it back at once. */
  private finishNow(connection: DriverConnection, finish: (connection: DriverConnection) => Promise<void> | undefined): Promise<void> {
    let finishing: Promise<void> | undefined
    try {
      finishing = finish(connection)
    } catch (error) {
      finishing = Promise.reject(error)
    }
    if (finishing !== undefined) return this.releaseAfter(finishing, connection)
    try {
      return this.releaseEnded(connection) ?? ENDED
    } catch (error) {
      // A promise, as from an async end: a caller ending several engines at once (allSettled) ends the others too.
      return Promise.reject(error)
    }
  }

  /** {@link end} once the checkout and the running statements have settled. */
  private async finishLater(finish: (connection: DriverConnection) => Promise<void> | undefined): Promise<void> {
    const connecting = this.connecting
    if (connecting === null) return
    // Checked out and begun already (the usual case): no need to await the checkout again.
    const connection = this.connection ?? (await connecting.catch(() => null))
    if (connection === null) return
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
    await this.finishNow(connection, finish)
  }

  /** Waits for `finishing` (awaited, so that its statements' async stack reaches the caller), then returns the connection, whether it failed or not. */
  private async releaseAfter(finishing: Promise<void>, connection: DriverConnection): Promise<void> {
    try {
      await finishing
    } finally {
      await this.releaseEnded(connection)
    }
  }

  /** Forgets the ended transaction's connection and returns it to the pool (a joined one stays with its external transaction). */
  private releaseEnded(connection: DriverConnection): Promise<void> | undefined {
    this.connecting = null
    this.connection = null
    return this.joined ? undefined : this.engine.releaseNow(connection)
  }
}
