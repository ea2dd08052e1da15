/** The prismalchemy peer: fresh sessions over one engine, plus a long-lived session for the identity-map workload. */
import { createEngine, Session, type Engine, type EngineOptions } from 'prismalchemy'
import { User } from '../generated/models.js'
import type { NewUserRow, Peer } from './peer.js'

/** A session kept open with users loaded, for workload (b). */
export interface WarmSession {
  /** `session.get(User, id)`; answered from the identity map when the user is loaded. */
  get(id: number): Promise<User | null>
  /** Closes the session. */
  close(): Promise<void>
}

/** prismalchemy through its public API, as an application would use it. */
export class PrismalchemyPeer implements Peer {
  readonly name = 'prismalchemy' as const
  /** The engine every session binds to (default pool; on SQLite: WAL, statement cache). */
  readonly engine: Engine

  private readonly prepared: boolean

  constructor(url: string, options: EngineOptions = {}) {
    this.engine = createEngine(url, options)
    this.prepared = options.preparedStatements === true
  }

  /** `new Session(...)`, `get`, `close`: the per-request pattern. */
  async getByPk(id: number): Promise<User | null> {
    const session = new Session({ bind: this.engine })
    const user = await session.get(User, id)
    await session.close()
    return user
  }

  /** A fresh session per query, so every row is hydrated into a new object. */
  async usersOfRole(roleId: number): Promise<User[]> {
    const session = new Session({ bind: this.engine })
    const users = await session.query(User).filterBy({ roleId }).all()
    await session.close()
    return users
  }

  /** Adds new User objects and commits: one unit of work, batched multi-row INSERT ... RETURNING. */
  async insertUsers(rows: readonly NewUserRow[]): Promise<void> {
    const session = new Session({ bind: this.engine })
    for (const row of rows) session.add(new User(row))
    await session.commit()
    await session.close()
  }

  /** Opens a session and loads every user into its identity map (one query); the session stays open. */
  async warmSession(): Promise<WarmSession> {
    const session = new Session({ bind: this.engine })
    await session.query(User).all()
    return {
      get: (id) => session.get(User, id),
      close: () => session.close(),
    }
  }

  /** Runs `fn` and returns the SQL statements it sent (through `engine.onStatement`). */
  async capture(fn: () => Promise<unknown>): Promise<string[]> {
    const statements: string[] = []
    const stop = this.engine.onStatement((statement) => statements.push(statement.sql))
    try {
      await fn()
    } finally {
      stop()
    }
    return statements
  }

  describe(): string {
    if (this.engine.dialect.name === 'postgresql') {
      const prepared = this.prepared ? ', preparedStatements: true (named, server-side prepared)' : ', unnamed statements'
      return `createEngine(url): @prisma/adapter-pg over a pg.Pool (max 5+10)${prepared}; reads before a write in autocommit, writes in BEGIN ... COMMIT`
    }
    return 'createEngine(url) defaults: better-sqlite3, WAL, synchronous=NORMAL, statement cache, pool of 5+10'
  }

  close(): Promise<void> {
    return this.engine.dispose()
  }
}
