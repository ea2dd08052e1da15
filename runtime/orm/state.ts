/** InstanceState: the bookkeeping behind every model object (values, original values, identity, session). */
import type { Decoder } from '../dialect/dialect.js'
import type { ColumnInfo, Mapper } from './mapper.js'
import type { Model } from './model.js'

/**
 * The session an object belongs to, as its state sees it: the two calls this file makes, and (merged
 * into this interface by session-context.ts) the rest of the session's internal contract, `LoadContext`.
 * Declared here so that the lowest module of the ORM imports nothing above it. Internal: exported
 * from `prismalchemy/internal`'s types only through the modules that use it.
 */
export interface StateSession {
  /** Records that a column or relationship of a persistent object changed. */
  markModified(state: InstanceState): void
  /** Places an object in the session, with its save-update cascade. */
  add(obj: Model): void
}

/** The five object states of SQLAlchemy, derived from identity and session membership. */
export type ObjectState = 'transient' | 'pending' | 'persistent' | 'deleted' | 'detached'

/** Symbol under which every model object keeps its {@link InstanceState}. */
export const STATE: unique symbol = Symbol('prismalchemy.state')

/** A model object seen through its state slot. @internal */
export type Instrumented = Model & { [STATE]: InstanceState }

/**
 * The bookkeeping few objects ever need (collections changed in memory, loader overrides, unsaved
 * members, expired or deferred columns, ...), kept apart so that the thousands of objects a load
 * builds each carry one empty slot for it instead of eight: smaller objects, less for the garbage
 * collector to copy and mark.
 */
class RareState {
  echoedRelationships: Set<string> | null = null
  changedCollections: Set<string> | null = null
  removedMembers: Model[] | null = null
  strategyOverrides: Record<string, string> | null = null
  unsavedMembers: Map<string, Model[]> | null = null
  orphanedFrom: Set<string> | null = null
  expired: Set<string> | null = null
  deferred: Set<string> | null = null
}

/**
 * Per-object bookkeeping. States are derived, never stored: an object is `pending` when it has a
 * session but no identity, `persistent` with both, `detached` with an identity but no session.
 * Internal to the runtime (`inspect(obj)` is the public view of it).
 */
export class InstanceState {
  /** Column values by property name; those whose bit is in {@link #rawMask} still as read from the database. */
  #values: Record<string, unknown>
  /** The {@link ColumnInfo.decodeLaterBit}s of the values in {@link #values} not decoded yet. */
  #rawMask = 0
  /** The decoders of those values (by column index), while {@link #rawMask} is not 0. */
  #decoders: readonly Decoder[] | null = null
  /** Values of modified columns as they were before the first change; null while unmodified. */
  committed: Record<string, unknown> | null = null
  /** To-one relationships assigned since the last flush. */
  changedRelationships: Set<string> | null = null
  /** Identity key in the identity map; undefined until the row exists in the database. */
  key: unknown = undefined
  /** The session the object belongs to. */
  session: StateSession | null = null
  /** True once a DELETE for the row was flushed (until commit or rollback). */
  deleted = false
  /** Loaded in an earlier transaction: the next row read for this identity refreshes unmodified columns. */
  stale = false
  /** Counts changes through setters, so a flush can tell whether the object changed while it ran. */
  version = 0
  #related: Record<string, unknown> | null = null
  #rare: RareState | null = null

  constructor(
    readonly mapper: Mapper,
    readonly obj: Model,
    dict: Record<string, unknown>,
  ) {
    this.#values = dict
  }

