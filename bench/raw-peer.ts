/** The raw better-sqlite3 peer: one connection, WAL, cached prepared statements, the SQL prismalchemy sends. */
import Database from 'better-sqlite3'
import type { NewUserRow, Peer } from './peer.js'

/** Every column of `users`, in schema order (the order prismalchemy selects and inserts them). */
const COLUMNS = ['id', 'username', 'email', 'roleId', 'plan', 'active', 'quota', 'score', 'balance', 'settings', 'avatar', 'created_at', 'updated_at']
const INSERT_COLUMNS = COLUMNS.slice(1)
const SELECT = `SELECT ${COLUMNS.map((c) => `"${c}"`).join(', ')} FROM "users"`

/** Rows per multi-row INSERT: prismalchemy's batch size. */
export const ROWS_PER_INSERT = 500

/** SQL of the raw peer, exported so the report can check it against what prismalchemy sent. */
export const RAW_SQL = {
  getByPk: `${SELECT} WHERE "id" = ?`,
  usersOfRole: `${SELECT} WHERE "roleId" = ?`,
  insertRows: (rows: number) =>
    `INSERT INTO "users" (${INSERT_COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES ${Array.from(
      { length: rows },
      () => `(${INSERT_COLUMNS.map(() => '?').join(', ')})`,
    ).join(', ')} RETURNING "id"`,
  insertOne: `INSERT INTO "users" (${INSERT_COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`,
}

/** The values prismalchemy binds for a new user: its row plus the schema defaults, `now` as Prisma stores it. */
function rowValues(row: NewUserRow, now: string): unknown[] {
  return [row.username, row.email, row.roleId, 'FREE', 1, 0n, 0, 0, null, null, now, now]
}

/**
 * better-sqlite3 used directly: the floor any layer on top of it can reach. Rows are read as
 * objects (the usual way), with safe integers on because `quota` is a BigInt column.
 */
export class RawPeer implements Peer {
  readonly name = 'raw' as const
  private readonly db: Database.Database
  private readonly byPk: Database.Statement
  private readonly byRole: Database.Statement
  private readonly insertOneStatement: Database.Statement
  private readonly insertStatements = new Map<number, Database.Statement>()

  constructor(file: string) {
    this.db = new Database(file)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = NORMAL')
    this.db.pragma('foreign_keys = ON')
    this.byPk = this.db.prepare(RAW_SQL.getByPk).safeIntegers(true)
    this.byRole = this.db.prepare(RAW_SQL.usersOfRole).safeIntegers(true)
    this.insertOneStatement = this.db.prepare(RAW_SQL.insertOne)
  }

  /** `stmt.get(id)` on a cached statement. */
  getByPk(id: number): unknown {
    return this.byPk.get(id)
  }

  /** `stmt.all(roleId)` on a cached statement. */
  usersOfRole(roleId: number): unknown[] {
    return this.byRole.all(roleId)
  }

  /** One `BEGIN IMMEDIATE` transaction of cached multi-row `INSERT ... RETURNING "id"` statements, 500 rows each (prismalchemy's shape). */
  insertUsers(rows: readonly NewUserRow[]): void {
    const now = new Date().toISOString().replace('Z', '+00:00')
    this.db
      .transaction(() => {
        for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
          const chunk = rows.slice(start, start + ROWS_PER_INSERT)
          const values: unknown[] = []
          for (const row of chunk) values.push(...rowValues(row, now))
          this.insertStatement(chunk.length).all(values)
        }
      })
      .immediate()
  }

  /** The other common raw pattern: one cached single-row INSERT per row, in one `BEGIN IMMEDIATE` transaction. */
  insertUsersPerRow(rows: readonly NewUserRow[]): void {
    const now = new Date().toISOString().replace('Z', '+00:00')
    this.db
      .transaction(() => {
        for (const row of rows) this.insertOneStatement.run(rowValues(row, now))
      })
      .immediate()
  }

  describe(): string {
    return `better-sqlite3 ${this.db.pragma('journal_mode', { simple: true })}, synchronous=${this.db.pragma('synchronous', { simple: true })}, one connection, prepared statements cached`
  }

  async close(): Promise<void> {
    this.db.close()
  }

  private insertStatement(rows: number): Database.Statement {
    let statement = this.insertStatements.get(rows)
    if (statement === undefined) {
      statement = this.db.prepare(RAW_SQL.insertRows(rows)).raw(true)
      this.insertStatements.set(rows, statement)
    }
    return statement
  }
}
