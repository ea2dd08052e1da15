/** The raw better-sqlite3 peer: one connection, WAL, cached prepared statements, the SQL prismalchemy sends. */
import Database from 'better-sqlite3'
import { renamed, type LoadedRole, type NewUserRow, type Peer, type UserSummary } from './peer.js'

/** Every column of `users`, in schema order (the order prismalchemy selects and inserts them). */
const COLUMNS = ['id', 'username', 'email', 'roleId', 'plan', 'active', 'quota', 'score', 'balance', 'settings', 'avatar', 'created_at', 'updated_at']
const INSERT_COLUMNS = COLUMNS.slice(1)
const quoted = (columns: readonly string[], table?: string) => columns.map((c) => (table ? `"${table}"."${c}"` : `"${c}"`)).join(', ')
const SELECT = `SELECT ${quoted(COLUMNS)} FROM "users"`
const placeholders = (count: number) => Array.from({ length: count }, () => '?').join(', ')
const ROLES_BETWEEN = 'SELECT "id", "name" FROM "Role" WHERE "id" >= ? AND "id" <= ? ORDER BY "id" ASC'

/** Rows per multi-row INSERT: prismalchemy's batch size. */
export const ROWS_PER_INSERT = 500

/** SQL of the raw peer (prismalchemy's statements, `?` placeholders), exported so the report can check it against what prismalchemy sent. */
export const RAW_SQL = {
  getByPk: `${SELECT} WHERE "id" = ?`,
  usersPage: `${SELECT} WHERE "roleId" = ? ORDER BY "username" ASC LIMIT ?`,
  rolesBetween: ROLES_BETWEEN,
  usersOfRole: `${SELECT} WHERE "roleId" = ?`,
  usersOfRoles: (count: number) => `${SELECT} WHERE "roleId" IN (${placeholders(count)})`,
  rolesJoined: `SELECT "t0"."id", "t0"."name", ${quoted(COLUMNS, 't1')} FROM (${ROLES_BETWEEN}) AS "t0" LEFT OUTER JOIN "users" AS "t1" ON "t0"."id" = "t1"."roleId" ORDER BY "t0"."id" ASC`,
  usersByIds: (count: number) => `${SELECT} WHERE "id" IN (${placeholders(count)})`,
  rename: 'UPDATE "users" SET "username" = ?, "updated_at" = ? WHERE "id" = ?',
  roleByName: 'SELECT "id", "name" FROM "Role" WHERE "name" = ? LIMIT ?',
  insertRows: (rows: number) => `INSERT INTO "users" (${quoted(INSERT_COLUMNS)}) VALUES ${Array.from({ length: rows }, () => `(${placeholders(INSERT_COLUMNS.length)})`).join(', ')} RETURNING "id"`,
}

/** The values prismalchemy binds for a new user on SQLite: its row plus the schema defaults, `now` as Prisma stores it. */
function rowValues(row: NewUserRow | NewUserWithoutEmail, now: string): unknown[] {
  return [row.username, row.email, row.roleId, 'FREE', 1, 0n, 0, 0, null, null, now, now]
}

/** What a request (i) inserts: no email. */
export interface NewUserWithoutEmail {
  readonly username: string
  readonly email: null
  readonly roleId: number
}

/** `now` as Prisma and prismalchemy store a DateTime in SQLite: ISO 8601 with `+00:00`. */
function sqliteNow(): string {
  return new Date().toISOString().replace('Z', '+00:00')
}

/** A user row: an object from the cached statements, or the user columns of a joined row (an array). */
type RawUser = { id: bigint; username: string; roleId: bigint | null } | unknown[]

/** Groups user rows by role, in the roles' order. */
export function groupByRole(roleIds: readonly number[], users: readonly unknown[], roleIdOf: (user: unknown) => number): LoadedRole[] {
  const byRole = new Map<number, unknown[]>(roleIds.map((id) => [id, []]))
  for (const user of users) byRole.get(roleIdOf(user))!.push(user)
  return roleIds.map((id) => ({ id, users: byRole.get(id)! }))
}

/**
 * better-sqlite3 used directly: the floor any layer on top of it can reach. Rows are read as
 * objects (the usual way), with safe integers on because `quota` is a BigInt column; the joined
 * load reads arrays (its two `id` columns would collide in an object).
 */
export class RawPeer implements Peer {
  readonly name = 'raw' as const
  private readonly db: Database.Database
  /** Cached statements by SQL text: reading objects, and reading arrays. */
  private readonly objectStatements = new Map<string, Database.Statement>()
  private readonly arrayStatements = new Map<string, Database.Statement>()

  constructor(file: string) {
    this.db = new Database(file)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = NORMAL')
    this.db.pragma('foreign_keys = ON')
  }

  /** `stmt.get(id)` on a cached statement. */
  getUser(id: number): unknown {
    return this.objects(RAW_SQL.getByPk).get(id)
  }

