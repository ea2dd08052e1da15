/** Both sides of a relationship in memory (SQLAlchemy's `back_populates`): to-one assignment and the collection on the other side. */
import { InvalidRequestError } from '../errors.js'
import { CollectionTracker, listenedList } from './collections.js'
import { backReferenceOf, type Relationship } from './mapper.js'
import type { Model } from './model.js'
import { stateOf, type InstanceState } from './state.js'
import { sessionOf } from './session-context.js'

/** Array methods without the tracked list's events: changes made here are the echo of a change on the other side. */
const rawPush = Array.prototype.push
const rawSplice = Array.prototype.splice

/**
 * Keeps the other side in step in memory: the object leaves the previous target's loaded
 * collection and joins the new one's, or takes a one-to-one's place. Collections not loaded yet are
 * left alone (they read the database, after autoflush, when loaded); an owner without a row knows
 * its whole collection, which starts here. The echo cascades nothing into the session: since
 * SQLAlchemy 2.0 a back-reference does not add objects (no `cascade_backrefs`).
 */
export function syncBackReference(owner: InstanceState, relationship: Relationship, previous: unknown, next: unknown): void {
  const back = backReferenceOf(relationship)
  if (back === undefined) return
  const obj = owner.obj
  const previousState = stateOf(previous)
  const nextState = stateOf(next)
  if (back.strategy === 'dynamic') {
    // A dynamic collection is a query; only an owner without a row keeps its members in memory.
    if (previousState?.key === undefined) previousState?.removeUnsavedMember(back.name, obj)
    if (nextState !== undefined && nextState.key === undefined) nextState.addUnsavedMember(back.name, obj)
    return
  }
  if (!back.uselist) {
    if (previousState !== undefined && previousState.related[back.name] === obj) previousState.related[back.name] = null
    if (nextState !== undefined) nextState.related[back.name] = obj
    return
  }
  if (nextState !== undefined && nextState.key === undefined && !(back.name in nextState.related)) {
    nextState.related[back.name] = trackedList(nextState, back, [])
  }
  const before = previousState?.related[back.name]
  if (Array.isArray(before)) {
    const at = before.indexOf(obj)
    if (at >= 0) rawSplice.call(before, at, 1)
  }
  const after = nextState?.related[back.name]
  if (Array.isArray(after) && !after.includes(obj)) rawPush.call(after, obj)
}

/** The object the foreign key points at now, if it is in the identity map (no SQL: SQLAlchemy's PASSIVE_NO_FETCH). */
function currentByKey(state: InstanceState, relationship: Relationship): unknown {
  const session = sessionOf(state)
  if (session === null || !relationship.remoteIsPrimaryKey) return undefined
  const values = relationship.localInKeyOrder.map((column) => state.value(column))
  if (values.some((value) => value === null || value === undefined)) return undefined
  return session.identityMap.get(relationship.mapper, relationship.mapper.identityKey(values))?.obj
}

/**
 * Assigns a to-one relationship. On the foreign-key side the key is written at flush; on the other
 * side of a one-to-one, the assignment moves the foreign-key side of the new and the previous
 * object. `cascade` is false for the echo of a collection change, which adds nothing to the session.
 */
export function assignToOne(state: InstanceState, relationship: Relationship, value: unknown, cascade: boolean): void {
  const name = relationship.name
  if (value !== null && stateOf(value)?.mapper !== relationship.mapper) {
    throw InvalidRequestError.wrongRelatedObject(state.mapper.name, name, relationship.mapper.name)
  }
  if (!relationship.ownsForeignKey) {
    assignOneToOneFromParent(state, relationship, value, cascade)
    return
  }
  const previous = name in state.related ? state.related[name] : currentByKey(state, relationship)
  state.setRelated(name, value, cascade)
  if (previous !== value) syncBackReference(state, relationship, previous, value)
}

/** `user.address = a`, the side without the foreign key: `a.user = user`, and the previous address's `user` cleared. */
function assignOneToOneFromParent(state: InstanceState, relationship: Relationship, value: unknown, cascade: boolean): void {
  const fk = backReferenceOf(relationship)
  if (fk === undefined || !fk.ownsForeignKey) throw InvalidRequestError.relationshipNotAssignable(state.mapper.name, relationship.name)
  const previous = state.related[relationship.name]
  if (previous === value) return
  const previousState = stateOf(previous)
  if (previousState !== undefined && previousState.related[fk.name] === state.obj) previousState.setRelated(fk.name, null, false)
  const next = stateOf(value)
  if (next !== undefined) {
    const former = next.related[fk.name]
    next.setRelated(fk.name, state.obj, false)
    const formerState = stateOf(former)
    if (formerState !== undefined && formerState !== state && formerState.related[relationship.name] === value) formerState.related[relationship.name] = null
  }
  state.related[relationship.name] = value
  // Remembered as assigned, so that adding the owner later adds the object too (save-update cascade).
  if (next !== undefined) (state.changedRelationships ??= new Set()).add(relationship.name)
  if (cascade && next !== undefined && next.session === null && state.session !== null) state.session.add(next.obj)
}

