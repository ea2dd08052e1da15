/** What every benchmark peer implements: the same four workloads over the same SQLite file. */

/** Names of the peers, in report column order. */
export type PeerName = 'prismalchemy' | 'raw' | 'prisma'

/** One user to insert in workload (d); every other column takes its schema default. */
export interface NewUserRow {
  readonly username: string
  readonly email: string
  readonly roleId: number
}

/** The operations the peers are compared on. Each may be synchronous (raw) or return a promise. */
export interface Peer {
  readonly name: PeerName
  /** (a) Loads one user by primary key (prismalchemy: in a fresh session). Returns the user. */
  getByPk(id: number): unknown
  /** (c) Loads every user of a role (50 rows). Returns them. */
  usersOfRole(roleId: number): unknown
  /** (d) Inserts the rows in one transaction. */
  insertUsers(rows: readonly NewUserRow[]): unknown
  /** Facts printed in the report's setup section (journal mode, batching, ...). */
  describe(): Promise<string> | string
  /** Closes connections. */
  close(): Promise<void>
}
