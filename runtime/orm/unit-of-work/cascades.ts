/**
 * Delete cascades at flush, before the statements: `@cascade(delete)` deletes the related objects
 * of deleted parents (loading them with one SELECT ... IN (...) per relationship when not loaded),
 * and `delete-orphan` deletes objects removed from their parent. Also says which foreign keys the
 * database's own `onDelete` actions change (see `flush-transitions.ts`).
 */
import { loadRelated } from '../../loading/load-related.js'
import { backReferenceOf, type Mapper, type Relationship } from '../mapper.js'
import type { FlushContext } from '../session-context.js'
import { groupByMapper, relatedObjects, stateOf, type InstanceState } from '../state.js'

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

function planOf(mapper: Mapper): CascadePlan {
  let plan = plans.get(mapper)
  if (plan === undefined) {
    const relationships = [...mapper.relationships.values()]
    plan = {
      deletes: relationships.filter((relationship) => !relationship.ownsForeignKey && relationship.cascade?.includes('delete')),
      orphanChecks: relationships.filter((relationship) => relationship.ownsForeignKey && backReferenceOf(relationship)?.cascade?.includes('delete-orphan')),
      referencedBy: relationships
        .filter((relationship) => !relationship.ownsForeignKey)
        .map(backReferenceOf)
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
  return fk.local.every((column, i) => column.equals(child.value(column), owner.storedValue(fk.remote[i].name)))
}

/** The objects `relationship` holds for the deleting `owners`: loaded (one SELECT ... IN for those not loaded yet), plus ones assigned to them in memory. */
async function targetsOf(ctx: FlushContext, relationship: Relationship, owners: readonly InstanceState[]): Promise<InstanceState[]> {
  const fk = backReferenceOf(relationship)
  const unloaded = owners.filter((owner) => !(relationship.name in owner.related))
  if (unloaded.length > 0) await loadRelated(ctx, relationship, unloaded)
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
    for (const state of [...ctx.newStates, ...ctx.dirtyStates]) {
      if (state.mapper === relationship.mapper && state.changedRelationships?.has(fk.name) && ownerObjects.has(state.related[fk.name])) targets.push(state)
    }
  }
  return targets
}

/**
 * Before a flush's statements, synchronously: adds to `ctx.deletedStates` every persistent
 * object a `delete-orphan` relationship orphaned (its parent side set to null), and expunges
 * pending ones that were removed from such a parent (never inserted).
 * @internal
 */
export function cascadeOrphans(ctx: FlushContext): void {
  for (const state of [...ctx.newStates, ...ctx.dirtyStates]) {
    const changed = state.changedRelationships
    if (changed === null || state.deleted) continue
    const checks = planOf(state.mapper).orphanChecks
    if (checks.length === 0) continue
    // A pending object counts only if it had a parent (appended, then removed), not if it was created without one.
    const orphaned = checks.some(
      (fk) => changed.has(fk.name) && state.related[fk.name] === null && (state.key !== undefined || state.orphanedFrom?.has(fk.name) === true),
    )
    if (!orphaned) continue
    if (state.key === undefined) ctx.expunge(state.obj)
    else ctx.deletedStates.add(state)
  }
}

/** True when an object about to be deleted has a `@cascade(delete)` relationship. @internal */
export function needsDeleteCascade(deleting: readonly InstanceState[]): boolean {
  return deleting.some((state) => planOf(state.mapper).deletes.length > 0)
}

/**
 * Before a flush's statements: walks `@cascade(delete)` relationships from the objects being
 * deleted, level by level (one SELECT ... IN (...) per relationship and level for what is not
 * loaded), adds every persistent object reached to `ctx.deletedStates` and returns them;
 * pending objects reached are expunged instead.
 * @internal
 */
export async function cascadeDeletes(ctx: FlushContext, deleting: readonly InstanceState[]): Promise<InstanceState[]> {
  const cascaded: InstanceState[] = []
  const seen = new Set(deleting)
  let level: readonly InstanceState[] = deleting
  while (level.length > 0) {
    const next: InstanceState[] = []
    for (const [mapper, owners] of groupByMapper(level)) {
      for (const relationship of planOf(mapper).deletes) {
        for (const target of await targetsOf(ctx, relationship, owners)) {
          if (seen.has(target)) continue
          seen.add(target)
          if (target.key === undefined) {
            if (target.session === ctx) ctx.expunge(target.obj)
          } else if (!target.deleted) {
            ctx.deletedStates.add(target)
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

/**
 * The foreign keys (of any mapper) referencing `mapper` whose database `onDelete` action changes the
 * referencing rows when a row of `mapper` is deleted: Cascade, SetNull, SetDefault.
 * @internal
 */
export function referencingForeignKeys(mapper: Mapper): readonly Relationship[] {
  return planOf(mapper).referencedBy
}
