/** UnitOfWork: turns a session's new, dirty and deleted objects into batched INSERTs, changed-column UPDATEs and DELETEs in FK order. */
import { randomUUID } from 'node:crypto'
import cuid from '@bugsnag/cuid'
import { createId as cuid2 } from '@paralleldrive/cuid2'
import { nanoid } from 'nanoid'
import { ulid } from 'ulid'
import { FlushError, StaleDataError } from '../errors.js'
import { sql, type ColumnNode, type ConditionNode, type InsertNode, type ValueNode } from '../sql/nodes.js'
import { cascadeDeletes, cascadeOrphans, needsDeleteCascade, reflectDatabaseDeletes } from './cascades.js'
import { cycleThrough, describeForeignKey, isNullableForeignKey } from './commit-order.js'
import type { ColumnInfo, Mapper, Relationship } from './mapper.js'
import { dispatchModelEvent, hasListeners, hasModelListeners, type ModelEventName } from './events.js'
import type { DefaultDefinition } from './metadata.js'
import { refuseViewWrites } from './read-only-views.js'
import type { Session } from './session.js'
import type { SessionTransaction } from './session-transaction.js'
import { groupByMapper, stateOf, type InstanceState } from './state.js'

/** Rows per multi-row INSERT, below the dialect's parameter limit. */
const MAX_ROWS_PER_INSERT = 500