  /** No identity map: the query again, each time. */
  getUserRepeatedly(id: number, times: number): unknown {
    const statement = this.objects(RAW_SQL.getByPk)
    let user: unknown
    for (let i = 0; i < times; i++) user = statement.get(id)
    return user
  }

  usersPage(roleId: number): unknown[] {
    return this.objects(RAW_SQL.usersPage).all(roleId, 50)
  }

  /** The roles, then one query per role. */
  rolesLazy(first: number, last: number): LoadedRole[] {
    const byRole = this.objects(RAW_SQL.usersOfRole)
    return this.roleIds(first, last).map((id) => ({ id, users: byRole.all(id) }))
  }

  /** The roles, then their users in one `IN` query, grouped by roleId. */
  rolesSelectin(first: number, last: number): LoadedRole[] {
    const ids = this.roleIds(first, last)
    return groupByRole(ids, this.objects(RAW_SQL.usersOfRoles(ids.length)).all(ids), (user) => Number((user as { roleId: bigint }).roleId))
  }

  /** One LEFT OUTER JOIN, grouped by role id (the rows come ordered by it). */
  rolesJoined(first: number, last: number): LoadedRole[] {
    const loaded: { id: number; users: unknown[] }[] = []
    for (const row of this.arrays(RAW_SQL.rolesJoined).all(first, last) as unknown[][]) {
      const id = Number(row[0])
      if (loaded.at(-1)?.id !== id) loaded.push({ id, users: [] })
      if (row[2] !== null) loaded.at(-1)!.users.push(row.slice(2))
    }
    return loaded
  }

  /** One `BEGIN IMMEDIATE` transaction of cached multi-row `INSERT ... RETURNING "id"` statements, 500 rows each (prismalchemy's shape); returns the ids. */
  insertUsers(rows: readonly NewUserRow[]): unknown[] {
    const now = sqliteNow()
    const ids: unknown[] = []
    this.db
      .transaction(() => {
        for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
          const chunk = rows.slice(start, start + ROWS_PER_INSERT)
          const values: unknown[] = []
          for (const row of chunk) values.push(...rowValues(row, now))
          for (const [id] of this.arrays(RAW_SQL.insertRows(chunk.length)).all(values) as [bigint][]) ids.push(id)
        }
      })
      .immediate()
    return ids
  }

  /** One `IN` query, then one cached UPDATE per row in one `BEGIN IMMEDIATE` transaction. */
  renameUsers(ids: readonly number[], tag: string): unknown[] {
    const users = this.objects(RAW_SQL.usersByIds(ids.length)).all(ids) as { id: bigint; username: string }[]
    const now = sqliteNow()
    const update = this.objects(RAW_SQL.rename)
    this.db
      .transaction(() => {
        for (const user of users) update.run(renamed(user.username, tag), now, user.id)
      })
      .immediate()
    return users
  }

  /** The role by name, then one INSERT (autocommit: one statement needs no transaction of its own). */
  addUserToRole(username: string, roleName: string): number {
    const created = this.addUserToNamedRole(username, roleName)
    if (created === null) throw new Error(`No role named ${roleName}`)
    return created.id
  }

  /** The role by name, then one INSERT; null (nothing written) when no role has that name: the HTTP benchmark's raw app. */
  addUserToNamedRole(username: string, roleName: string): UserSummary | null {
    const role = this.objects(RAW_SQL.roleByName).get(roleName, 2) as { id: bigint } | undefined
    if (role === undefined) return null
    const roleId = Number(role.id)
    const [[id]] = this.arrays(RAW_SQL.insertRows(1)).all(rowValues({ username, email: null, roleId }, sqliteNow())) as [bigint][]
    return { id: Number(id), username, roleId }
  }

  summarize(user: unknown): UserSummary {
    const row = user as RawUser
    if (Array.isArray(row)) return { id: Number(row[0]), username: row[1] as string, roleId: row[3] === null ? null : Number(row[3]) }
    return { id: Number(row.id), username: row.username, roleId: row.roleId === null ? null : Number(row.roleId) }
  }

  describe(): string {
    return `better-sqlite3 ${this.db.pragma('journal_mode', { simple: true })}, synchronous=${this.db.pragma('synchronous', { simple: true })}, one connection, prepared statements cached`
  }

  async close(): Promise<void> {
    this.db.close()
  }

  private roleIds(first: number, last: number): number[] {
    return (this.arrays(RAW_SQL.rolesBetween).all(first, last) as [bigint, string][]).map(([id]) => Number(id))
  }

  /** The cached statement for `sql`, reading objects with safe integers. */
  private objects(sql: string): Database.Statement {
    let statement = this.objectStatements.get(sql)
    if (statement === undefined) this.objectStatements.set(sql, (statement = this.db.prepare(sql).safeIntegers(true)))
    return statement
  }

  /** The cached statement for `sql`, reading arrays with safe integers. */
  private arrays(sql: string): Database.Statement {
    let statement = this.arrayStatements.get(sql)
    if (statement === undefined) this.arrayStatements.set(sql, (statement = this.db.prepare(sql).safeIntegers(true).raw(true)))
    return statement
  }
}
