/** The raw PostgreSQL peer: node-postgres directly (one pg.Pool, rowMode 'array'), sending the SQL prismalchemy sends, with `$n` placeholders. */
import pg from 'pg'
import { renamed, type LoadedRole, type NewUserRow, type Peer, type UserSummary } from './peer.js'
import { PG_POOL_MAX } from './postgres-server.js'
import { groupByRole, RAW_SQL, ROWS_PER_INSERT, type NewUserWithoutEmail } from './raw-peer.js'

/** `sql` with its `?` placeholders numbered `$1, $2, ...` (for SQL with no `?` inside literals). */
export function numbered(sql: string): string {
  let n = 0
  return sql.replace(/\?/g, () => `$${++n}`)
}

/** SQL of the raw pg peer: {@link RAW_SQL} with PostgreSQL placeholders, exported so the report can check it against what prismalchemy sent. */
export const RAW_PG_SQL = {
  getByPk: numbered(RAW_SQL.getByPk),
  usersPage: numbered(RAW_SQL.usersPage),
  rolesBetween: numbered(RAW_SQL.rolesBetween),
  usersOfRole: numbered(RAW_SQL.usersOfRole),
  usersOfRoles: (count: number) => numbered(RAW_SQL.usersOfRoles(count)),
  rolesJoined: numbered(RAW_SQL.rolesJoined),
  usersByIds: (count: number) => numbered(RAW_SQL.usersByIds(count)),
  rename: numbered(RAW_SQL.rename),
  roleByName: numbered(RAW_SQL.roleByName),
  insertRows: (rows: number) => numbered(RAW_SQL.insertRows(rows)),
}

/**
 * The values prismalchemy binds on PostgreSQL for a new user: its row plus the schema defaults.
 * `now` is an ISO string, which a `timestamp(3)` column stores as UTC wall-clock time, as adapter-pg writes it.
 */
function rowValues(row: NewUserRow | NewUserWithoutEmail, now: string): unknown[] {
  return [row.username, row.email, row.roleId, 'FREE', true, 0n, 0, '0', null, null, now, now]
}

/** A row of `users` as an array, in {@link RAW_SQL}'s column order: id, username, email, roleId, ... */
type UserRow = [number, string, string | null, number | null, ...unknown[]]

/**
 * node-postgres used directly: the floor any layer over it can reach. A pool of the same size as
 * prismalchemy's, rows as arrays (adapter-pg reads them the same way), pg's default value parsers,
 * unnamed statements (parsed on every call, adapter-pg's default).
 */
export class RawPgPeer implements Peer {
  readonly name = 'raw' as const
  private readonly pool: pg.Pool

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: PG_POOL_MAX, options: '-c TimeZone=UTC' })
  }

  /** One `pool.query` (checkout, one extended-protocol round trip, release). */
  async getUser(id: number): Promise<unknown> {
    return (await this.query(RAW_PG_SQL.getByPk, [id]))[0]
  }

  /** No identity map: the query again, each time. */
  async getUserRepeatedly(id: number, times: number): Promise<unknown> {
    let user: unknown
    for (let i = 0; i < times; i++) user = (await this.query(RAW_PG_SQL.getByPk, [id]))[0]
    return user
  }

  usersPage(roleId: number): Promise<unknown[]> {
    return this.query(RAW_PG_SQL.usersPage, [roleId, 50])
  }

  /** The roles, then one query per role. */
  async rolesLazy(first: number, last: number): Promise<LoadedRole[]> {
    const loaded: LoadedRole[] = []
    for (const id of await this.roleIds(first, last)) loaded.push({ id, users: await this.query(RAW_PG_SQL.usersOfRole, [id]) })
    return loaded
  }

  /** The roles, then their users in one `IN` query, grouped by roleId. */
  async rolesSelectin(first: number, last: number): Promise<LoadedRole[]> {
    const ids = await this.roleIds(first, last)
    return groupByRole(ids, await this.query(RAW_PG_SQL.usersOfRoles(ids.length), ids), (user) => (user as UserRow)[3]!)
  }

  /** One LEFT OUTER JOIN, grouped by role id (the rows come ordered by it). */
  async rolesJoined(first: number, last: number): Promise<LoadedRole[]> {
    const loaded: { id: number; users: unknown[] }[] = []
    for (const row of (await this.query(RAW_PG_SQL.rolesJoined, [first, last])) as unknown[][]) {
      const id = row[0] as number
      if (loaded.at(-1)?.id !== id) loaded.push({ id, users: [] })
      if (row[2] !== null) loaded.at(-1)!.users.push(row.slice(2))
    }
    return loaded
  }

  /** BEGIN, the multi-row `INSERT ... RETURNING "id"` statements of 500 rows each (prismalchemy's shape), COMMIT, on one checked-out client; returns the ids. */
  async insertUsers(rows: readonly NewUserRow[]): Promise<unknown[]> {
    const now = new Date().toISOString()
    const ids: unknown[] = []
    await this.inTransaction(async (client) => {
      for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
        const chunk = rows.slice(start, start + ROWS_PER_INSERT)
        const values: unknown[] = []
        for (const row of chunk) values.push(...rowValues(row, now))
        for (const [id] of (await client.query({ text: RAW_PG_SQL.insertRows(chunk.length), values, rowMode: 'array' })).rows) ids.push(id)
      }
    })
    return ids
  }

  /** One `IN` query, then BEGIN, one UPDATE per row, COMMIT on one checked-out client. */
  async renameUsers(ids: readonly number[], tag: string): Promise<unknown[]> {
    const users = (await this.query(RAW_PG_SQL.usersByIds(ids.length), [...ids])) as UserRow[]
    const now = new Date().toISOString()
    await this.inTransaction(async (client) => {
      for (const [id, username] of users) await client.query({ text: RAW_PG_SQL.rename, values: [renamed(username, tag), now, id], rowMode: 'array' })
    })
    return users
  }

  /** The role by name, then one INSERT, each a `pool.query` in autocommit. */
  async addUserToRole(username: string, roleName: string): Promise<number> {
    const created = await this.addUserToNamedRole(username, roleName)
    if (created === null) throw new Error(`No role named ${roleName}`)
    return created.id
  }

  /** The role by name, then one INSERT, each a `pool.query` in autocommit; null (nothing written) when no role has that name: the HTTP benchmark's raw app. */
  async addUserToNamedRole(username: string, roleName: string): Promise<UserSummary | null> {
    const [role] = (await this.query(RAW_PG_SQL.roleByName, [roleName, 2])) as [number][]
    if (role === undefined) return null
    const [roleId] = role
    const [[id]] = (await this.query(RAW_PG_SQL.insertRows(1), rowValues({ username, email: null, roleId }, new Date().toISOString()))) as [number][]
    return { id, username, roleId }
  }

  summarize(user: unknown): UserSummary {
    const [id, username, , roleId] = user as UserRow
    return { id, username, roleId }
  }

  describe(): string {
    return `node-postgres pg.Pool (max ${PG_POOL_MAX}), rowMode 'array', unnamed statements (parsed on every call, adapter-pg's default)`
  }

  close(): Promise<void> {
    return this.pool.end()
  }

  private async query(text: string, values: unknown[]): Promise<unknown[]> {
    return (await this.pool.query({ text, values, rowMode: 'array' })).rows
  }

  private async roleIds(first: number, last: number): Promise<number[]> {
    return ((await this.query(RAW_PG_SQL.rolesBetween, [first, last])) as [number, string][]).map(([id]) => id)
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
