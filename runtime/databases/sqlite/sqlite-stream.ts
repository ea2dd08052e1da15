/** A SELECT streamed on SQLite: better-sqlite3's `iterate()`, read a batch at a time. */
import type { RowBatch } from '../../engine/driver.js'
import { RowStream } from '../../engine/row-stream.js'
import type { OrmError } from '../../errors.js'

/**
 * The rows of one open better-sqlite3 statement, `batchSize` at a time. Stepping is synchronous, so
 * a batch is read in one go. While it is open, better-sqlite3 refuses writes (and COMMIT, ROLLBACK)
 * on the connection, though reads still run: the connection refuses them first with a named error
 * (see `SqliteConnection.execute`) and interrupts the stream before its transaction ends.
 */
export class SqliteRowStream extends RowStream {
  constructor(
    private readonly rows: IterableIterator<unknown[]>,
    batchSize: number,
    onEnd: (stream: RowStream) => void,
    /** Maps what better-sqlite3 throws while stepping to a named error. */
    private readonly mapError: (error: unknown) => OrmError,
  ) {
    super(batchSize, onEnd)
  }

  protected fetch(): RowBatch {
    const batch: unknown[][] = []
    try {
      while (batch.length < this.batchSize) {
        const next = this.rows.next()
        if (next.done === true) break
        batch.push(next.value)
      }
    } catch (error) {
      throw this.mapError(error)
    }
    return batch
  }

  protected close(): void {
    this.rows.return?.()
  }

  protected drop(): void {
    this.rows.return?.()
  }
}
