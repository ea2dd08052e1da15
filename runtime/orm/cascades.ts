/**
 * Cascades at flush. Before the statements: `@cascade(delete)` deletes the related objects of
 * deleted parents (loading them with one SELECT ... IN (...) per relationship when not loaded),
 * and `delete-orphan` deletes objects removed from their parent. After the statements: what the
 * database's own `onDelete` actions did (ON DELETE CASCADE, SET NULL, SET DEFAULT) is reflected on
 * the objects in the identity map.
 */
import { loadRelated } from '../loading/load-related.js'
import { identityKey } from './identity-key.js'
import type { Mapper, Relationship } from './mapper.js'
import type { Session } from './session.js'
import type { SessionTransaction } from './session-transaction.js'
import { groupByMapper, relatedObjects, stateOf, type InstanceState } from './state.js'

/** What a mapper's relationships ask of a flush, computed once per mapper. */
interface CascadePlan {
  /** Relationships of this mapper whose targets are deleted with it (`@cascade(delete)`). */
  readonly deletes: readonly Relationship[]
  /** Foreign-key relationships of this mapper whose other side declares `delete-orphan`. */
  readonly orphanChecks: readonly Relationship[]
  /** Foreign-key relationships (of any mapper) referencing this one whose database action changes the referencing rows. */
  readonly referencedBy: readonly Relationship[]
}

const plans = new WeakMap<Mapper, CascadePlan>()

function opposite(relationship: Relationship): Relationship | undefined {
  return relationship.backPopulates === undefined ? undefined : relationship.mapper.relationships.get(relationship.backPopulates)
}

function planOf(mapper: Mapper): CascadePlan {
  let plan = plans.get(mapper)
  if (plan === undefined) {
    const relationships = [...mapper.relationships.values()]
    plan = {
      deletes: relationships.filter((relationship) => !relationship.ownsForeignKey && relationship.cascade?.includes('delete')),
      orphanChecks: relationships.filter((relationship) => relationship.ownsForeignKey && opposite(relationship)?.cascade?.includes('delete-orphan')),
      referencedBy: relationships
        .filter((relationship) => !relationship.ownsForeignKey)
        .map(opposite)
        .filter(
          (fk): fk is Relationship =>
            fk !== undefined && fk.ownsForeignKey && (fk.onDelete === 'Cascade' || fk.onDelete === 'SetNull' || fk.onDelete === 'SetDefault'),
        ),
    }
    plans.set(mapper, plan)
  }
  return plan
}


/**
 * Whether `child`, found in `owner`'s collection, still belongs to it: not assigned elsewhere in
 * memory and its foreign key not set to another row directly. A child moved to another parent is
 * moved, not deleted (SQLAlchemy's behaviour).
 */
function stillBelongs(child: InstanceState, fk: Relationship | undefined, owner: InstanceState): boolean {
  if (fk === undefined) return true
  if (child.changedRelationships?.has(fk.name)) return child.related[fk.name] === owner.obj
  return fk.local.every((column, i) => column.equals(child.dict[column.name], owner.storedValue(fk.remote[i].name)))
}

/** The objects `relationship` holds for the deleting `owners`: loaded (one SELECT ... IN for those not loaded yet), plus ones assigned to them in memory. */
async function targetsOf(session: Session, relationship: Relationship, owners: readonly InstanceState[]): Promise<InstanceState[]> {
  const fk = opposite(relationship)
  const unloaded = owners.filter((owner) => !(relationship.name in owner.related))
  if (unloaded.length > 0) await loadRelated(session, relationship, unloaded)
  const targets: InstanceState[] = []
  for (const owner of owners) {
    for (const obj of relatedObjects(owner.related[relationship.name])) {
      const target = stateOf(obj)!
      if (stillBelongs(target, fk, owner)) targets.push(target)
    }
    // A dynamic relationship is a query, never a loaded list: forget what this load kept.
    if (relationship.strategy === 'dynamic') delete owner.related[relationship.name]
  }
  // Assigned to an owner since the last flush (e.g. appended to a dynamic relationship): not in the database yet.
  if (fk !== undefined) {
    const ownerObjects = new Set<unknown>(owners.map((owner) => owner.obj))
    for (const state of [...session.newStates, ...session.dirtyStates]) {
      if (state.mapper === relationship.mapper && state.changedRelationships?.has(fk.name) && ownerObjects.has(state.related[fk.name])) targets.push(state)
    }
  }
  return targets
}

/**
 * Before a flush's statements, synchronously: adds to `session.deletedStates` every persistent
 * object a `delete-orphan` relationship orphaned (its parent side set to null), and expunges
 * pending ones that were removed from such a parent (never inserted).
 * @internal
 */
