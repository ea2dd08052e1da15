/** Events: SQLAlchemy's most used session and mapper events, typed, registered with `listen()`. */
import { InvalidRequestError } from '../errors.js'
import { addListener, MODEL_EVENT_NAMES, SESSION_EVENT_NAMES, type Listener, type ModelEventName, type SessionEventName } from './event-registry.js'
import { MAPPER, type Model, type ModelClass } from './model.js'
import type { Session } from './session.js'

/** Session events and their listeners' signatures. Listeners may be async: the session awaits them in order. */
export interface SessionEvents extends Record<SessionEventName, (session: Session) => void | Promise<void>> {
  /** Before a flush computes what to write: objects added or changed here are written by this flush. */
  beforeFlush: (session: Session) => void | Promise<void>
  /** After a flush's statements ran and objects moved to their new states (SQLAlchemy's `after_flush_postexec`). */
  afterFlush: (session: Session) => void | Promise<void>
  /** When commit() starts, before its final flush (Flask-SQLAlchemy's `before_models_committed` hooks here). */
  beforeCommit: (session: Session) => void | Promise<void>
  /** After the database transaction committed. */
  afterCommit: (session: Session) => void | Promise<void>
  /** After the database transaction was rolled back (by `rollback()`, `close()` or a failed flush). */
  afterRollback: (session: Session) => void | Promise<void>
}

/** Per-model events, called during a flush with the object and its session. */
export interface ModelEvents<T extends Model = Model> extends Record<ModelEventName, (obj: T, session: Session) => void | Promise<void>> {
  /** Before the object's INSERT: set audit columns here. */
  beforeInsert: (obj: T, session: Session) => void | Promise<void>
  /** After the object's INSERT; generated keys are set. */
  afterInsert: (obj: T, session: Session) => void | Promise<void>
  /** Before the UPDATE of an object marked dirty (also when no column changed in the end, as in SQLAlchemy). */
  beforeUpdate: (obj: T, session: Session) => void | Promise<void>
  /** After the object's UPDATE ran. */
  afterUpdate: (obj: T, session: Session) => void | Promise<void>
  /** Before the object's DELETE. */
  beforeDelete: (obj: T, session: Session) => void | Promise<void>
  /** After the object's DELETE ran. */
  afterDelete: (obj: T, session: Session) => void | Promise<void>
}

export type { ModelEventName, SessionEventName } from './event-registry.js'

/** Every event name `listen()` accepts. */
const SESSION_EVENTS: ReadonlySet<string> = new Set(SESSION_EVENT_NAMES)
const MODEL_EVENTS: ReadonlySet<string> = new Set(MODEL_EVENT_NAMES)

/**
 * Registers `listener` for `event` on `target`, and returns a function that removes it.
 *
 * - a session instance, or the `Session` class (every session): `beforeFlush`, `afterFlush`,
 *   `beforeCommit`, `afterCommit`, `afterRollback`;
 * - a model class: `beforeInsert`, `afterInsert`, `beforeUpdate`, `afterUpdate`, `beforeDelete`,
 *   `afterDelete`, called with each object of that model a flush writes.
 *
 * ### Examples
 * ```ts
 * listen(User, 'beforeUpdate', (user) => { user.updatedBy = currentUser() })
 * listen(Session, 'afterCommit', (session) => cache.clear())
 * ```
 */
export function listen<E extends SessionEventName>(target: Session | (abstract new (...args: never[]) => Session), event: E, listener: SessionEvents[E]): () => void
export function listen<T extends Model, E extends ModelEventName>(target: ModelClass<T>, event: E, listener: ModelEvents<T>[E]): () => void
export function listen(target: object, event: string, listener: Listener): () => void {
  // A model class carries its mapper under a symbol; anything else is a session or the Session class.
  const isModel = MAPPER in target
  const known = isModel ? MODEL_EVENTS : SESSION_EVENTS
  if (!known.has(event)) {
    throw InvalidRequestError.unknownEvent(event, isModel ? 'a model class' : 'a session', known)
  }
  return addListener(target, event, listener)
}