  /** Current column values keyed by property name, every one decoded (values left raw by a load are decoded first). */
  get dict(): Record<string, unknown> {
    if (this.#rawMask !== 0) this.#decodeAll()
    return this.#values
  }

  /** The value of `column`, decoding only it when a load left it raw (an attribute read, a loader's key or foreign key). */
  value(column: ColumnInfo): unknown {
    if ((this.#rawMask & column.decodeLaterBit) !== 0) this.#decode(column)
    return this.#values[column.name]
  }

  /** Notes that the values of `rawMask`'s columns in a new object's dict are still as read, to be decoded by `decoders` at their first read. */
  leaveRaw(rawMask: number, decoders: readonly Decoder[]): void {
    this.#rawMask = rawMask
    this.#decoders = decoders
  }

  /**
   * Sets `column` from a cell `raw` of its row, read with `decoders`: kept as read, and decoded at its
   * first read, when the column leaves such a cell raw (see {@link ColumnInfo.leavesRaw}); decoded now
   * otherwise, or when values left raw by another dialect's decoders are pending.
   */
  loadCell(column: ColumnInfo, raw: unknown, decoders: readonly Decoder[]): void {
    if (column.leavesRaw(raw) && (this.#rawMask === 0 || this.#decoders === decoders)) {
      this.#values[column.name] = raw
      this.#rawMask |= column.decodeLaterBit
      this.#decoders = decoders
    } else {
      this.#values[column.name] = decoders[column.index](raw)
      this.#rawMask &= ~column.decodeLaterBit
      if (this.#rawMask === 0) this.#decoders = null
    }
  }

  #decode(column: ColumnInfo): void {
    this.#values[column.name] = this.#decoders![column.index](this.#values[column.name])
    this.#rawMask &= ~column.decodeLaterBit
    if (this.#rawMask === 0) this.#decoders = null
  }

  /** The value of the column named `name`, decoded first if a load left it raw (see {@link value}). */
  #decoded(name: string): unknown {
    return this.#rawMask === 0 ? this.#values[name] : this.value(this.mapper.column(name))
  }

  #decodeAll(): void {
    for (const column of this.mapper.columns) if ((this.#rawMask & column.decodeLaterBit) !== 0) this.#decode(column)
  }

  /** Loaded values of to-one relationships and select collections; a key is absent until loaded. Made at first use: most loaded objects never touch a relationship. */
  get related(): Record<string, unknown> {
    return (this.#related ??= {})
  }

  /** Forgets every loaded relationship (they reload on next access), without making an empty record until one is used. */
  forgetRelated(): void {
    this.#related = null
  }

  /** The rarely used fields, made at the first write of a non-null value (see {@link RareState}). */
  #rareForWrite(value: unknown): RareState | null {
    return value === null && this.#rare === null ? null : (this.#rare ??= new RareState())
  }

  /**
   * To-one relationships whose last assignment was the echo of a collection change on the other
   * side: they cascade nothing into the session (SQLAlchemy 2.0 has no `cascade_backrefs`).
   */
  get echoedRelationships(): Set<string> | null {
    return this.#rare?.echoedRelationships ?? null
  }

  set echoedRelationships(value: Set<string> | null) {
    const rare = this.#rareForWrite(value)
    if (rare !== null) rare.echoedRelationships = value
  }

  /** Collections changed in memory since the last flush (a push or splice): the object counts as modified, as in SQLAlchemy. */
  get changedCollections(): Set<string> | null {
    return this.#rare?.changedCollections ?? null
  }

  set changedCollections(value: Set<string> | null) {
    const rare = this.#rareForWrite(value)
    if (rare !== null) rare.changedCollections = value
  }

  /** Objects removed from this object's collections while it had no session; added with it, so that orphans are seen. */
  get removedMembers(): Model[] | null {
    return this.#rare?.removedMembers ?? null
  }

  set removedMembers(value: Model[] | null) {
    const rare = this.#rareForWrite(value)
    if (rare !== null) rare.removedMembers = value
  }

  /** Loading strategies set by the query that loaded the object (`raiseload`, `noload`, `lazyload`), by relationship. */
  get strategyOverrides(): Record<string, string> | null {
    return this.#rare?.strategyOverrides ?? null
  }

  set strategyOverrides(value: Record<string, string> | null) {
    const rare = this.#rareForWrite(value)
    if (rare !== null) rare.strategyOverrides = value
  }

  /**
   * While the object has no row: the objects appended to its dynamic collections, by relationship
   * (its whole contents, since nothing of it is stored yet); added to the session with it.
   */
  get unsavedMembers(): Map<string, Model[]> | null {
    return this.#rare?.unsavedMembers ?? null
  }

  set unsavedMembers(value: Map<string, Model[]> | null) {
    const rare = this.#rareForWrite(value)
    if (rare !== null) rare.unsavedMembers = value
  }

  /** To-one relationships set to null after holding an object: a pending object removed from a delete-orphan parent is dropped at flush. */
  get orphanedFrom(): Set<string> | null {
    return this.#rare?.orphanedFrom ?? null
  }

  set orphanedFrom(value: Set<string> | null) {
    const rare = this.#rareForWrite(value)
    if (rare !== null) rare.orphanedFrom = value
  }

  /** Column names expired by `session.expire()`: reading them throws until refreshed. */
  get expired(): Set<string> | null {
    return this.#rare?.expired ?? null
  }

  set expired(value: Set<string> | null) {
    const rare = this.#rareForWrite(value)
    if (rare !== null) rare.expired = value
  }

  /** Column names the query that loaded the object left out (`loadOnly`/`defer`): reading them throws until loaded. */
  get deferred(): Set<string> | null {
    return this.#rare?.deferred ?? null
  }

  set deferred(value: Set<string> | null) {
    const rare = this.#rareForWrite(value)
    if (rare !== null) rare.deferred = value
  }

  /** The derived object state. */
  get objectState(): ObjectState {
    if (this.key === undefined) return this.session ? 'pending' : 'transient'
    if (!this.session) return 'detached'
    return this.deleted ? 'deleted' : 'persistent'
  }

  /** True when a column or to-one relationship changed since the last flush (for an object without a row: when anything was set). */
  get modified(): boolean {
    if (this.committed !== null || this.changedRelationships !== null || this.changedCollections !== null) return true
    if (this.key !== undefined) return false
    for (const name in this.dict) if (this.dict[name] !== undefined) return true
    return false
  }

  /** Keeps a persistent object's value of `name` from before its first unflushed change (what an UPDATE compares against). */
  rememberOriginal(name: string): void {
    if (this.key === undefined) return
    const committed = (this.committed ??= {})
    if (!(name in committed)) committed[name] = this.#decoded(name)
  }

  /** The value the database holds for column `name` as this session last wrote or read it: an unflushed change keeps it in `committed`. */
  storedValue(name: string): unknown {
    const committed = this.committed
    return committed !== null && name in committed ? committed[name] : this.#decoded(name)
  }

  /** Sets a column through the public setter: records the original value and tells the session. */
  setColumn(name: string, value: unknown): void {
    // A value left raw by a load is decoded first: it becomes the original an UPDATE compares against,
    // and its raw mark goes (an object made transient keeps no original, and must not decode the new value).
    this.#decoded(name)
    this.rememberOriginal(name)
    this.#values[name] = value
    this.version++
    this.expired?.delete(name)
    this.deferred?.delete(name)
    // A foreign key set directly wins over an earlier assignment of the relationship it feeds, and
    // makes the loaded related object stale.
    const dependents = this.mapper.relationshipsByForeignKey.get(name)
    if (dependents) {
      for (const relationship of dependents) {
        delete this.related[relationship]
        this.changedRelationships?.delete(relationship)
      }
    }
    this.session?.markModified(this)
  }

  /**
   * Assigns a to-one relationship; the foreign key is synchronised at flush. With `cascade`, a new
   * object assigned to an object in a session joins it (save-update cascade); the echo of a
   * collection change passes false.
   */
  setRelated(name: string, value: unknown, cascade = true): void {
    if (value === null && this.related[name] != null) (this.orphanedFrom ??= new Set()).add(name)
    this.related[name] = value
    this.version++
    ;(this.changedRelationships ??= new Set()).add(name)
    if (cascade) this.echoedRelationships?.delete(name)
    else (this.echoedRelationships ??= new Set()).add(name)
    const session = this.session
    if (session !== null) {
      session.markModified(this)
      const target = stateOf(value)
      if (cascade && target !== undefined && target.session === null) session.add(target.obj)
    }
  }

  /** Records `member` in a keyless object's in-memory dynamic collection `name` (see {@link unsavedMembers}). */
  addUnsavedMember(name: string, member: Model): void {
    const members = (this.unsavedMembers ??= new Map()).get(name)
    if (members === undefined) this.unsavedMembers.set(name, [member])
    else if (!members.includes(member)) members.push(member)
  }

  /** Takes `member` out of a keyless object's in-memory dynamic collection `name`. */
  removeUnsavedMember(name: string, member: Model): void {
    const members = this.unsavedMembers?.get(name)
    const at = members?.indexOf(member) ?? -1
    if (at >= 0) members!.splice(at, 1)
  }

  /** Forgets pending modifications after a successful flush. */
  clearModifications(): void {
    this.committed = null
    this.changedRelationships = null
    this.echoedRelationships = null
    this.changedCollections = null
  }

  /** Records a change to collection `name` in memory; an object with a row becomes dirty (no UPDATE follows unless a column changed). */
  collectionChanged(name: string): void {
    ;(this.changedCollections ??= new Set()).add(name)
    this.session?.markModified(this)
  }

  /**
   * True when a flush would write something for this object: a column whose value really differs
   * from the loaded one, a to-one relationship assigned, or a collection changed (SQLAlchemy's
   * `is_modified()`); for an object without a row, anything set.
   */
  get hasChanges(): boolean {
    if (this.key === undefined) return this.modified
    return this.changedColumns().length > 0 || (this.changedRelationships !== null && this.changedRelationships.size > 0) || this.changedCollections !== null
  }

  /**
   * Expires columns (all when `attributes` is omitted; names of relationships among them unload those):
   * unflushed changes to them are discarded and reading them throws until the row is read again.
   * Loaded relationships reload on next access; ones assigned and not yet flushed are kept with
   * some `attributes`, as the assignment is unflushed work.
   */
  expire(attributes?: readonly string[]): void {
    const relationships = attributes?.filter((name) => this.mapper.relationships.has(name)) ?? []
    const names = attributes?.filter((name) => !this.mapper.relationships.has(name)) ?? this.mapper.columns.map((column) => column.name)
    for (const name of relationships) {
      delete this.related[name]
      this.changedRelationships?.delete(name)
    }
    if (attributes !== undefined && names.length === 0) return
    const expired = (this.expired ??= new Set())
    for (const name of names) {
      this.mapper.column(name)
      expired.add(name)
      if (this.committed !== null && name in this.committed) {
        this.dict[name] = this.committed[name]
        delete this.committed[name]
      }
    }
    if (this.committed !== null && Object.keys(this.committed).length === 0) this.committed = null
    if (attributes === undefined) {
      this.forgetRelated()
      this.changedRelationships = null
    } else {
      const assigned = this.changedRelationships
      for (const name of Object.keys(this.related)) if (!assigned?.has(name)) delete this.related[name]
    }
  }

  /** Marks the object stale after its transaction ended: relationships reload, and the next read of its row refreshes its columns. */
  markStale(): void {
    this.stale = true
    this.forgetRelated()
    this.changedRelationships = null
  }

  /** Names of columns whose value differs from the original. */
  changedColumns(): string[] {
    const committed = this.committed
    if (committed === null) return []
    const changed: string[] = []
    for (const name of Object.keys(committed)) {
      if (!this.mapper.column(name).equals(committed[name], this.dict[name])) changed.push(name)
    }
    return changed
  }

  /** A readable name for messages, e.g. `User(id=3)`. */
  describe(): string {
    const pk = this.mapper.primaryKey.map((column) => `${column.name}=${String(this.value(column))}`).join(', ')
    return `${this.mapper.name}(${this.key === undefined ? 'transient' : pk})`
  }
}

/** The objects a relationship value holds: a loaded list, one object, or none (null, unloaded). @internal */
export function relatedObjects(value: unknown): readonly Model[] {
  return Array.isArray(value) ? (value as Model[]) : value === null || value === undefined ? [] : [value as Model]
}

/** Returns the state of a model object, or undefined for anything else. @internal */
export function stateOf(value: unknown): InstanceState | undefined {
  return (value as Partial<Instrumented> | null)?.[STATE]
}

/** States grouped by mapper, in first-seen order. @internal */
export function groupByMapper(states: Iterable<InstanceState>): Map<Mapper, InstanceState[]> {
  const groups = new Map<Mapper, InstanceState[]>()
  for (const state of states) {
    const list = groups.get(state.mapper)
    if (list === undefined) groups.set(state.mapper, [state])
    else list.push(state)
  }
  return groups
}