export function cascadeOrphans(session: Session): void {
  for (const state of [...session.newStates, ...session.dirtyStates]) {
    const changed = state.changedRelationships
    if (changed === null || state.deleted) continue
    const checks = planOf(state.mapper).orphanChecks
    if (checks.length === 0) continue
    // A pending object counts only if it had a parent (appended, then removed), not if it was created without one.
    const orphaned = checks.some(
      (fk) => changed.has(fk.name) && state.related[fk.name] === null && (state.key !== undefined || state.orphanedFrom?.has(fk.name) === true),
    )
    if (!orphaned) continue
    if (state.key === undefined) session.expunge(state.obj)
    else session.deletedStates.add(state)
  }
}

/** True when an object about to be deleted has a `@cascade(delete)` relationship. @internal */
export function needsDeleteCascade(deleting: readonly InstanceState[]): boolean {
  return deleting.some((state) => planOf(state.mapper).deletes.length > 0)
}

/**
 * Before a flush's statements: walks `@cascade(delete)` relationships from the objects being
 * deleted, level by level (one SELECT ... IN (...) per relationship and level for what is not
 * loaded), adds every persistent object reached to `session.deletedStates` and returns them;
 * pending objects reached are expunged instead.
 * @internal
 */
export async function cascadeDeletes(session: Session, deleting: readonly InstanceState[]): Promise<InstanceState[]> {
  const cascaded: InstanceState[] = []
  const seen = new Set(deleting)
  let level: readonly InstanceState[] = deleting
  while (level.length > 0) {
    const next: InstanceState[] = []
    for (const [mapper, owners] of groupByMapper(level)) {
      for (const relationship of planOf(mapper).deletes) {
        for (const target of await targetsOf(session, relationship, owners)) {
          if (seen.has(target)) continue
          seen.add(target)
          if (target.key === undefined) {
            if (target.session === session) session.expunge(target.obj)
          } else if (!target.deleted) {
            session.deletedStates.add(target)
            next.push(target)
          }
        }
      }
    }
    cascaded.push(...next)
    level = next
  }
  return cascaded
}

/** Moves an object whose row the database deleted (ON DELETE CASCADE) to the deleted state, as if this flush had deleted it. */
function markDeleted(session: Session, transaction: SessionTransaction, state: InstanceState): void {
  session.identityMap.remove(state)
  state.deleted = true
  session.deletedStates.delete(state)
  session.dirtyStates.delete(state)
  transaction.deleted.push(state)
}

/**
 * ON DELETE SET NULL / SET DEFAULT: the foreign key in memory takes the value the database wrote,
 * without marking the object modified (rollback restores the old value). A default the client
 * cannot know (`dbgenerated`, ...) expires the column instead.
 */
function resetForeignKey(transaction: SessionTransaction, state: InstanceState, fk: Relationship): void {
  const originals: Record<string, unknown> = {}
  fk.local.forEach((column, i) => {
    const value = fk.onDelete === 'SetNull' ? null : column.constantDefault?.()
    const name = column.name
    if (value === undefined) {
      ;(state.expired ??= new Set()).add(name)
      return
    }
    // An unflushed change to the column stays; the database's new value becomes its original.
    const committed = state.committed
    if (committed !== null && name in committed) {
      originals[name] = committed[name]
      committed[name] = value
    } else {
      originals[name] = state.dict[name]
      state.dict[name] = value
    }
  })
  transaction.rememberOriginals(state, originals)
  if (!state.changedRelationships?.has(fk.name)) {
    if (fk.onDelete === 'SetNull' && fk.name in state.related) state.related[fk.name] = null
    else delete state.related[fk.name]
  }
}

/**
 * After a flush's DELETEs: applies the database's `onDelete` actions to the objects in the
 * identity map that referenced a deleted row (by the foreign key the session last saw). ON DELETE
 * CASCADE moves them to the deleted state (out of the identity map, restored by rollback), and
 * the cascade continues from them; SET NULL and SET DEFAULT change the foreign key in memory.
 * @internal
 */
export function reflectDatabaseDeletes(session: Session, transaction: SessionTransaction, deleted: readonly InstanceState[]): void {
  const gone = new Set(deleted)
  let level = deleted
  while (level.length > 0) {
    const next: InstanceState[] = []
    for (const [mapper, parents] of groupByMapper(level)) {
      for (const fk of planOf(mapper).referencedBy) {
        const keys = new Set(parents.map((parent) => identityKey(fk.remote, fk.remote.map((column) => parent.storedValue(column.name)))))
        for (const child of [...session.identityMap.statesOf(fk.parent)]) {
          if (gone.has(child)) continue
          const values = fk.local.map((column) => child.storedValue(column.name))
          if (values.some((value) => value === null || value === undefined) || !keys.has(identityKey(fk.remote, values))) continue
          if (fk.onDelete === 'Cascade') {
            markDeleted(session, transaction, child)
            gone.add(child)
            next.push(child)
          } else {
            resetForeignKey(transaction, child, fk)
          }
        }
      }
    }
    level = next
  }
}
