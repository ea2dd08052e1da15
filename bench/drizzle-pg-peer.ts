/** The Drizzle ORM peer on PostgreSQL: drizzle-orm/node-postgres over a pg.Pool, relational queries for eager loading. */
import { and, asc, eq, gte, inArray, lte } from 'drizzle-orm'
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import * as schema from './drizzle-pg-schema.js'
import { renamed, type LoadedRole, type NewUserRow, type Peer, type UserSummary } from './peer.js'
import { PG_POOL_MAX } from './postgres-server.js'
import { ROWS_PER_INSERT } from './raw-peer.js'

const { roles, users } = schema

/** A user row as Drizzle returns it. */
type UserRow = typeof users.$inferSelect

/**
 * Drizzle as its documentation shows it for node-postgres: `drizzle({ client: pool, schema })`,
 * queries built and awaited per call (unnamed statements, as the other peers send). Drizzle has no
 * identity map, no lazy loading and no unit of work.
 */
export class DrizzlePgPeer implements Peer {
  readonly name = 'drizzle' as const
  private readonly pool: pg.Pool
  private readonly db: NodePgDatabase<typeof schema>

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: PG_POOL_MAX, options: '-c TimeZone=UTC' })
    this.db = drizzle({ client: this.pool, schema })
  }

  async getUser(id: number): Promise<UserRow | undefined> {
    return (await this.db.select().from(users).where(eq(users.id, id)))[0]
  }

  /** No identity map: the query again, each time. */
  async getUserRepeatedly(id: number, times: number): Promise<UserRow | undefined> {
    let user: UserRow | undefined
    for (let i = 0; i < times; i++) user = (await this.db.select().from(users).where(eq(users.id, id)))[0]
    return user
  }

  usersPage(roleId: number): Promise<UserRow[]> {
    return this.db.select().from(users).where(eq(users.roleId, roleId)).orderBy(asc(users.username)).limit(50)
  }

  /** No lazy loading: the roles, then one query per role. */
  async rolesLazy(first: number, last: number): Promise<LoadedRole[]> {
    const found = await this.db.select().from(roles).where(and(gte(roles.id, first), lte(roles.id, last))).orderBy(asc(roles.id))
    const loaded: LoadedRole[] = []
    for (const role of found) loaded.push({ id: role.id, users: await this.db.select().from(users).where(eq(users.roleId, role.id)) })
    return loaded
  }

  /** The relational query `with: { users: true }` (one statement: a lateral join aggregating each role's users to JSON). */
  rolesSelectin(first: number, last: number): Promise<LoadedRole[]> {
    return this.rolesWithUsers(first, last)
  }

  /** The same relational query: Drizzle has one eager strategy. */
  rolesJoined(first: number, last: number): Promise<LoadedRole[]> {
    return this.rolesWithUsers(first, last)
  }

  /** `insert(...).values(...).returning({ id })` per 500 rows, in one transaction; returns the ids. */
  insertUsers(rows: readonly NewUserRow[]): Promise<{ id: number }[]> {
    return this.db.transaction(async (tx) => {
      const ids: { id: number }[] = []
      for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
        ids.push(...(await tx.insert(users).values(rows.slice(start, start + ROWS_PER_INSERT)).returning({ id: users.id })))
      }
      return ids
    })
  }

  /** `inArray` for the users, then one `update` per user in one transaction (`updatedAt` set by `$onUpdateFn`). */
  async renameUsers(ids: readonly number[], tag: string): Promise<UserRow[]> {
    const found = await this.db.select().from(users).where(inArray(users.id, [...ids]))
    await this.db.transaction(async (tx) => {
      for (const user of found) await tx.update(users).set({ username: renamed(user.username, tag) }).where(eq(users.id, user.id))
    })
    return found
  }

  /** The role by name, then one insert (no transaction: one statement). */
  async addUserToRole(username: string, roleName: string): Promise<number> {
    const [role] = await this.db.select().from(roles).where(eq(roles.name, roleName))
    if (role === undefined) throw new Error(`No role named ${roleName}`)
    const [{ id }] = await this.db.insert(users).values({ username, roleId: role.id }).returning({ id: users.id })
    return id
  }

  summarize(user: unknown): UserSummary {
    const { id, username, roleId } = user as UserRow
    return { id, username, roleId }
  }

  describe(): string {
    return `drizzle-orm 0.45.4 on node-postgres: pg.Pool (max ${PG_POOL_MAX}), unnamed statements`
  }

  close(): Promise<void> {
    return this.pool.end()
  }

  private rolesWithUsers(first: number, last: number): Promise<LoadedRole[]> {
    return this.db.query.roles.findMany({ where: and(gte(roles.id, first), lte(roles.id, last)), orderBy: asc(roles.id), with: { users: true } })
  }
}
