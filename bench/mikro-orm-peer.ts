/** The MikroORM peer: an EntityManager fork per operation (a fresh identity map), `Collection.loadItems()` for lazy loading, populate with the select-in or joined strategy, `RequestContext` per request. */
import { RequestContext, type MikroORM } from '@mikro-orm/core'
import type { BenchDb } from './db-option.js'
import { mikroOrmEntities, Role, User } from './mikro-orm-entities.js'
import { renamed, type LoadedRole, type NewUserRow, type Peer, type UserSummary } from './peer.js'
import { PG_POOL_MAX } from './postgres-server.js'

/** MikroORM 6 with its better-sqlite or postgresql driver, as its documentation shows it. */
export class MikroOrmPeer implements Peer {
  readonly name = 'mikro-orm' as const

  private constructor(
    private readonly orm: MikroORM,
    private readonly db: BenchDb,
  ) {}

  /**
   * `MikroORM.init` with the driver package for `db` (imported here, so a run loads one driver).
   * SQLite: the file at `file` (already WAL), `synchronous=NORMAL` like the other peers; PostgreSQL:
   * a pool as large as the other peers'.
   */
  static async open(db: BenchDb, where: { url: string; file?: string }): Promise<MikroOrmPeer> {
    const entities = mikroOrmEntities(db)
    if (db === 'sqlite') {
      const { MikroORM } = await import('@mikro-orm/better-sqlite')
      const orm = await MikroORM.init({ entities, dbName: where.file!, debug: false })
      await orm.em.getConnection().execute('PRAGMA synchronous = NORMAL')
      return new MikroOrmPeer(orm, db)
    }
    const { MikroORM } = await import('@mikro-orm/postgresql')
    const orm = await MikroORM.init({ entities, clientUrl: where.url, debug: false, pool: { min: 0, max: PG_POOL_MAX } })
    return new MikroOrmPeer(orm, db)
  }

  /** `em.fork()` (a fresh identity map, MikroORM's unit of work per request), `findOne` by primary key. */
  getUser(id: number): Promise<User | null> {
    return this.orm.em.fork().findOne(User, id)
  }

  /** `findOne` in one fork: a query, then identity-map hits. */
  async getUserRepeatedly(id: number, times: number): Promise<User | null> {
    const em = this.orm.em.fork()
    let user: User | null = null
    for (let i = 0; i < times; i++) user = await em.findOne(User, id)
    return user
  }

  usersPage(roleId: number): Promise<User[]> {
    return this.orm.em.fork().find(User, { role: roleId }, { orderBy: { username: 'asc' }, limit: 50 })
  }

  /** The roles, then `role.users.loadItems()` per role (one query each). */
  async rolesLazy(first: number, last: number): Promise<LoadedRole[]> {
    const em = this.orm.em.fork()
    const roles = await em.find(Role, { id: { $gte: first, $lte: last } }, { orderBy: { id: 'asc' } })
    const loaded: LoadedRole[] = []
    for (const role of roles) loaded.push({ id: role.id, users: await role.users.loadItems() })
    return loaded
  }

  rolesSelectin(first: number, last: number): Promise<LoadedRole[]> {
    return this.populated(first, last, 'select-in')
  }

  rolesJoined(first: number, last: number): Promise<LoadedRole[]> {
    return this.populated(first, last, 'joined')
  }

  /** `em.create` per row, one `em.flush()` (batched inserts in one transaction). */
  async insertUsers(rows: readonly NewUserRow[]): Promise<User[]> {
    const em = this.orm.em.fork()
    const users = rows.map((row) => em.create(User, { username: row.username, email: row.email, role: row.roleId }))
    await em.flush()
    return users
  }

  /** `find` with `$in`, a new name on each entity, one `em.flush()` (changes computed by the unit of work). */
  async renameUsers(ids: readonly number[], tag: string): Promise<User[]> {
    const em = this.orm.em.fork()
    const users = await em.find(User, { id: { $in: [...ids] } })
    for (const user of users) user.username = renamed(user.username, tag)
    await em.flush()
    return users
  }

  /** `RequestContext.create` (what MikroORM's middleware does per request), then the global `orm.em`, which resolves to the request's fork. */
  addUserToRole(username: string, roleName: string): Promise<number> {
    return RequestContext.create(this.orm.em, async () => {
      const em = this.orm.em
      const role = await em.findOneOrFail(Role, { name: roleName })
      const user = em.create(User, { username, role })
      await em.flush()
      return user.id
    })
  }

  summarize(user: unknown): UserSummary {
    const { id, username, role } = user as User
    return { id, username, roleId: role?.id ?? null }
  }

  describe(): string {
    return this.db === 'sqlite'
      ? 'MikroORM 6.6.16, @mikro-orm/better-sqlite (knex, one connection), synchronous=NORMAL; EntitySchema entities'
      : `MikroORM 6.6.16, @mikro-orm/postgresql (knex, pg pool max ${PG_POOL_MAX}); EntitySchema entities`
  }

  close(): Promise<void> {
    return this.orm.close(true)
  }

  /** The roles with `populate: ['users']` and the given strategy. */
  private async populated(first: number, last: number, strategy: 'select-in' | 'joined'): Promise<LoadedRole[]> {
    const em = this.orm.em.fork()
    const roles = await em.find(Role, { id: { $gte: first, $lte: last } }, { orderBy: { id: 'asc' }, populate: ['users'], strategy })
    return roles.map((role) => ({ id: role.id, users: role.users.getItems() }))
  }
}
