/** The prismalchemy peer: a fresh Session per operation over one engine, the generated models (and their `@lazy(select)` variant for the loading workloads), `db.scope` for requests. */
import { createEngine, joinedload, selectinload, Session, type Engine, type EngineOptions } from 'prismalchemy'
import { db } from '../generated/db.js'
import { Role, User } from '../generated/models.js'
import { lazyUsers, type LazyModels } from './lazy-models.js'
import { renamed, type LoadedRole, type NewUserRow, type Peer, type UserSummary } from './peer.js'

/** prismalchemy through its public API, as an application would use it. */
export class PrismalchemyPeer implements Peer {
  readonly name = 'prismalchemy' as const
  /** The engine every session binds to (default pool; on SQLite: WAL, statement cache). */
  readonly engine: Engine
  private readonly prepared: boolean
  /** `singleStatementCommits` as given: undefined for the engine's default. */
  private readonly singleStatementCommits: boolean | undefined

  /**
   * @param lazy The `@lazy(select)` variant of the models, needed by the loading workloads (d, e, f) only.
   */
  constructor(
    url: string,
    options: EngineOptions = {},
    private readonly lazy?: LazyModels,
  ) {
    this.engine = createEngine(url, options)
    this.prepared = options.preparedStatements === true
    this.singleStatementCommits = options.singleStatementCommits
    db.configure({ url, ...options })
  }

  /** `new Session(...)`, `get`, `close`: the per-request pattern. */
  async getUser(id: number): Promise<User | null> {
    const session = new Session({ bind: this.engine })
    try {
      return await session.get(User, id)
    } finally {
      await session.close()
    }
  }

  /** `session.get` `times` times: one SELECT, then identity-map hits. */
  async getUserRepeatedly(id: number, times: number): Promise<User | null> {
    const session = new Session({ bind: this.engine })
    try {
      let user: User | null = null
      for (let i = 0; i < times; i++) user = await session.get(User, id)
      return user
    } finally {
      await session.close()
    }
  }

  async usersPage(roleId: number): Promise<User[]> {
    const session = new Session({ bind: this.engine })
    try {
      return await session.query(User).filterBy({ roleId }).orderBy('username').limit(50).all()
    } finally {
      await session.close()
    }
  }

  /** `@lazy(select)`: `await role.users` per role, one after the other (one SELECT each). */
  rolesLazy(first: number, last: number): Promise<LoadedRole[]> {
    return this.loadRoles(first, last)
  }

  rolesSelectin(first: number, last: number): Promise<LoadedRole[]> {
    return this.loadRoles(first, last, selectinload('users'))
  }

  rolesJoined(first: number, last: number): Promise<LoadedRole[]> {
    return this.loadRoles(first, last, joinedload('users'))
  }

  /** Adds new User objects and commits: one unit of work, batched multi-row INSERT ... RETURNING. */
  async insertUsers(rows: readonly NewUserRow[]): Promise<User[]> {
    const session = new Session({ bind: this.engine })
    try {
      const users = rows.map((row) => new User(row))
      session.addAll(users)
      await session.commit()
      return users
    } finally {
      await session.close()
    }
  }

  /** One query for the users, a new name on each object, one commit (the unit of work writes the changed column). */
  async renameUsers(ids: readonly number[], tag: string): Promise<User[]> {
    const session = new Session({ bind: this.engine })
    try {
      const users = await session.query(User).where({ id: { in: [...ids] } }).all()
      for (const user of users) user.username = renamed(user.username, tag)
      await session.commit()
      return users
    } finally {
      await session.close()
    }
  }

  /** `db.scope` (what the web middlewares open per request), `db.session` inside it. */
  addUserToRole(username: string, roleName: string): Promise<number> {
    return db.scope(async () => {
      const role = await db.session.query(Role).filterBy({ name: roleName }).one()
      const user = new User({ username, role })
      db.session.add(user)
      await db.session.commit()
      return user.id
    })
  }

  summarize(user: unknown): UserSummary {
    const { id, username, roleId } = user as User
    return { id, username, roleId }
  }

  /** Untimed: runs `fn` and returns the SQL statements it sent, on the peer's engine and on `db`'s. */
  async capture(fn: () => Promise<unknown>): Promise<string[]> {
    const statements: string[] = []
    const stops = [this.engine, db.engine].map((engine) => engine.onStatement((statement) => statements.push(statement.sql)))
    try {
      await fn()
    } finally {
      for (const stop of stops) stop()
    }
    return statements
  }

  describe(): string {
    if (this.engine.dialect.name === 'postgresql') {
      const writes =
        this.singleStatementCommits === undefined
          ? 'a commit of one statement sends it alone when the pooled connection it gets answered within 5 s (singleStatementCommits by default), other writes in'
          : this.singleStatementCommits
            ? 'singleStatementCommits: true (a commit of one statement always sends it alone, in autocommit), other writes in'
            : 'singleStatementCommits: false, writes in'
      const prepared = this.prepared ? ', preparedStatements: true (named, server-side prepared)' : ', unnamed statements'
      return `createEngine(url): @prisma/adapter-pg over a pg.Pool (max 5+10)${prepared}; reads before a write in autocommit, ${writes} BEGIN ... COMMIT`
    }
    const commits = this.engine.singleStatementCommits ? 'a commit of one statement sends it alone (singleStatementCommits, on by default on SQLite), other writes in' : 'singleStatementCommits: false, writes in'
    return `createEngine(url) defaults: better-sqlite3, WAL, synchronous=NORMAL, statement cache, pool of 5+10; ${commits} BEGIN IMMEDIATE ... COMMIT`
  }

  async close(): Promise<void> {
    await this.engine.dispose()
    await db.dispose()
  }

  /** Roles `first..last` in a fresh session, with `option` (none: the relationship's own `@lazy(select)`), then each role's users awaited in turn. */
  private async loadRoles(first: number, last: number, option?: ReturnType<typeof selectinload>): Promise<LoadedRole[]> {
    if (this.lazy === undefined) throw new Error('PrismalchemyPeer: the loading workloads need the @lazy(select) models (bench/lazy-models.ts)')
    const session = new Session({ bind: this.engine })
    try {
      const query = session.query(this.lazy.Role).where({ id: { gte: first, lte: last } }).orderBy('id')
      const roles = await (option === undefined ? query : query.options(option)).all()
      const loaded: LoadedRole[] = []
      for (const role of roles) loaded.push({ id: role.id, users: await lazyUsers(role) })
      return loaded
    } finally {
      await session.close()
    }
  }
}
