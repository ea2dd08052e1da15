/**
 * Planning a flush: which objects it inserts, updates and deletes (after the cascades), which new
 * objects take over deleted rows, and in which order tables and rows are written.
 */
import { FlushError } from '../../errors.js'
import { cascadeOrphans } from './cascades.js'
import { describeForeignKey, isNullableForeignKey } from './commit-order.js'
import type { IdentityMap } from '../identity-map.js'
import type { Mapper, Relationship } from '../mapper.js'
import { refuseViewWrites } from './read-only-views.js'
import { cascadeAdd } from './save-update-cascade.js'
import type { FlushContext } from '../session-context.js'
import { groupByMapper, stateOf, type InstanceState } from '../state.js'

/**
 * What one flush writes, fixed before its first statement: changes made to the session while it
 * runs wait for the next flush.
 * @internal
 */
export interface FlushPlan {
  /** Every new object this flush writes, in the order they were added (row switches included). */
  readonly inserting: readonly InstanceState[]
  /** Every object this flush deletes, cascaded ones included (row switches included). */
  readonly deleting: readonly InstanceState[]
  /** {@link deleting} as a set. */
  readonly deletingSet: ReadonlySet<InstanceState>
  /** Versions of the dirty objects when the flush started. */
  readonly dirtyAtStart: ReadonlyMap<InstanceState, number>
  /**
   * Row switches (SQLAlchemy's term): a new object with the key of an object deleted in this flush
   * takes over its row with an UPDATE instead of a DELETE and an INSERT. New object -> deleted one.
   */
  readonly switches: ReadonlyMap<InstanceState, InstanceState>
  /** The deleted objects whose rows the switches take over: their DELETE is not written. */
  readonly replaced: ReadonlySet<InstanceState>
  /** New objects to INSERT, per table. */
  readonly inserts: ReadonlyMap<Mapper, InstanceState[]>
  /** New objects that take over a deleted row, per table. */
  readonly switching: ReadonlyMap<Mapper, InstanceState[]>
  /** Persistent objects to UPDATE (if they changed), per table. */
  readonly updates: ReadonlyMap<Mapper, InstanceState[]>
  /** Objects whose row is DELETEd, per table. */
  readonly deletes: ReadonlyMap<Mapper, InstanceState[]>
  /** The tables written, referenced ones first (DELETEs run in the reverse order). */
  readonly order: readonly Mapper[]
}

/**
 * The objects a flush writes, taken synchronously when it starts (changes made while it runs wait
 * for the next one), after the save-update and delete-orphan cascades.
 * @internal
 */
export interface FlushChanges {
  /** New objects, in the order they were added. */
  pending: readonly InstanceState[]
  /** Persistent objects with unflushed changes. */
  readonly dirty: readonly InstanceState[]
  /** Versions of {@link dirty} objects when the flush started. */
  readonly dirtyAtStart: ReadonlyMap<InstanceState, number>
  /** Objects to delete. */
  readonly deleting: InstanceState[]
}

/**
 * Starts a flush of `ctx`, synchronously: refuses a collection holding a non-object, runs the
 * save-update and delete-orphan cascades, then takes the objects to write.
 * @internal
 */
export function collectChanges(ctx: FlushContext): FlushChanges {
  const invalid = ctx.collections.invalidMember()
  if (invalid !== undefined) throw FlushError.notAnObjectInCollection(`${invalid.owner.mapper.name}.${invalid.relationship.name}`)
  for (const state of [...ctx.newStates, ...ctx.dirtyStates]) cascadeAdd(ctx, state)
  cascadeOrphans(ctx)
  const pending = [...ctx.newStates]
  const dirty = [...ctx.dirtyStates]
  const dirtyAtStart = new Map<InstanceState, number>()
  for (const state of dirty) dirtyAtStart.set(state, state.version)
  return { pending, dirty, dirtyAtStart, deleting: [...ctx.deletedStates] }
}

/**
 * Adds the objects `@cascade(delete)` reached (see `cascadeDeletes`) to a flush's deletions; the
 * pending objects it reached were expunged, and are not inserted.
 * @internal
 */
export function addCascadedDeletes(ctx: FlushContext, changes: FlushChanges, cascaded: readonly InstanceState[]): void {
  changes.deleting.push(...cascaded)
  changes.pending = changes.pending.filter((state) => ctx.newStates.has(state))
}

/**
 * Plans a flush from its changes: refuses writes to views and new objects whose key another
 * object holds (or finds the row switches), groups the objects by table and orders the tables,
 * before any SQL.
 * @internal
 */
export function planFlush(ctx: FlushContext, changes: FlushChanges): FlushPlan {
  const { pending: inserting, dirty, dirtyAtStart, deleting } = changes
  refuseViewWrites(inserting, dirty, deleting)
  const switches = rowSwitches(ctx.identityMap, inserting, deleting)
  const replaced = new Set(switches.values())
  const deletingSet = new Set(deleting)
  const inserts = groupByMapper(switches.size > 0 ? inserting.filter((state) => !switches.has(state)) : inserting)
  const updates = groupByMapper(dirty.filter((state) => !deletingSet.has(state)))
  const deletes = groupByMapper(switches.size > 0 ? deleting.filter((state) => !replaced.has(state)) : deleting)
  const switching = groupByMapper(switches.keys())
  const order = [...new Set([...inserts.keys(), ...switching.keys(), ...updates.keys(), ...deletes.keys()])].sort((a, b) => a.insertRank - b.insertRank)
  return { inserting, deleting, deletingSet, dirtyAtStart, switches, replaced, inserts, switching, updates, deletes, order }
}

