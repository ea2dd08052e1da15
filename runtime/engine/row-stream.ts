/** The driver-independent part of a streamed statement: batches read on demand, closed once, cut off by the end of its transaction. */
import { InvalidRequestError } from '../errors.js'
import type { RowBatch, RowBatches } from './driver.js'

const DONE: IteratorResult<RowBatch> = Object.freeze({ done: true, value: undefined })

/**
 * Batches of one statement's rows, read one batch per `next()` (a driver fills {@link fetch},
 * {@link close} and {@link drop}). A batch shorter than `batchSize` is the last: the stream closes
 * right after it. `return()` (a `break` out of `for await`) closes it early. The connection that opened
 * it calls {@link interrupt} when its transaction ends; a later `next()` then raises `stream_closed`
 * instead of quietly ending (which would look like the end of the rows).
 */
export abstract class RowStream implements RowBatches {
  #state: 'open' | 'done' | 'interrupted' = 'open'
  #endedBy = ''

  protected constructor(
    protected readonly batchSize: number,
    /** Called once when the stream ends, however it ends (the connection forgets it). */
    private readonly onEnd: (stream: RowStream) => void,
  ) {}

  /** Reads the next batch: at most `batchSize` rows, fewer (or none) at the end. */
  protected abstract fetch(): RowBatch | Promise<RowBatch>

  /** Releases the statement or cursor while its transaction goes on (may send SQL, e.g. PostgreSQL's CLOSE). */
  protected abstract close(): void | Promise<void>

  /** Releases what the stream holds without any statement: its transaction is ending, or a read failed. */
  protected abstract drop(): void

  async next(): Promise<IteratorResult<RowBatch>> {
    if (this.#state === 'interrupted') throw InvalidRequestError.streamClosed(this.#endedBy)
    if (this.#state === 'done') return DONE
    let rows: RowBatch
    try {
      rows = await this.fetch()
    } catch (error) {
      this.#end('done')
      this.drop()
      throw error
    }
    // The transaction ended while the batch was read: the rows are dropped with it.
    if (this.#state !== 'open') return this.next()
    if (rows.length < this.batchSize) await this.return()
    return rows.length === 0 ? DONE : { done: false, value: rows }
  }

  async return(): Promise<IteratorResult<RowBatch>> {
    if (this.#state !== 'open') return DONE
    this.#end('done')
    await this.close()
    return DONE
  }

  /** Ends the stream because its transaction ends with `operation` (`'commit'`, `'rollback'`): no SQL; later reads raise `stream_closed`. */
  interrupt(operation: string): void {
    if (this.#state !== 'open') return
    this.#endedBy = operation
    this.#end('interrupted')
    this.drop()
  }

  /** Like {@link interrupt}, but closes first: a savepoint's end (a session inside an external transaction) leaves its cursors open. */
  async closeFor(operation: string): Promise<void> {
    if (this.#state !== 'open') return
    this.#endedBy = operation
    this.#end('interrupted')
    try {
      await this.close()
    } catch {
      // A transaction that failed drops the cursor when it is rolled back; nothing else holds it.
      this.drop()
    }
  }

  /** True until the rows are read to the end, the stream is closed, or its transaction ended. */
  get open(): boolean {
    return this.#state === 'open'
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  #end(state: 'done' | 'interrupted'): void {
    this.#state = state
    this.onEnd(this)
  }
}

/** The streams open on one connection: what a write must wait for (SQLite) and what the end of a transaction cuts off. */
export class OpenStreams {
  readonly #streams = new Set<RowStream>()

  /** Remembers `stream` until it ends; pass {@link forget} as its `onEnd`. */
  add<S extends RowStream>(stream: S): S {
    this.#streams.add(stream)
    return stream
  }

  /** Forgets an ended stream. */
  readonly forget = (stream: RowStream): void => {
    this.#streams.delete(stream)
  }

  /** True while a stream is open. */
  get any(): boolean {
    return this.#streams.size > 0
  }

  /** Interrupts every open stream: the transaction ends with `operation`. */
  interruptAll(operation: string): void {
    for (const stream of [...this.#streams]) stream.interrupt(operation)
  }
}
