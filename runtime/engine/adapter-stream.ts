/** A SELECT streamed through a Prisma driver adapter (PostgreSQL): a server-side cursor, DECLAREd in the transaction, FETCHed a batch at a time, CLOSEd. */
import type { RowBatch } from './driver.js'
import { RowStream } from './row-stream.js'

/** Runs one statement on the transaction's connection, in turn with the others, reported and with errors mapped. */
export type CursorStatement = (sql: string, parameters: readonly unknown[]) => Promise<RowBatch>

/**
 * The rows of `DECLARE <name> NO SCROLL CURSOR FOR <select>`, read with `FETCH FORWARD <batchSize>`
 * and closed with `CLOSE` when the rows run out or the caller stops early. The cursor lives in the
 * transaction: its end drops the cursor, so nothing is sent then, nor after a failed FETCH (which
 * aborts the transaction on PostgreSQL).
 */
export class CursorStream extends RowStream {
  private readonly fetchSql: string

  constructor(
    private readonly name: string,
    batchSize: number,
    onEnd: (stream: RowStream) => void,
    private readonly run: CursorStatement,
  ) {
    super(batchSize, onEnd)
    this.fetchSql = `FETCH FORWARD ${batchSize} FROM ${name}`
  }

  protected fetch(): Promise<RowBatch> {
    return this.run(this.fetchSql, [])
  }

  protected async close(): Promise<void> {
    await this.run(`CLOSE ${this.name}`, [])
  }

  protected drop(): void {
    // The cursor ends with its transaction (or was lost with the failed FETCH).
  }
}
