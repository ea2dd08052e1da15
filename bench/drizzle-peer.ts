/** The Drizzle ORM peer on SQLite: drizzle-orm/better-sqlite3 over one connection, its synchronous API, relational queries for eager loading. */
import Database from 'better-sqlite3'
import { and, asc, eq, gte, inArray, lte } from 'drizzle-orm'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import * as schema from './drizzle-schema.js'
import { renamed, type LoadedRole, type NewUserRow, type Peer, type UserSummary } from './peer.js'
import { ROWS_PER_INSERT } from './raw-peer.js'

const { roles, users } = schema

/** A user row as Drizzle returns it. */
type UserRow = typeof users.$inferSelect

/**
 * Drizzle as its documentation shows it for better-sqlite3: `drizzle({ client, schema })`, queries
 * built per call (Drizzle prepares the statement each time unless the code calls `.prepare()`),
 * run with the synchronous `.get()`/`.all()`/`.run()` (the driver is synchronous; `await` gives the
 * same rows a microtask later). Drizzle has no identity map, no lazy loading and no unit of work.
 */
export class DrizzlePeer implements Peer {
  readonly name = 'drizzle' as const
  private readonly sqlite: Database.Database
  private readonly db: BetterSQLite3Database<typeof schema>

  constructor(file: string) {
    this.sqlite = new Database(file)
    this.sqlite.pragma('journal_mode = WAL')
    this.sqlite.pragma('synchronous = NORMAL')
    this.sqlite.pragma('foreign_keys = ON')
    this.db = drizzle({ client: this.sqlite, schema })
  }

  getUser(id: number): UserRow | undefined {
    return this.db.select().from(users).where(eq(users.id, id)).get()
  }

  /** No identity map: the query again, each time. */
  getUserRepeatedly(id: number, times: number): UserRow | undefined {
    let user: UserRow | undefined
    for (let i = 0; i < times; i++) user = this.db.select().from(users).where(eq(users.id, id)).get()
    return user
  }

  usersPage(roleId: number): UserRow[] {
    return this.db.select().from(users).where(eq(users.roleId, roleId)).orderBy(asc(users.username)).limit(50).all()
  }

  /** No lazy loading: the roles, then one query per role. */
  rolesLazy(first: number, last: number): LoadedRole[] {
    const found = this.db.select().from(roles).where(and(gte(roles.id, first), lte(roles.id, last))).orderBy(asc(roles.id)).all()
    return found.map((role) => ({ id: role.id, users: this.db.select().from(users).where(eq(users.roleId, role.id)).all() }))
  }

  /** The relational query `with: { users: true }` (one statement: a JSON subquery per role). */
  rolesSelectin(first: number, last: number): LoadedRole[] {
    return this.rolesWithUsers(first, last)
  }

  /** The same relational query: Drizzle has one eager strategy. */
  rolesJoined(first: number, last: number): LoadedRole[] {
    return this.rolesWithUsers(first, last)
  }

  /** `insert(...).values(...).returning({ id })` per 500 rows (SQLite's variable limit), in one transaction; returns the ids. */
  insertUsers(rows: readonly NewUserRow[]): { id: number }[] {
    return this.db.transaction((tx) => {
      const ids: { id: number }[] = []
      for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
        ids.push(...tx.insert(users).values(rows.slice(start, start + ROWS_PER_INSERT)).returning({ id: users.id }).all())
      }
      return ids
    })
  }

  /** `inArray` for the users, then one `update` per user in one transaction (`updatedAt` set by `$onUpdateFn`). */
  renameUsers(ids: readonly number[], tag: string): UserRow[] {
    const found = this.db.select().from(users).where(inArray(users.id, [...ids])).all()
    this.db.transaction((tx) => {
      for (const user of found) tx.update(users).set({ username: renamed(user.username, tag) }).where(eq(users.id, user.id)).run()
    })
    return found
  }

  /** The role by name, then one insert (no transaction: one statement). */
  addUserToRole(username: string, roleName: string): number {
    const role = this.db.select().from(roles).where(eq(roles.name, roleName)).get()
    if (role === undefined) throw new Error(`No role named ${roleName}`)
    return this.db.insert(users).values({ username, roleId: role.id }).returning({ id: users.id }).get()!.id
  }

  summarize(user: unknown): UserSummary {
    const { id, username, roleId } = user as UserRow
    return { id, username, roleId }
  }

  describe(): string {
    return `drizzle-orm 0.45.4 on better-sqlite3 (synchronous API): ${this.sqlite.pragma('journal_mode', { simple: true })}, synchronous=${this.sqlite.pragma('synchronous', { simple: true })}, one connection`
  }

  async close(): Promise<void> {
    this.sqlite.close()
  }

  private rolesWithUsers(first: number, last: number): LoadedRole[] {
    return this.db.query.roles.findMany({ where: and(gte(roles.id, first), lte(roles.id, last)), orderBy: asc(roles.id), with: { users: true } }).sync()
  }
}