/**
 * A collection list of `owner` whose mutations reach the other side at once, like SQLAlchemy's
 * instrumented lists. The owner's session is looked up at each mutation: an object without a
 * session keeps its list in memory, and its many-to-many links are recorded when it is added.
 * @internal
 */
export function trackedList(owner: InstanceState, relationship: Relationship, items: readonly Model[]): Model[] {
  return listenedList(items, (list, added, removed) => {
    if (added.length > 0 || removed.length > 0) owner.collectionChanged(relationship.name)
    for (const obj of new Set(removed)) memberRemoved(owner, relationship, list, obj)
    for (const obj of new Set(added)) {
      // Already a member before this change (pushed again): nothing changes in the database, but the
      // save-update cascade along the collection still applies.
      if (occurrences(list, obj) > occurrences(added, obj)) cascadeMember(owner, obj)
      else memberAdded(owner, relationship, obj)
    }
  })
}

function occurrences(list: readonly unknown[], obj: unknown): number {
  let count = 0
  for (const item of list) if (item === obj) count++
  return count
}

/** save-update cascade along a collection: a member without a session joins its owner's. */
function cascadeMember(owner: InstanceState, obj: Model): void {
  const target = stateOf(obj)
  if (target !== undefined && target.session === null && owner.session !== null) owner.session.add(obj)
}

function memberAdded(owner: InstanceState, relationship: Relationship, obj: Model): void {
  const target = stateOf(obj)
  if (target === undefined) {
    sessionOf(owner)?.collections.noteInvalidMember(owner, relationship)
    return
  }
  if (relationship.secondary !== undefined) {
    sessionOf(owner)?.collections.link(relationship, owner, target, true)
    const back = backReferenceOf(relationship)
    if (back === undefined) return
    if (back.strategy === 'dynamic') {
      if (target.key === undefined) target.addUnsavedMember(back.name, owner.obj)
      return
    }
    // The other side's list, when loaded (or known: an object without a row), shows the link at once.
    if (target.key === undefined && !(back.name in target.related)) target.related[back.name] = trackedList(target, back, [])
    const theirs = target.related[back.name]
    if (Array.isArray(theirs) && !theirs.includes(owner.obj)) rawPush.call(theirs, owner.obj)
    return
  }
  const back = backReferenceOf(relationship)
  if (back === undefined) return
  assignToOne(target, back, owner.obj, false)
  cascadeMember(owner, obj)
}

function memberRemoved(owner: InstanceState, relationship: Relationship, list: readonly Model[], obj: Model): void {
  const target = stateOf(obj)
  // Still in the list (it was there twice, or a splice put it back): still a member.
  if (target === undefined || list.includes(obj)) return
  // Removed while the owner has no session: remembered, so that adding the owner brings it too (to be orphaned).
  if (owner.session === null) owner.removedMembers = [...(owner.removedMembers ?? []), obj]
  if (relationship.secondary !== undefined) {
    sessionOf(owner)?.collections.link(relationship, owner, target, false)
    const back = backReferenceOf(relationship)
    if (back?.strategy === 'dynamic') {
      if (target.key === undefined) target.removeUnsavedMember(back.name, owner.obj)
      return
    }
    const theirs = back === undefined ? undefined : target.related[back.name]
    if (Array.isArray(theirs)) {
      const at = theirs.indexOf(owner.obj)
      if (at >= 0) rawSplice.call(theirs, at, 1)
    }
    return
  }
  const back = backReferenceOf(relationship)
  // Only if it still points here: it may have been moved to another owner already.
  if (back === undefined || !CollectionTracker.pointsAt(owner, relationship, target)) return
  assignToOne(target, back, null, false)
  // A pending object of the owner's session removed from a delete-orphan collection leaves the session at once, as in SQLAlchemy.
  if (
    target.key === undefined &&
    owner.session !== null &&
    target.session === owner.session &&
    relationship.cascade?.includes('delete-orphan') === true
  ) {
    expungePendingOrphan(target)
  }
}

/** Expunges a pending orphan, and the pending members of its own delete-orphan collections. */
function expungePendingOrphan(state: InstanceState): void {
  const session = sessionOf(state)
  if (session === null || state.key !== undefined) return
  session.expunge(state.obj)
  for (const relationship of state.mapper.relationships.values()) {
    if (!relationship.uselist || relationship.cascade?.includes('delete-orphan') !== true) continue
    const members = (state.related[relationship.name] as Model[] | undefined) ?? state.unsavedMembers?.get(relationship.name) ?? []
    for (const member of members) {
      const child = stateOf(member)
      if (child !== undefined && child.session === session) expungePendingOrphan(child)
    }
  }
}