/**
 * Before any SQL: a new object whose key is already in the identity map either takes over the row
 * of an object deleted in this flush (a row switch), or is refused with `FlushError`, as
 * SQLAlchemy refuses it, instead of failing on the database's unique constraint.
 * @internal
 */
export function rowSwitches(identityMap: IdentityMap, inserting: readonly InstanceState[], deleting: readonly InstanceState[]): Map<InstanceState, InstanceState> {
  const switches = new Map<InstanceState, InstanceState>()
  const replaced = new Set<InstanceState>()
  let doomed: Set<InstanceState> | null = null
  for (const state of inserting) {
    const key = state.mapper.identityKeyOf(state.dict)
    if (key === undefined) continue
    const existing = identityMap.get(state.mapper, key)
    if (existing === undefined || existing === state || existing.deleted) continue
    doomed ??= new Set(deleting)
    if (doomed.has(existing) && !replaced.has(existing)) {
      switches.set(state, existing)
      replaced.add(existing)
    } else throw FlushError.identityConflict(state.describe(), existing.describe())
  }
  return switches
}

/** `state`'s relationship `name` when its foreign key points at another object of `pending`, which must be inserted first. */
function keyToPending(state: InstanceState, name: string, pending: ReadonlySet<InstanceState>): Relationship | undefined {
  const target = stateOf(state.related[name])
  if (target === undefined || target === state || !pending.has(target)) return undefined
  const relationship = state.mapper.relationships.get(name)!
  return relationship.ownsForeignKey ? relationship : undefined
}

/** The foreign keys through which a pending object of this table waits for another pending one of `pending`. */
function waitingKeys(state: InstanceState, pending: ReadonlySet<InstanceState>): Relationship[] {
  const keys: Relationship[] = []
  for (const name of state.changedRelationships ?? []) {
    const key = keyToPending(state, name, pending)
    if (key !== undefined) keys.push(key)
  }
  return keys
}

/** Pending objects of the same table whose foreign keys point at pending ones must wait for them (no allocation: called per row and level). */
function waitsFor(state: InstanceState, pending: ReadonlySet<InstanceState>): boolean {
  if (state.changedRelationships === null) return false
  for (const name of state.changedRelationships) if (keyToPending(state, name, pending) !== undefined) return true
  return false
}

/**
 * The new rows of one table to insert next, among those not inserted yet: the ones whose foreign
 * keys point at no other row of `remaining`. Rows that refer to each other in a cycle: the first of
 * them (in the order they were added) whose keys into the cycle are all nullable goes alone (those
 * keys are written after the INSERTs); none such is refused with `FlushError`.
 * @internal
 */
export function nextInsertLevel(mapper: Mapper, remaining: readonly InstanceState[]): InstanceState[] {
  const pending = new Set(remaining)
  const ready = remaining.filter((state) => !waitsFor(state, pending))
  if (ready.length > 0) return ready
  const breaker = remaining.find((state) => waitingKeys(state, pending).every(isNullableForeignKey))
  if (breaker !== undefined) return [breaker]
  const state = remaining[0]
  const relationship = waitingKeys(state, pending).find((key) => !isNullableForeignKey(key))!
  const target = stateOf(state.related[relationship.name])!
  throw FlushError.circularDependency(state.describe(), `${mapper.name}.${relationship.name}`, target.describe(), [describeForeignKey(relationship)])
}

/** A table's foreign keys to itself that identify the referenced row by its key. @internal */
export function selfKeysOf(mapper: Mapper): Relationship[] {
  return [...mapper.relationships.values()].filter((relationship) => relationship.ownsForeignKey && relationship.mapper === mapper && relationship.remoteIsPrimaryKey)
}

/** The rows of one table to delete, in statements (levels); see {@link deleteLevels}. */
export interface DeleteLevels {
  /** One DELETE (or chunked DELETEs) per level, in order. */
  readonly levels: readonly InstanceState[][]
  /** The last level when it holds rows that refer to each other in a cycle; null otherwise. */
  readonly cycle: InstanceState[] | null
}

/**
 * The rows of one table to delete, in statements that never remove a row before the rows that
 * refer to it through a self-referential foreign key (children first, as SQLAlchemy orders them),
 * so that an ON DELETE RESTRICT key holds. A table without such a key is one level. Rows that refer
 * to each other in a cycle come last, as one level, also given as `cycle`.
 * @internal
 */
export function deleteLevels(mapper: Mapper, states: InstanceState[]): DeleteLevels {
  const selfKeys = selfKeysOf(mapper)
  if (selfKeys.length === 0 || states.length < 2) return { levels: [states], cycle: null }
  const levels: InstanceState[][] = []
  let remaining = states
  while (remaining.length > 0) {
    const referenced = new Set<unknown>()
    for (const state of remaining) {
      for (const relationship of selfKeys) {
        const values = relationship.localInKeyOrder.map((column) => state.storedValue(column.name))
        if (values.some((value) => value === null || value === undefined)) continue
        const key = mapper.identityKey(values)
        if (key !== state.key) referenced.add(key)
      }
    }
    const leaves = remaining.filter((state) => !referenced.has(state.key))
    // A cycle of rows referring to each other: one statement for what is left.
    if (leaves.length === 0) {
      levels.push(remaining)
      return { levels, cycle: remaining }
    }
    levels.push(leaves)
    remaining = remaining.filter((state) => referenced.has(state.key))
  }
  return { levels, cycle: null }
}
