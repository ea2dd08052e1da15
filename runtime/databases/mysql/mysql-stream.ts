/** A SELECT streamed on MySQL/MariaDB: the `mariadb` driver's `queryStream()` on one connection, read a batch at a time. */
import type { Transaction } from '@prisma/driver-adapter-utils'
import type { Readable } from 'node:stream'
import type { RowBatch } from '../../engine/driver.js'
import type { AdapterStreamSource } from '../../engine/adapter-driver.js'
import { RowStream } from '../../engine/row-stream.js'
import type { CompiledQuery } from '../../sql/compiled-query.js'

/** The part of a `mariadb` connection a stream uses. */
interface StreamingConnection {
  queryStream(options: Record<string, unknown>, values?: readonly unknown[]): Readable
  release?(): Promise<void>
}

/** The part of a `mariadb` pool a stream outside a transaction uses. */
interface ConnectionPool {
  getConnection(): Promise<StreamingConnection>
}

/** Column types whose text adapter-mariadb turns into ISO timestamps (its `mapRow`), so streamed rows decode as queried ones do. */
const TIMESTAMP_TYPES = new Set(['TIMESTAMP', 'TIMESTAMP2', 'DATETIME', 'DATETIME2'])

/** Options that make the driver return what adapter-mariadb's queries return: arrays, dates and JSON as text, BIT(1) as bytes. */
const QUERY_OPTIONS = { rowsAsArray: true, dateStrings: true, autoJsonMap: false, jsonStrings: true, bitOneIsBoolean: false } as const

/** One streamed row as adapter-mariadb maps a queried one: DATETIME text as `...+00:00` ISO text, 64-bit integers as strings. */
function mapRow(row: unknown[], timestampColumns: readonly boolean[]): unknown[] {
  return row.map((value, i) => {
    if (value === null) return null
    if (timestampColumns[i]) return new Date(`${String(value)}Z`).toISOString().replace(/(\.000)?Z$/, '+00:00')
    return typeof value === 'bigint' ? value.toString() : value
  })
}

/**
 * The rows of one `queryStream()`, `batchSize` at a time. The connection sends the rows until the last
 * one, so it runs nothing else meanwhile: inside a transaction the connection refuses other statements
 * while the stream is open (see `PrismaAdapterDriverOptions.openStream`). Closing early discards the
 * rows still to come; a connection taken for the stream alone goes back to its pool at the end.
 */
class MysqlRowStream extends RowStream {
  private readonly rows: AsyncIterator<unknown[]>
  private timestampColumns: boolean[] = []

  constructor(
    private readonly readable: Readable,
    batchSize: number,
    onEnd: (stream: RowStream) => void,
    private readonly release: () => Promise<void>,
    private readonly mapError: (error: unknown) => Error,
  ) {
    super(batchSize, onEnd)
    readable.on('fields', (fields: readonly { type: string }[]) => {
      this.timestampColumns = fields.map((field) => TIMESTAMP_TYPES.has(field.type))
    })
    this.rows = readable[Symbol.asyncIterator]()
  }

  protected async fetch(): Promise<RowBatch> {
    const batch: unknown[][] = []
    try {
      while (batch.length < this.batchSize) {
        const next = await this.rows.next()
        if (next.done === true) break
        batch.push(mapRow(next.value, this.timestampColumns))
      }
    } catch (error) {
      throw this.mapError(error)
    }
    return batch
  }

  protected async close(): Promise<void> {
    await this.finish()
  }

  protected drop(): void {
    void this.finish().catch(() => undefined)
  }

  /** Stops the rows (the driver drains what is left) and gives a stream-only connection back. */
  private async finish(): Promise<void> {
    ;(this.readable as Readable & { close?: () => void }).close?.()
    await this.rows.return?.()
    await this.release()
  }
}

/** The `mariadb` connection under an adapter-mariadb transaction (its `conn`; the adapter exposes no accessor). */
function connectionOf(transaction: Transaction): StreamingConnection {
  const connection = (transaction as unknown as { conn?: StreamingConnection }).conn
  if (connection === undefined || typeof connection.queryStream !== 'function') {
    throw new Error('query.stream(): this version of @prisma/adapter-mariadb does not expose its transaction connection; prismalchemy supports 7.10')
  }
  return connection
}

/**
 * Opens a stream of `query`'s rows: on the session's transaction connection when it has one (so the
 * rows include its uncommitted writes), otherwise on a connection of the adapter's pool taken for
 * the stream alone (autocommit: the statement's own snapshot), leaving the session free to run
 * other statements meanwhile.
 */
export async function openMysqlStream(source: AdapterStreamSource, query: CompiledQuery, batchSize: number, onEnd: (stream: RowStream) => void): Promise<RowStream> {
  const values = query.parameters
  if (source.transaction !== null) {
    const readable = connectionOf(source.transaction).queryStream({ sql: query.sql, ...QUERY_OPTIONS }, values)
    return new MysqlRowStream(readable, batchSize, onEnd, async () => undefined, source.mapError)
  }
  const pool = (source.adapter as { underlyingDriver?: () => unknown }).underlyingDriver?.() as ConnectionPool | undefined
  if (pool === undefined || typeof pool.getConnection !== 'function') throw new Error('query.stream(): @prisma/adapter-mariadb exposes no pool (underlyingDriver)')
  const connection = await pool.getConnection()
  const readable = connection.queryStream({ sql: query.sql, ...QUERY_OPTIONS }, values)
  let released = false
  return new MysqlRowStream(readable, batchSize, onEnd, async () => {
    if (released) return
    released = true
    await connection.release?.()
  }, source.mapError)
}
