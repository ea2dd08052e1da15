/** The listener registry behind `listen()`: listeners by target and event, and their dispatch during flushes and commits. */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Model } from './model.js'

/** Every session event, in the order a session's life meets them (see `SessionEvents` in events.ts). */
export const SESSION_EVENT_NAMES = ['beforeFlush', 'afterFlush', 'beforeCommit', 'afterCommit', 'afterRollback'] as const
/** Every model event (see `ModelEvents` in events.ts). */
export const MODEL_EVENT_NAMES = ['beforeInsert', 'afterInsert', 'beforeUpdate', 'afterUpdate', 'beforeDelete', 'afterDelete'] as const

/** A session event's name. */
export type SessionEventName = (typeof SESSION_EVENT_NAMES)[number]
/** A model event's name. */
export type ModelEventName = (typeof MODEL_EVENT_NAMES)[number]

/** A registered listener, whatever its event's signature. */
export type Listener = (...args: never[]) => unknown

/** A session event's listener as dispatch calls it. */
type SessionListener = (session: object) => unknown
/** A model event's listener as dispatch calls it. */
type ModelListener = (obj: Model, session: object) => unknown

/** The session whose flush is running listeners in this async context: its queries skip autoflush (SQLAlchemy's rule). */
const flushingSession = new AsyncLocalStorage<object>()

/** Listeners by target (a session, the Session class, a model class), then by event name. */
const registry = new WeakMap<object, Map<string, Listener[]>>()
/** How many listeners exist at all: dispatch costs one comparison while there are none. */
let listenerCount = 0

/** Registers `listener` for `event` on `target` (names already checked), and returns a function that removes it. @internal */
export function addListener(target: object, event: string, listener: Listener): () => void {
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
export function sessionListens(session: object, event: SessionEventName): boolean {
  return listenerCount > 0 && (listenersOf(session.constructor, event).length > 0 || listenersOf(session, event).length > 0)
}

/** Runs `work` (listeners called by a flush) in `session`'s flush context; see {@link isFlushing}. @internal */
export function duringFlush<R>(session: object, work: () => Promise<R>): Promise<R> {
  return flushingSession.run(session, work)
}

/** True when the caller runs inside a listener of `session`'s flush: its queries must not autoflush (the flush waits for them). @internal */
export function isFlushing(session: object): boolean {
  return listenerCount > 0 && flushingSession.getStore() === session
}

/** The listeners of `event` registered on `target` itself. */
function listenersOf(target: object, event: string): readonly Listener[] {
  return registry.get(target)?.get(event) ?? []
}

/** Calls a session event's listeners: first those on the Session class, then those on the session. @internal */
export async function dispatchSessionEvent(session: object, event: SessionEventName): Promise<void> {
  if (listenerCount === 0) return
  const listeners = [...listenersOf(session.constructor, event), ...listenersOf(session, event)]
  for (const listener of listeners) await (listener as SessionListener)(session)
}

/** True when `modelClass` has listeners for `event`. @internal */
export function hasModelListeners(modelClass: object, event: ModelEventName): boolean {
  return listenerCount > 0 && listenersOf(modelClass, event).length > 0
}

/**
 * Calls a model event's listeners for each object, in order, in the flush's context. `session` is the
 * flushing session (the unit of work's flush context is the session itself), which listeners receive. @internal
 */
export async function dispatchModelEvent(modelClass: object, event: ModelEventName, objects: readonly Model[], session: object): Promise<void> {
  const listeners = listenersOf(modelClass, event)
  await duringFlush(session, async () => {
    for (const obj of objects) for (const listener of listeners) await (listener as ModelListener)(obj, session)
  })
}
