/** What every benchmark peer implements: the workloads of `npm run bench`, over the same tables and rows. */

/** Names of the peers, in report column order. */
export const PEER_NAMES = ['prismalchemy', 'drizzle', 'mikro-orm', 'prisma', 'raw'] as const

/** One of {@link PEER_NAMES}. */
export type PeerName = (typeof PEER_NAMES)[number]

/** One user to insert; every other column takes its schema default. */
export interface NewUserRow {
  readonly username: string
  readonly email: string
  readonly roleId: number
}

/** A role with its users, as the loading workloads return it (the users in the peer's own form). */
export interface LoadedRole {
  readonly id: number
  readonly users: readonly unknown[]
}

/** The columns the verification pass compares between peers: every peer must return the same rows. */
export interface UserSummary {
  readonly id: number
  readonly username: string
  readonly roleId: number | null
}

/** A value, or a promise of it: better-sqlite3-based peers answer synchronously. */
export type MaybePromise<T> = T | Promise<T>

/**
 * The operations the peers are compared on, each written the way the peer's documentation
 * recommends. "Session" means the peer's unit of work (a prismalchemy Session, a MikroORM fork);
 * peers without one just query.
 */
export interface Peer {
  readonly name: PeerName
  /** (a) One user by primary key, in a fresh session. */
  getUser(id: number): MaybePromise<unknown>
  /** (b) The same user `times` times in one session (an identity-map hit after the first, where the peer has one); returns the last. */
  getUserRepeatedly(id: number, times: number): MaybePromise<unknown>
  /** (c) A role's users ordered by username, the first 50. */
  usersPage(roleId: number): MaybePromise<readonly unknown[]>
  /** (d) Roles `first..last` by id, then each role's users loaded lazily, one role after the other. */
  rolesLazy(first: number, last: number): MaybePromise<readonly LoadedRole[]>
  /** (e) The same, eager: the users in a second statement (select-in) where the peer has that strategy. */
  rolesSelectin(first: number, last: number): MaybePromise<readonly LoadedRole[]>
  /** (f) The same, eager in one statement (a join); undefined when the peer has no such strategy. */
  readonly rolesJoined?: (first: number, last: number) => MaybePromise<readonly LoadedRole[]>
  /** (g) Inserts the rows in one transaction; returns what the peer gives back (objects with ids, or ids). */
  insertUsers(rows: readonly NewUserRow[]): MaybePromise<readonly unknown[]>
  /** (h) Loads the users `ids` and renames each to `<name before any dot>.<tag>`, in one commit; returns them. */
  renameUsers(ids: readonly number[], tag: string): MaybePromise<readonly unknown[]>
  /** (i) One request: (in a request scope) the role named `roleName`, a new user `username` in it, commit; returns the new id. */
  addUserToRole(username: string, roleName: string): MaybePromise<number>
  /** The compared columns of a user as this peer returns it. */
  summarize(user: unknown): UserSummary
  /** Facts printed in the report's setup section (journal mode, pool, statements, ...). */
  describe(): MaybePromise<string>
  /** Closes connections. */
  close(): Promise<void>
}

/** The name a user gets in (h): what comes before the first dot of its current name, then `.tag` (always a change, never a clash). */
export function renamed(username: string, tag: string): string {
  const dot = username.indexOf('.')
  return `${dot < 0 ? username : username.slice(0, dot)}.${tag}`
}
