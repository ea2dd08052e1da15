/** sessionmaker: a configurable factory of sessions, with a `begin()` helper for one unit of work. */
import { Session, type SessionOptions } from './session.js'

/** A session factory made by {@link sessionmaker}. */
export interface SessionFactory {
  /** A new session; `overrides` replace the factory's options for this session only. */
  (overrides?: Partial<SessionOptions>): Session
  /** The options new sessions get. */
  readonly options: Readonly<SessionOptions>
  /** Changes the options of sessions made from now on (SQLAlchemy's `sessionmaker.configure`). */
  configure(options: Partial<SessionOptions>): void
  /**
   * Runs `work` in a new session, commits when it resolves, rolls back when it throws, and
   * always closes the session (SQLAlchemy's `with Session.begin() as session:`).
   */
  begin<R>(work: (session: Session) => R | Promise<R>): Promise<R>
}

/**
 * Creates a session factory bound to an engine.
 *
 * ### Examples
 * ```ts
 * const Session = sessionmaker({ bind: engine })
 * await Session.begin(async (session) => { session.add(new Role({ name: 'admin' })) })
 * ```
 */
export function sessionmaker(options: SessionOptions): SessionFactory {
  let current: SessionOptions = { ...options }
  const factory = ((overrides?: Partial<SessionOptions>) => new Session({ ...current, ...overrides })) as SessionFactory
  Object.defineProperty(factory, 'options', { get: () => current })
  factory.configure = (changes) => {
    current = { ...current, ...changes }
  }
  factory.begin = async (work) => {
    const session = factory()
    try {
      const result = await work(session)
      await session.commit()
      return result
    } finally {
      await session.close()
    }
  }
  return factory
}
