/** Events: SQLAlchemy's most used session and mapper events, typed, registered with `listen()`. */
import { AsyncLocalStorage } from 'node:async_hooks'
import { InvalidRequestError } from '../errors.js'
import { MAPPER, type Model, type ModelClass } from './model.js'
import type { Session } from './session.js'

/** Session events and their listeners' signatures. Listeners may be async: the session awaits them in order. */
export interface SessionEvents {
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
export interface ModelEvents<T extends Model = Model> {
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

/** The name of a session event. */
export type SessionEventName = keyof SessionEvents
/** The name of a model event. */
export type ModelEventName = keyof ModelEvents

type Listener = (...args: never[]) => unknown

/** Every event name `listen()` accepts. */
const SESSION_EVENTS: ReadonlySet<string> = new Set(['beforeFlush', 'afterFlush', 'beforeCommit', 'afterCommit', 'afterRollback'])
const MODEL_EVENTS: ReadonlySet<string> = new Set(['beforeInsert', 'afterInsert', 'beforeUpdate', 'afterUpdate', 'beforeDelete', 'afterDelete'])

/** The session whose flush is running listeners in this async context: its queries skip autoflush (SQLAlchemy's rule). */
const flushingSession = new AsyncLocalStorage<Session>()

/** Listeners by target (a session, the Session class, a model class), then by event name. */
const registry = new WeakMap<object, Map<string, Listener[]>>()
/** How many listeners exist at all: dispatch costs one comparison while there are none. */
let listenerCount = 0

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
    throw InvalidRequestError.badArgument(`No such event "${event}" for ${isModel ? 'a model class' : 'a session'}; known events: ${[...known].join(', ')}.`)
  }
  let byName = registry.get(target)
  if (byName === undefined) registry.set(target, (byName = new Map()))
  const list = byName.get(event) ?? []
  byName.set(event, [...list, listener])
  listenerCount++
  let removed = false
  return () => {
    if (removed) return
    removed = true
    listenerCount--
    const current = byName.get(event) ?? []
    const at = current.indexOf(listener)
    if (at >= 0) byName.set(event, [...current.slice(0, at), ...current.slice(at + 1)])
  }
}

/** True when any listener is registered (a cheap check before building arguments). @internal */
export function hasListeners(): boolean {
  return listenerCount > 0
}

/** True when `session` (or every session) has listeners for `event`: checked synchronously, so a flush without them never awaits. @internal */
export function sessionListens(session: Session, event: SessionEventName): boolean {
  return listenerCount > 0 && (listenersOf(session.constructor, event).length > 0 || listenersOf(session, event).length > 0)
}

/** Runs `work` (listeners called by a flush) in `session`'s flush context; see {@link isFlushing}. @internal */
export function duringFlush<R>(session: Session, work: () => Promise<R>): Promise<R> {
  return flushingSession.run(session, work)
}

/** True when the caller runs inside a listener of `session`'s flush: its queries must not autoflush (the flush waits for them). @internal */
export function isFlushing(session: Session): boolean {
  return listenerCount > 0 && flushingSession.getStore() === session
}

function listenersOf(target: object, event: string): readonly Listener[] {
  return registry.get(target)?.get(event) ?? []
}

/** Calls a session event's listeners: first those on the Session class, then those on the session. @internal */
export async function dispatchSessionEvent(session: Session, event: SessionEventName): Promise<void> {
  if (listenerCount === 0) return
  const listeners = [...listenersOf(session.constructor, event), ...listenersOf(session, event)]
  for (const listener of listeners) await (listener as SessionEvents[typeof event])(session)
}

/** True when `modelClass` has listeners for `event`. @internal */
export function hasModelListeners(modelClass: object, event: ModelEventName): boolean {
  return listenerCount > 0 && listenersOf(modelClass, event).length > 0
}

/** Calls a model event's listeners for each object, in order, in the flush's context. @internal */
export async function dispatchModelEvent(modelClass: object, event: ModelEventName, objects: readonly Model[], session: Session): Promise<void> {
  const listeners = listenersOf(modelClass, event)
  await duringFlush(session, async () => {
    for (const obj of objects) for (const listener of listeners) await (listener as ModelEvents[typeof event])(obj, session)
  })
}