/** UUID v7: a 48-bit millisecond timestamp, then random bits (RFC 9562). */
function uuidV7(): string {
  const hex = Date.now().toString(16).padStart(12, '0')
  const random = randomUUID().replaceAll('-', '')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${random.slice(13, 16)}-${random.slice(16, 20)}-${random.slice(20, 32)}`
}

/** Milliseconds in a day: what `@db.Date` drops and `@db.Time` keeps. */
const DAY_MS = 86_400_000

/**
 * The flush's time as `column` stores it, so an object holds what its row holds (PrismaClient reads
 * the stored value back): a fresh `Date`, rounded half up to the column's fractional-second digits
 * when it keeps fewer than milliseconds (as PostgreSQL rounds on store), only the day for
 * `@db.Date`, only the time of day (on 1970-01-01, as it reads back) for `@db.Time`/`Timetz`.
 */
function timeFor(column: ColumnInfo, now: Date): Date {
  const { precision, nativeType } = column.definition
  let time = now.getTime()
  if (precision !== undefined && precision < 3) {
    const unit = 10 ** (3 - precision)
    time = Math.round(time / unit) * unit
  }
  if (nativeType === 'Date') time -= time % DAY_MS
  else if (nativeType === 'Time' || nativeType === 'Timetz') time %= DAY_MS
  return new Date(time)
}

/** The value Prisma Client would send for an unset column with a client-side default. */
function clientDefault(column: ColumnInfo, now: Date): unknown {
  const definition: DefaultDefinition | undefined = column.definition.default
  switch (definition?.kind) {
    case 'now':
      return timeFor(column, now)
    case 'uuid':
      return definition.version === 7 ? uuidV7() : randomUUID()
    case 'cuid':
      return definition.version === 2 ? cuid2() : cuid()
    case 'nanoid':
      return nanoid(definition.size)
    case 'ulid':
      return ulid()
    default:
      // A constant, or a list's empty value; undefined for the database's own defaults.
      return column.constantDefault?.()
  }
}

/** A table's foreign keys to itself that identify the referenced row by its key. */
function selfKeysOf(mapper: Mapper): Relationship[] {
  return [...mapper.relationships.values()].filter((relationship) => relationship.ownsForeignKey && relationship.mapper === mapper && relationship.remoteIsPrimaryKey)
}

/** A foreign key the flush writes after the INSERTs: `state`'s `relationship`, to `target`'s key. */
interface PostUpdate {
  readonly state: InstanceState
  readonly relationship: Relationship
  readonly target: InstanceState
}

function compareKeys(a: unknown, b: unknown): number {
  return a === b ? 0 : (a as number) < (b as number) ? -1 : 1
}

/**
 * One flush. Changes to objects made while writing are journaled, so a failed flush leaves every
 * object exactly as it was before (the database transaction is rolled back by the session).
 * @internal
 */
export class UnitOfWork {
  private readonly journal: [InstanceState, string, unknown][] = []
  private readonly inserted = new Set<InstanceState>()
  private readonly updated: InstanceState[] = []
  /** What each written object looked like when its statement was built, to spot changes made while the flush ran. */
  private readonly written = new Map<InstanceState, { version: number; values: Record<string, unknown>; originals: Record<string, unknown> }>()
  /** Versions of the dirty objects when the flush started. */
  private readonly dirtyAtStart = new Map<InstanceState, number>()
  /** Objects whose DELETE this flush writes. */
  private readonly deleting: InstanceState[] = []
  /**
   * Row switches (SQLAlchemy's term): a new object with the key of an object deleted in this flush
   * takes over its row with an UPDATE instead of a DELETE and an INSERT. New object -> deleted one.
   */
  private readonly switches = new Map<InstanceState, InstanceState>()
  /** The deleted objects whose rows the switches take over. */
  private readonly replaced = new Set<InstanceState>()
  private readonly now = new Date()
  /** The objects this flush inserts; as a set once a foreign key is deferred. */
  private inserting: readonly InstanceState[] = []
  private insertingSet: Set<InstanceState> | null = null
  /** Foreign keys written by an UPDATE after the INSERTs, to break a cycle (SQLAlchemy's post_update); null until one is met. */
  private postUpdates: PostUpdate[] | null = null
  /** Rows of one table that refer to each other in a cycle, deleted together (see `deleteLevels`). */
  private rowCycle: InstanceState[] | null = null

  constructor(
    private readonly session: Session,
    private readonly transaction: SessionTransaction,
  ) {}

  /** Writes everything, then moves objects to their new states. */
  async run(): Promise<void> {
    const session = this.session
    const invalid = session.collections.invalidMember()
    if (invalid !== undefined) throw FlushError.notAnObjectInCollection(`${invalid.owner.mapper.name}.${invalid.relationship.name}`)
    for (const state of [...session.newStates, ...session.dirtyStates]) session.cascadeAdd(state)
    cascadeOrphans(session)
    // What this flush writes is fixed here, synchronously: changes made while it runs wait for the next one.
    const pending = [...session.newStates]
    const dirty = [...session.dirtyStates]
    for (const state of dirty) this.dirtyAtStart.set(state, state.version)
    this.deleting.push(...session.deletedStates)
    // @cascade(delete) may load related objects first; pending ones it reaches are expunged, never inserted.
    const cascading = needsDeleteCascade(this.deleting)
    if (cascading) this.deleting.push(...(await cascadeDeletes(session, this.deleting)))
    const inserting = cascading ? pending.filter((state) => session.newStates.has(state)) : pending
    this.inserting = inserting
    refuseViewWrites(inserting, dirty, this.deleting)
    this.checkIdentities(inserting)
    const deleting = new Set(this.deleting)
    const inserts = groupByMapper(this.switches.size > 0 ? inserting.filter((state) => !this.switches.has(state)) : inserting)
    const updates = groupByMapper(dirty.filter((state) => !deleting.has(state)))
    const deletes = groupByMapper(this.switches.size > 0 ? this.deleting.filter((state) => !this.switchedOut(state)) : this.deleting)
    const switches = groupByMapper(this.switches.keys())
    const order = [...new Set([...inserts.keys(), ...switches.keys(), ...updates.keys(), ...deletes.keys()])].sort((a, b) => a.insertRank - b.insertRank)
    try {
      // One bind after the other, always in the same order (default first, then by key), so that
      // sessions writing to several databases take their write locks in one order.
      const routing = session.routing
      for (const route of routing.routes()) {
        const mappers = order.filter((mapper) => routing.routeOf(mapper) === route)
        for (const mapper of mappers) {
          const toInsert = inserts.get(mapper)
          if (toInsert) await this.insertAll(mapper, toInsert)
          const toSwitch = switches.get(mapper)
          if (toSwitch) for (const state of toSwitch) await this.switchRow(state, this.switches.get(state)!)
          const toUpdate = updates.get(mapper)
          if (toUpdate) {
            if (this.listens(mapper, 'beforeUpdate')) await this.dispatch(mapper, 'beforeUpdate', toUpdate)
            for (const state of toUpdate) await this.update(state)
          }
        }
        // Foreign keys that close a cycle, now that the rows they point at exist.
        const postUpdates = this.postUpdates
        if (postUpdates !== null) {
          this.postUpdates = null
          await this.writePostUpdates(postUpdates)
        }
        // Many-to-many links once both sides have their keys, before any row they point at is deleted.
        if (session.collections.hasLinkChanges) {
          await session.collections.writeLinks(
            (relationship, node) => session.write(relationship.parent, node),
            (relationship) => routing.routeOf(relationship.parent) === route,
          )
        }
        // A foreign key that breaks a cycle points at a table deleted earlier: set it to NULL first.
        for (const mapper of mappers) {
          const toDelete = deletes.get(mapper)
          if (toDelete && mapper.postUpdates.length > 0) await this.releaseKeysInto(mapper, toDelete, mapper.postUpdates, deleting)
        }
        for (const mapper of mappers.reverse()) {
          const toDelete = deletes.get(mapper)
          if (toDelete) await this.deleteAll(mapper, toDelete)
        }
      }
    } catch (error) {
      this.undo()
      throw error
    }
    this.commitStates()
  }

  /**
   * Before any SQL: a new object whose key is already in the identity map either takes over the row
   * of an object deleted in this flush (a row switch), or is refused with `FlushError`, as
   * SQLAlchemy refuses it, instead of failing on the database's unique constraint.
   */
  private checkIdentities(inserting: readonly InstanceState[]): void {
    const identityMap = this.session.identityMap
    let deleting: Set<InstanceState> | null = null
    for (const state of inserting) {
      const key = state.mapper.identityKeyOf(state.dict)
      if (key === undefined) continue
      const existing = identityMap.get(state.mapper, key)
      if (existing === undefined || existing === state || existing.deleted) continue
      deleting ??= new Set(this.deleting)
      if (deleting.has(existing) && !this.switchedOut(existing)) {
        this.switches.set(state, existing)
        this.replaced.add(existing)
      } else throw FlushError.identityConflict(state.describe(), existing.describe())
    }
  }

  /** True when `state`'s DELETE became a row switch. */
  private switchedOut(state: InstanceState): boolean {
    return this.replaced.has(state)
  }

  /** True when `mapper`'s class has listeners for `event` (checked first: an await with nothing to wait for would still yield). */
  private listens(mapper: Mapper, event: ModelEventName): boolean {
    return hasListeners() && hasModelListeners(mapper.modelClass, event)
  }

  /** Calls a model event's listeners for objects of `mapper`. */
  private dispatch(mapper: Mapper, event: ModelEventName, states: readonly InstanceState[]): Promise<void> {
    return dispatchModelEvent(mapper.modelClass, event, states.map((state) => state.obj), this.session)
  }

  /**
   * A row switch: `state` (new) takes the row of `replaced` (deleted in this flush) with one UPDATE
   * of the columns whose values differ, after the client defaults an INSERT would have applied.
   */
  private async switchRow(state: InstanceState, replaced: InstanceState): Promise<void> {
    const mapper = state.mapper
    // The new object has no identity yet: insert events, as SQLAlchemy fires them for a row switch.
    if (this.listens(mapper, 'beforeInsert')) await this.dispatch(mapper, 'beforeInsert', [state])
    this.syncForeignKeys(state)
    this.applyDefaults(state)
    const changed = mapper.columns.filter((column) => !mapper.primaryKey.includes(column) && !column.equals(state.dict[column.name] ?? null, replaced.storedValue(column.name) ?? null))
    // What is written, taken before the statement's await: a change made meanwhile stays pending.
    const written = { version: state.version, values: { ...state.dict }, originals: {} }
    if (changed.length > 0) {
      const keyValues = mapper.primaryKey.map((column) => replaced.storedValue(column.name))
      const result = await this.session.write(mapper, {
        kind: 'update',
        table: mapper.tableNode,
        set: changed.map((column) => [column.node, sql.value(state.dict[column.name] ?? null, column.type)] as const),
        where: mapper.primaryKeyCondition(keyValues),
      })
      if (result.changes !== 1) throw StaleDataError.rowCount('UPDATE', mapper.table, 1, result.changes)
    }
    this.written.set(state, written)
    if (this.listens(mapper, 'afterInsert')) await this.dispatch(mapper, 'afterInsert', [state])
  }

  /** Fills a new object's unset columns as its INSERT sends them: `@updatedAt`, client defaults, NULL for nullable ones. */
  private applyDefaults(state: InstanceState): void {
    for (const column of state.mapper.columns) {
      if (state.dict[column.name] !== undefined) continue
      // Unset nullable columns are sent as NULL so rows share one INSERT shape; an unset required column
      // is left out, and the database names it in its NOT NULL error.
      let value = column.definition.updatedAt ? timeFor(column, this.now) : clientDefault(column, this.now)
      if (value === undefined && column.nullable && !column.serverGenerated) value = null
      if (value !== undefined) this.set(state, column.name, value)
    }
  }

  /** Sets a column value during the flush, remembering the previous one for undo. */
  private set(state: InstanceState, name: string, value: unknown): void {
    this.journal.push([state, name, state.dict[name]])
    state.dict[name] = value
  }

  private undo(): void {
    for (let i = this.journal.length - 1; i >= 0; i--) {
      const [state, name, previous] = this.journal[i]
      state.dict[name] = previous
    }
  }

  /** The object a changed to-one relationship points at must already have its key. */
  private syncForeignKeys(state: InstanceState): void {
    const changed = state.changedRelationships
    if (changed === null) return
    for (const name of changed) {
      const relationship = state.mapper.relationships.get(name)!
      if (!relationship.ownsForeignKey || !(name in state.related)) continue
      const target = stateOf(state.related[name])
      if (target !== undefined && target.key === undefined && !this.inserted.has(target) && target.session !== this.session) {
        // Assigned through the other side's collection only, and never added (SQLAlchemy 2.0 warns and writes no key).
        process.emitWarning(`${target.describe()} is not in the session; ${state.describe()}.${name} is not saved. Add it to the session to save it.`, {
          code: 'PRISMALCHEMY_NOT_IN_SESSION',
        })
        continue
      }
      // Not written yet (a row switch counts as written: it took over an existing row).
      if (target !== undefined && target.key === undefined && !this.written.has(target) && !this.knowsOwnKey(state, target, relationship)) {
        this.deferForeignKey(state, relationship, target)
        continue
      }
      relationship.local.forEach((column, i) => {
        const value = target === undefined ? null : target.dict[relationship.remote[i].name]
        if (column.equals(value, state.dict[column.name])) return
        state.rememberOriginal(column.name)
        this.set(state, column.name, value)
      })
    }
  }

  /**
   * A one-to-one moves: before `state` takes `target` through a unique foreign key, the row that held
   * it lets go (`UPDATE ... SET fk = NULL WHERE fk = ?`), as SQLAlchemy nulls the previous holder it
   * finds in the other side's history; objects of the identity map that held it read null too.
   */
  private async releaseOneToOne(state: InstanceState): Promise<void> {
    const changed = state.changedRelationships
    if (changed === null) return
    const mapper = state.mapper
    for (const name of changed) {
      const relationship = mapper.relationships.get(name)!
      const back = relationship.backPopulates === undefined ? undefined : relationship.mapper.relationships.get(relationship.backPopulates)
      if (!relationship.ownsForeignKey || back === undefined || back.uselist || !relationship.local.every((column) => column.nullable)) continue
      const target = stateOf(state.related[name])
      if (target === undefined || target.key === undefined) continue
      const values = relationship.remote.map((column) => target.dict[column.name])
      const holds = relationship.local.map((column, i) => sql.binary(column.node, '=', sql.value(values[i], column.type)))
      const others = state.key === undefined ? holds : [...holds, sql.not(mapper.primaryKeyCondition(mapper.primaryKey.map((column) => state.storedValue(column.name))))]
      const result = await this.session.write(mapper, {
        kind: 'update',
        table: mapper.tableNode,
        set: relationship.local.map((column) => [column.node, sql.value(null, column.type)] as const),
        where: sql.and(others),
      })
      if (result.changes === 0) continue
      for (const other of this.session.identityMap.statesOf(mapper)) {
        if (other === state || !relationship.local.every((column, i) => column.equals(other.storedValue(column.name), values[i]))) continue
        const originals: Record<string, unknown> = {}
        for (const column of relationship.local) {
          originals[column.name] = other.storedValue(column.name)
          if (other.committed !== null && column.name in other.committed) other.committed[column.name] = null
          else this.set(other, column.name, null)
        }
        this.transaction.rememberOriginals(other, originals)
        if (!other.changedRelationships?.has(name) && name in other.related) other.related[name] = null
      }
    }
  }

  /**
   * `state`'s foreign key points at `target`, a row this flush has not inserted yet. A nullable key is
   * written later, as SQLAlchemy's post_update: NULL in the INSERT (an UPDATE leaves it as it is), then
   * an UPDATE once every INSERT is done. A required key means no order works: refused.
   */
  private deferForeignKey(state: InstanceState, relationship: Relationship, target: InstanceState): void {
    const row = state.describe()
    const name = `${state.mapper.name}.${relationship.name}`
    if (!(this.insertingSet ??= new Set(this.inserting)).has(target)) throw FlushError.targetNotInFlush(row, name, target.describe())
    if (!isNullableForeignKey(relationship)) {
      throw FlushError.circularDependency(row, name, target.describe(), (cycleThrough(relationship) ?? [relationship]).map(describeForeignKey))
    }
    if (state.key === undefined) for (const column of relationship.local) if (state.dict[column.name] !== null) this.set(state, column.name, null)
    ;(this.postUpdates ??= []).push({ state, relationship, target })
  }

  /**
   * A new row that refers to itself, with the referenced columns set before the INSERT (given, or
   * client defaults, applied here first): its INSERT can carry the key, no UPDATE needed.
   */
  private knowsOwnKey(state: InstanceState, target: InstanceState, relationship: Relationship): boolean {
    if (target !== state || relationship.remote.some((column) => column.serverGenerated)) return false
    this.applyDefaults(state)
    return relationship.remote.every((column) => state.dict[column.name] !== undefined && state.dict[column.name] !== null)
  }

  /** `state`'s relationship `name` when its foreign key points at another object of `pending`, which must be inserted first. */
  private keyToPending(state: InstanceState, name: string, pending: ReadonlySet<InstanceState>): Relationship | undefined {
    const target = stateOf(state.related[name])
    if (target === undefined || target === state || !pending.has(target)) return undefined
    const relationship = state.mapper.relationships.get(name)!
    return relationship.ownsForeignKey ? relationship : undefined
  }

  /** The foreign keys through which a pending object of this table waits for another pending one of `pending`. */
  private waitingKeys(state: InstanceState, pending: ReadonlySet<InstanceState>): Relationship[] {
    const keys: Relationship[] = []
    for (const name of state.changedRelationships ?? []) {
      const key = this.keyToPending(state, name, pending)
      if (key !== undefined) keys.push(key)
    }
    return keys
  }

  /** Pending objects of the same table whose foreign keys point at pending ones must wait for them (no allocation: called per row and level). */
  private waitsFor(state: InstanceState, pending: ReadonlySet<InstanceState>): boolean {
    if (state.changedRelationships === null) return false
    for (const name of state.changedRelationships) if (this.keyToPending(state, name, pending) !== undefined) return true
    return false
  }

  /**
   * Inserts rows of one table in levels, each after the rows its foreign keys point at. Rows that
   * refer to each other in a cycle: the first of them (in the order they were added) whose keys into
   * the cycle are all nullable goes first, and those keys are written after the INSERTs.
   */
  private async insertAll(mapper: Mapper, states: InstanceState[]): Promise<void> {
    let remaining = states
    while (remaining.length > 0) {
      const pending = new Set(remaining)
      let ready = remaining.filter((state) => !this.waitsFor(state, pending))
      if (ready.length === 0) {
        const breaker = remaining.find((state) => this.waitingKeys(state, pending).every(isNullableForeignKey))
        if (breaker === undefined) {
          const state = remaining[0]
          const relationship = this.waitingKeys(state, pending).find((key) => !isNullableForeignKey(key))!
          const target = stateOf(state.related[relationship.name])!
          throw FlushError.circularDependency(state.describe(), `${mapper.name}.${relationship.name}`, target.describe(), [describeForeignKey(relationship)])
        }
        ready = [breaker]
      }
      await this.insertBatch(mapper, ready)
      remaining = remaining.filter((state) => !this.inserted.has(state))
    }
  }

  /**
   * Writes the foreign keys {@link deferForeignKey} left out: one UPDATE per row, in the order the rows
   * were written, once every row they point at exists. No update events fire, as for SQLAlchemy's
   * post_update; `@updatedAt` is set only on a row this flush has not written yet.
   */
  private async writePostUpdates(postUpdates: readonly PostUpdate[]): Promise<void> {
    const byRow = new Map<InstanceState, PostUpdate[]>()
    for (const postUpdate of postUpdates) {
      const list = byRow.get(postUpdate.state)
      if (list === undefined) byRow.set(postUpdate.state, [postUpdate])
      else list.push(postUpdate)
    }
    for (const [state, keys] of byRow) {
      const mapper = state.mapper
      const record = this.written.get(state)
      const keyValues = mapper.primaryKey.map((column) => (record === undefined ? state.storedValue(column.name) : record.values[column.name]))
      const columns: ColumnInfo[] = []
      const before: Record<string, unknown> = {}
      const assign = (column: ColumnInfo, value: unknown): void => {
        if (!(column.name in before)) before[column.name] = state.storedValue(column.name)
        state.rememberOriginal(column.name)
        this.set(state, column.name, value)
        if (!columns.includes(column)) columns.push(column)
      }
      for (const { relationship, target } of keys) {
        if (target.key === undefined && !this.written.has(target)) throw FlushError.targetNotInFlush(state.describe(), `${mapper.name}.${relationship.name}`, target.describe())
        relationship.local.forEach((column, i) => assign(column, target.dict[relationship.remote[i].name]))
      }
      if (record === undefined) for (const column of mapper.columns) if (column.definition.updatedAt) assign(column, timeFor(column, this.now))
      const result = await this.session.write(mapper, {
        kind: 'update',
        table: mapper.tableNode,
        set: columns.map((column) => [column.node, sql.value(state.dict[column.name] ?? null, column.type)] as const),
        where: mapper.primaryKeyCondition(keyValues),
      })
      if (result.changes !== 1) throw StaleDataError.rowCount('UPDATE', mapper.table, 1, result.changes)
      if (record === undefined) {
        this.updated.push(state)
        this.written.set(state, { version: state.version, values: { ...state.dict }, originals: { ...state.committed } })
        continue
      }
      for (const column of columns) {
        record.values[column.name] = state.dict[column.name]
        if (state.key !== undefined && !(column.name in record.originals)) record.originals[column.name] = before[column.name]
      }
    }
  }

  /**
   * Before rows are deleted: each one's nullable foreign keys among `relationships` that point at a row
   * of `doomed` (deleted in this flush, possibly before it) are set to NULL with one UPDATE per row.
   */
  private async releaseKeysInto(mapper: Mapper, states: readonly InstanceState[], relationships: readonly Relationship[], doomed: ReadonlySet<InstanceState>): Promise<void> {
    const identityMap = this.session.identityMap
    for (const state of states) {
      const columns: ColumnInfo[] = []
      for (const relationship of relationships) {
        if (!isNullableForeignKey(relationship)) continue
        const values = relationship.local.map((column) => state.storedValue(column.name))
        if (values.some((value) => value === null || value === undefined)) continue
        if (relationship.remoteIsPrimaryKey) {
          const target = identityMap.get(relationship.mapper, relationship.mapper.identityKey(relationship.localInKeyOrder.map((column) => state.storedValue(column.name))))
          if (target === undefined || !doomed.has(target)) continue
        } else if (![...doomed].some((target) => target.mapper === relationship.mapper && relationship.remote.every((column, i) => column.equals(target.storedValue(column.name), values[i])))) continue
        for (const column of relationship.local) if (!columns.includes(column)) columns.push(column)
      }
      if (columns.length === 0) continue
      const result = await this.session.write(mapper, {
        kind: 'update',
        table: mapper.tableNode,
        set: columns.map((column) => [column.node, sql.value(null, column.type)] as const),
        where: mapper.primaryKeyCondition(mapper.primaryKey.map((column) => state.storedValue(column.name))),
      })
      if (result.changes !== 1) throw StaleDataError.rowCount('UPDATE', mapper.table, 1, result.changes)
    }
  }

  private async insertBatch(mapper: Mapper, states: InstanceState[]): Promise<void> {
    if (this.listens(mapper, 'beforeInsert')) await this.dispatch(mapper, 'beforeInsert', states)
    const shapes = new Map<string, { columns: ColumnInfo[]; states: InstanceState[] }>()
    for (const state of states) {
      this.syncForeignKeys(state)
      if (state.changedRelationships !== null) await this.releaseOneToOne(state)
      this.applyDefaults(state)
      let shape = ''
      for (const column of mapper.columns) shape += state.dict[column.name] === undefined ? '0' : '1'
      let group = shapes.get(shape)
      if (group === undefined) {
        group = { columns: mapper.columns.filter((column) => state.dict[column.name] !== undefined), states: [] }
        shapes.set(shape, group)
      }
      group.states.push(state)
    }
    for (const { columns, states: group } of shapes.values()) await this.insertShape(mapper, columns, group)
    if (this.listens(mapper, 'afterInsert')) await this.dispatch(mapper, 'afterInsert', states)
  }

  private async insertShape(mapper: Mapper, columns: ColumnInfo[], states: InstanceState[]): Promise<void> {
    const generated = mapper.columns.filter((column) => column.serverGenerated && !columns.includes(column))
    const pkGenerated = mapper.primaryKey.some((column) => generated.includes(column))
    // RETURNING rows are matched back to objects by primary key: sorted when the key is an
    // increasing integer assigned by the database, looked up when the key was sent.
    const sortable = mapper.primaryKey.length === 1 && mapper.primaryKey[0].definition.default?.kind === 'autoincrement'
    const returning = generated.length > 0 ? [...new Set([...mapper.primaryKey, ...generated])] : []
    const perRow = Math.max(columns.length, 1)
    let rowsPerStatement = Math.max(1, Math.min(MAX_ROWS_PER_INSERT, Math.floor(this.session.dialectOf(mapper).maxParameters / perRow)))
    // DEFAULT VALUES inserts one row; a generated key that is not an increasing integer cannot be matched back.
    if (columns.length === 0 || (pkGenerated && !sortable)) rowsPerStatement = 1
    const columnNodes: ColumnNode[] = columns.map((column) => column.node)
    for (let start = 0; start < states.length; start += rowsPerStatement) {
      const chunk = states.slice(start, start + rowsPerStatement)
      const rows: ValueNode[][] = chunk.map((state) => columns.map((column) => sql.value(state.dict[column.name] ?? null, column.type)))
      const node: InsertNode = {
        kind: 'insert',
        into: mapper.tableNode,
        columns: columnNodes,
        rows,
        returning: returning.length > 0 ? returning.map((column) => column.node) : undefined,
      }
      const exact = returning.some((column) => column.type === 'BigInt')
      // What is written, taken before the statement's await: a change made meanwhile stays pending.
      const written = chunk.map((state) => ({ version: state.version, values: { ...state.dict }, originals: {} }))
      const result = await this.session.write(mapper, node, exact)
      if (returning.length > 0) this.assignReturned(mapper, chunk, returning, result.rows, pkGenerated)
      chunk.forEach((state, i) => {
        const record = written[i]
        // Generated values came back from the database: they are what it holds.
        for (const column of returning) record.values[column.name] = state.dict[column.name]
        this.inserted.add(state)
        this.written.set(state, record)
      })
    }
  }

  private assignReturned(
    mapper: Mapper,
    states: InstanceState[],
    returning: ColumnInfo[],
    rows: readonly (readonly unknown[])[],
    pkGenerated: boolean,
  ): void {
    const dialect = this.session.dialectOf(mapper)
    const decoders = returning.map((column) => dialect.decoder(column.type))
    const decoded = rows.map((row) => row.map((value, i) => decoders[i](value)))
    const pkPositions = mapper.primaryKey.map((column) => returning.indexOf(column))
    const keyOf = (row: unknown[]): unknown => mapper.identityKey(pkPositions.map((position) => row[position]))
    let matched: (unknown[] | undefined)[]
    if (pkGenerated) {
      if (states.length > 1) decoded.sort((a, b) => compareKeys(a[pkPositions[0]], b[pkPositions[0]]))
      matched = decoded
    } else {
      const byKey = new Map(decoded.map((row) => [keyOf(row), row]))
      matched = states.map((state) => byKey.get(mapper.identityKeyOf(state.dict)))
    }
    states.forEach((state, i) => {
      const row = matched[i]
      if (row === undefined) return
      returning.forEach((column, j) => this.set(state, column.name, row[j]))
    })
  }

  private async update(state: InstanceState): Promise<void> {
    this.syncForeignKeys(state)
    if (state.changedRelationships !== null) await this.releaseOneToOne(state)
    const mapper = state.mapper
    const changed = state.changedColumns()
    if (changed.length === 0) return
    for (const column of mapper.columns) {
      if (column.definition.updatedAt && !changed.includes(column.name)) {
        state.rememberOriginal(column.name)
        this.set(state, column.name, timeFor(column, this.now))
        changed.push(column.name)
      }
    }
    const committed = state.committed!
    const keyValues = mapper.primaryKey.map((column) => state.storedValue(column.name))
    // What is written, taken before the statement's await: a change made meanwhile stays pending.
    const written = { version: state.version, values: { ...state.dict }, originals: { ...committed } }
    const result = await this.session.write(mapper, {
      kind: 'update',
      table: mapper.tableNode,
      set: changed.map((name) => {
        const column = mapper.column(name)
        return [column.node, sql.value(state.dict[name] ?? null, column.type)] as const
      }),
      where: mapper.primaryKeyCondition(keyValues),
    })
    if (result.changes !== 1) throw StaleDataError.rowCount('UPDATE', mapper.table, 1, result.changes)
    this.updated.push(state)
    this.written.set(state, written)
    if (this.listens(mapper, 'afterUpdate')) await this.dispatch(mapper, 'afterUpdate', [state])
  }

  /**
   * The rows of one table to delete, in statements that never remove a row before the rows that
   * refer to it through a self-referential foreign key (children first, as SQLAlchemy orders them),
   * so that an ON DELETE RESTRICT key holds. A table without such a key is one level. Rows that refer
   * to each other in a cycle come last, as one level, also kept in `rowCycle`.
   */
  private deleteLevels(mapper: Mapper, states: InstanceState[]): InstanceState[][] {
    const selfKeys = selfKeysOf(mapper)
    if (selfKeys.length === 0 || states.length < 2) return [states]
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
        this.rowCycle = remaining
        break
      }
      levels.push(leaves)
      remaining = remaining.filter((state) => referenced.has(state.key))
    }
    return levels
  }

  private async deleteAll(mapper: Mapper, states: InstanceState[]): Promise<void> {
    if (this.listens(mapper, 'beforeDelete')) await this.dispatch(mapper, 'beforeDelete', states)
    for (const level of this.deleteLevels(mapper, states)) {
      // Rows that refer to each other: their nullable keys into the cycle go first, so no row is removed while another still refers to it.
      if (level === this.rowCycle) await this.releaseKeysInto(mapper, level, selfKeysOf(mapper), new Set(level))
      await this.deleteRows(mapper, level)
    }
    if (this.listens(mapper, 'afterDelete')) await this.dispatch(mapper, 'afterDelete', states)
  }

  /** DELETEs rows by primary key, as many per statement as the dialect's parameter limit allows. */
  private async deleteRows(mapper: Mapper, states: readonly InstanceState[]): Promise<void> {
    const perRow = mapper.primaryKey.length
    const rowsPerStatement = Math.max(1, Math.floor(this.session.dialectOf(mapper).maxParameters / perRow))
    for (let start = 0; start < states.length; start += rowsPerStatement) {
      const chunk = states.slice(start, start + rowsPerStatement)
      const keys = chunk.map((state) => mapper.primaryKey.map((column) => state.storedValue(column.name)))
      const where: ConditionNode =
        perRow === 1
          ? sql.in(mapper.primaryKey[0].node, keys.map((key) => sql.value(key[0], mapper.primaryKey[0].type)))
          : sql.or(keys.map((key) => mapper.primaryKeyCondition(key)))
      const result = await this.session.write(mapper, { kind: 'delete', from: mapper.tableNode, where })
      // As SQLAlchemy (without a version column): a DELETE that matched fewer rows only warns, the rows are gone either way.
      if (result.changes !== chunk.length) process.emitWarning(StaleDataError.rowCount('DELETE', mapper.table, chunk.length, result.changes).message, { code: 'PRISMALCHEMY_STALE_DELETE' })
    }
  }

  /** After every statement succeeded: pending becomes persistent, deleted becomes deleted, changes are forgotten. */
  private commitStates(): void {
    const session = this.session
    const identityMap = session.identityMap
    for (const [state, replaced] of this.switches) {
      identityMap.remove(replaced)
      replaced.deleted = true
      session.deletedStates.delete(replaced)
      session.dirtyStates.delete(replaced)
      this.transaction.deleted.push(replaced)
      this.inserted.add(state)
    }
    for (const state of this.inserted) {
      state.key = state.mapper.identityKeyOf(state.dict)
      identityMap.add(state)
      session.newStates.delete(state)
      state.unsavedMembers = null
      this.transaction.inserted.push(state)
      this.settle(state)
    }
    for (const state of this.updated) {
      this.transaction.rememberOriginals(state, this.written.get(state)!.originals)
      const key = state.mapper.identityKeyOf(this.written.get(state)!.values)
      if (key !== state.key) {
        identityMap.remove(state)
        state.key = key
        identityMap.add(state)
      }
      this.settle(state)
    }
    // Dirty objects with nothing to write are clean now, unless they changed while the flush ran.
    const deleting = this.deleting.length > 0 ? new Set(this.deleting) : null
    for (const [state, version] of this.dirtyAtStart) {
      // A deleted object keeps its unflushed changes: a rollback of the DELETE shows the stored row again from them.
      if (this.written.has(state) || state.version !== version || deleting?.has(state) === true) continue
      state.clearModifications()
      session.dirtyStates.delete(state)
    }
    const deleted = this.switches.size > 0 ? this.deleting.filter((state) => !this.switchedOut(state)) : this.deleting
    for (const state of deleted) {
      identityMap.remove(state)
      state.deleted = true
      session.deletedStates.delete(state)
      session.dirtyStates.delete(state)
      this.transaction.deleted.push(state)
    }
    if (deleted.length > 0) reflectDatabaseDeletes(session, this.transaction, deleted)
  }

  /**
   * A written object is clean, unless it changed after its statement was built: then what the
   * database holds now becomes its committed state, and the newer values stay pending.
   */
  private settle(state: InstanceState): void {
    const written = this.written.get(state)!
    if (state.version === written.version) {
      state.clearModifications()
      this.session.dirtyStates.delete(state)
      return
    }
    const committed: Record<string, unknown> = {}
    for (const column of state.mapper.columns) {
      const before = written.values[column.name]
      if (!column.equals(before, state.dict[column.name])) committed[column.name] = before
    }
    state.committed = Object.keys(committed).length > 0 ? committed : null
    this.session.markModified(state)
  }
}
