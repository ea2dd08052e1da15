/** The raw PostgreSQL peer: node-postgres directly (one pg.Pool, rowMode 'array'), sending the SQL prismalchemy sends, with `$n` placeholders. */
import pg from 'pg'
import type { NewUserRow, Peer } from './peer.js'
import { PG_POOL_MAX } from './postgres-server.js'
import { RAW_SQL, ROWS_PER_INSERT } from './raw-peer.js'

/** `sql` with its `?` placeholders numbered `$1, $2, ...` (for SQL with no `?` inside literals). */
export function numbered(sql: string): string {
  let n = 0
  return sql.replace(/\?/g, () => `$${++n}`)
}

/** SQL of the raw pg peer: {@link RAW_SQL} with PostgreSQL placeholders, exported so the report can check it against what prismalchemy sent. */
export const RAW_PG_SQL = {
  getByPk: numbered(RAW_SQL.getByPk),
  usersOfRole: numbered(RAW_SQL.usersOfRole),
  insertRows: (rows: number) => numbered(RAW_SQL.insertRows(rows)),
  insertOne: numbered(RAW_SQL.insertOne),
}

/**
 * The values prismalchemy binds on PostgreSQL for a new user: its row plus the schema defaults.
 * `now` is an ISO string, which a `timestamp(3)` column stores as UTC wall-clock time, as adapter-pg writes it.
 */
function rowValues(row: NewUserRow, now: string): unknown[] {
  return [row.username, row.email, row.roleId, 'FREE', true, 0n, 0, '0', null, null, now, now]
}

/** How the raw peer sends statements. */
export interface RawPgOptions {
  /**
   * Name each distinct SQL text (`{ name, text }`), so pg parses it once per connection and then
   * only binds and executes it; default false: unnamed statements, parsed on every call, which is
   * what adapter-pg does unless given a `statementNameGenerator`.
   */
  readonly named?: boolean
}

/**
 * node-postgres used directly: the floor any layer over it can reach. A pool of the same size as
 * prismalchemy's, rows as arrays (adapter-pg reads them the same way), pg's default value parsers.
 */
export class RawPgPeer implements Peer {
  readonly name = 'raw' as const
  private readonly pool: pg.Pool
  private readonly names = new Map<string, string>()

  constructor(
    url: string,
    private readonly options: RawPgOptions = {},
  ) {
    this.pool = new pg.Pool({ connectionString: url, max: PG_POOL_MAX, options: '-c TimeZone=UTC' })
  }

  /** One `pool.query` (checkout, one extended-protocol round trip, release). */
  async getByPk(id: number): Promise<unknown> {
    return (await this.pool.query(this.query(RAW_PG_SQL.getByPk, [id]))).rows[0]
  }

  /** One `pool.query`. */
  async usersOfRole(roleId: number): Promise<unknown[]> {
    return (await this.pool.query(this.query(RAW_PG_SQL.usersOfRole, [roleId]))).rows
  }

  /** BEGIN, the multi-row `INSERT ... RETURNING "id"` statements of 500 rows each (prismalchemy's shape), COMMIT, on one checked-out client. */
  async insertUsers(rows: readonly NewUserRow[]): Promise<void> {
    const now = new Date().toISOString()
    await this.inTransaction(async (client) => {
      for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
        const chunk = rows.slice(start, start + ROWS_PER_INSERT)
        const values: unknown[] = []
        for (const row of chunk) values.push(...rowValues(row, now))
        await client.query(this.query(RAW_PG_SQL.insertRows(chunk.length), values))
      }
    })
  }

  /** The other common raw pattern: one single-row INSERT per row, in one transaction. */
  async insertUsersPerRow(rows: readonly NewUserRow[]): Promise<void> {
    const now = new Date().toISOString()
    await this.inTransaction(async (client) => {
      for (const row of rows) await client.query(this.query(RAW_PG_SQL.insertOne, rowValues(row, now)))
    })
  }

  async describe(): Promise<string> {
    const statements = this.options.named ? 'named statements (parsed once per connection)' : "unnamed statements (parsed on every call, adapter-pg's default)"
    return `node-postgres pg.Pool (max ${PG_POOL_MAX}), rowMode 'array', ${statements}`
  }

  close(): Promise<void> {
    return this.pool.end()
  }

  private query(text: string, values: unknown[]): pg.QueryConfig & { rowMode: 'array' } {
    if (!this.options.named) return { text, values, rowMode: 'array' }
    let name = this.names.get(text)
    if (name === undefined) this.names.set(text, (name = `raw_${this.names.size + 1}`))
    return { name, text, values, rowMode: 'array' }
  }

  private async inTransaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
      try {
        await work(client)
        await client.query('COMMIT')
      } catch (error) {
        await client.query('ROLLBACK')
        throw error
      }
    } finally {
      client.release()
    }
  }
}
