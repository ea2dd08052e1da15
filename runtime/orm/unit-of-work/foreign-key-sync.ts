/**
 * Foreign keys at flush (SQLAlchemy's `dependency.py` and `sync.py`): copied from the objects the
 * relationships point at, deferred to an UPDATE after the INSERTs to break a cycle (post_update),
 * and released (set to NULL) before a one-to-one moves or a referenced row is deleted.
 */
import { FlushError, StaleDataError } from '../../errors.js'
import { sql } from '../../sql/nodes.js'
import { storedTime } from './client-defaults.js'
import { cycleThrough, describeForeignKey, isNullableForeignKey } from './commit-order.js'
import type { FlushJournal } from './flush-journal.js'
import { backReferenceOf, type ColumnInfo, type Mapper, type Relationship } from '../mapper.js'
import type { SessionTransaction } from '../transaction/session-transaction.js'
import type { FlushContext } from '../session-context.js'
import { stateOf, type InstanceState } from '../state.js'

/** A foreign key the flush writes after the INSERTs: `state`'s `relationship`, to `target`'s key. */
interface PostUpdate {
  readonly state: InstanceState
  readonly relationship: Relationship
  readonly target: InstanceState
}

/** Whether `relationship` is the foreign-key side of a one-to-one: this side holds the key, and the other side is a single object. @internal */
export function holdsOneToOne(relationship: Relationship): boolean {
  if (!relationship.ownsForeignKey) return false
  const back = backReferenceOf(relationship)
  return back !== undefined && !back.uselist
}

/**
 * The foreign-key work of one flush, for the rows its persister writes.
 * @internal
 */
export class ForeignKeySync {
  /** {@link inserting} as a set, once a foreign key is deferred. */
  private insertingSet: Set<InstanceState> | null = null
  /** Foreign keys written by an UPDATE after the INSERTs, to break a cycle (SQLAlchemy's post_update); null until one is met. */
  private postUpdates: PostUpdate[] | null = null

  /**
   * @param inserting the new objects this flush inserts: a deferred key may point only at one of them.
   */
  constructor(
    private readonly ctx: FlushContext,
    private readonly transaction: SessionTransaction,
    private readonly journal: FlushJournal,
    private readonly inserting: readonly InstanceState[],
  ) {}

  /** Before `state`'s statement: the object a changed to-one relationship points at must already have its key. */
  syncForeignKeys(state: InstanceState): void {
    const changed = state.changedRelationships
    if (changed === null) return
    const journal = this.journal
    for (const name of changed) {
      const relationship = state.mapper.relationships.get(name)!
      if (!relationship.ownsForeignKey || !(name in state.related)) continue
      const target = stateOf(state.related[name])
      if (target !== undefined && target.key === undefined && !journal.inserted.has(target) && target.session !== this.ctx) {
        // Assigned through the other side's collection only, and never added (SQLAlchemy 2.0 warns and writes no key).
        process.emitWarning(`${target.describe()} is not in the session; ${state.describe()}.${name} is not saved. Add it to the session to save it.`, {
          code: 'PRISMALCHEMY_NOT_IN_SESSION',
        })
        continue
      }
      // Not written yet (a row switch counts as written: it took over an existing row).
      if (target !== undefined && target.key === undefined && !journal.written.has(target) && !this.knowsOwnKey(state, target, relationship)) {
        this.deferForeignKey(state, relationship, target)
        continue
      }
      relationship.local.forEach((column, i) => {
        const value = target === undefined ? null : target.dict[relationship.remote[i].name]
        if (column.equals(value, state.dict[column.name])) return
        state.rememberOriginal(column.name)
        journal.set(state, column.name, value)
      })
    }
  }

  /**
   * A one-to-one moves: before `state` takes `target` through a unique foreign key, the row that held
   * it lets go (`UPDATE ... SET fk = NULL WHERE fk = ?`), as SQLAlchemy nulls the previous holder it
   * finds in the other side's history; objects of the identity map that held it read null too.
   */
  releaseOneToOne(state: InstanceState): Promise<void> | undefined {
    const changed = state.changedRelationships
    // No promise when there is nothing to release (inside an async context every promise has a cost).
    if (changed === null) return undefined
    for (const name of changed) if (holdsOneToOne(state.mapper.relationships.get(name)!)) return this.releaseHolders(state, changed)
    return undefined
  }

  /** {@link releaseOneToOne} for `state`, whose `changed` relationships include a one-to-one. */
  private async releaseHolders(state: InstanceState, changed: Iterable<string>): Promise<void> {
    const mapper = state.mapper
    for (const name of changed) {
      const relationship = mapper.relationships.get(name)!
      if (!holdsOneToOne(relationship) || !relationship.local.every((column) => column.nullable)) continue
      const target = stateOf(state.related[name])
      if (target === undefined || target.key === undefined) continue
      const values = relationship.remote.map((column) => target.dict[column.name])
      const holds = relationship.local.map((column, i) => sql.binary(column.node, '=', sql.value(values[i], column.type)))
      const others = state.key === undefined ? holds : [...holds, sql.not(mapper.primaryKeyCondition(mapper.primaryKey.map((column) => state.storedValue(column.name))))]
      const result = await this.ctx.write(mapper, {
        kind: 'update',
        table: mapper.tableNode,
        set: relationship.local.map((column) => [column.node, sql.value(null, column.type)] as const),
        where: sql.and(others),
      })
      if (result.changes === 0) continue
      for (const other of this.ctx.identityMap.statesOf(mapper)) {
        if (other === state || !relationship.local.every((column, i) => column.equals(other.storedValue(column.name), values[i]))) continue
        const originals: Record<string, unknown> = {}
        for (const column of relationship.local) {
          originals[column.name] = other.storedValue(column.name)
          if (other.committed !== null && column.name in other.committed) other.committed[column.name] = null
          else this.journal.set(other, column.name, null)
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
    if (state.key === undefined) for (const column of relationship.local) if (state.dict[column.name] !== null) this.journal.set(state, column.name, null)
    ;(this.postUpdates ??= []).push({ state, relationship, target })
  }

  /**
   * A new row that refers to itself, with the referenced columns set before the INSERT (given, or
   * client defaults, applied here first): its INSERT can carry the key, no UPDATE needed.
   */
  private knowsOwnKey(state: InstanceState, target: InstanceState, relationship: Relationship): boolean {
    if (target !== state || relationship.remote.some((column) => column.serverGenerated)) return false
    this.journal.applyDefaults(state)
    return relationship.remote.every((column) => state.dict[column.name] !== undefined && state.dict[column.name] !== null)
  }

  /** True when foreign keys were deferred since the last {@link writePostUpdates}. */
  get hasPostUpdates(): boolean {
    return this.postUpdates !== null
  }

  /**
   * Writes the foreign keys deferred so far (see `deferForeignKey`): one UPDATE per row, in the order
   * the rows were written, once every row they point at exists. No update events fire, as for
   * SQLAlchemy's post_update; `@updatedAt` is set only on a row this flush has not written yet.
   */
  async writePostUpdates(): Promise<void> {
    const postUpdates = this.postUpdates ?? []
    this.postUpdates = null
    const journal = this.journal
    const byRow = new Map<InstanceState, PostUpdate[]>()
    for (const postUpdate of postUpdates) {
      const list = byRow.get(postUpdate.state)
      if (list === undefined) byRow.set(postUpdate.state, [postUpdate])
      else list.push(postUpdate)
    }
    for (const [state, keys] of byRow) {
      const mapper = state.mapper
      const record = journal.written.get(state)
      const keyValues = mapper.primaryKey.map((column) => (record === undefined ? state.storedValue(column.name) : record.values[column.name]))
      const columns: ColumnInfo[] = []
      const before: Record<string, unknown> = {}
      const assign = (column: ColumnInfo, value: unknown): void => {
        if (!(column.name in before)) before[column.name] = state.storedValue(column.name)
        state.rememberOriginal(column.name)
        journal.set(state, column.name, value)
        if (!columns.includes(column)) columns.push(column)
      }
      for (const { relationship, target } of keys) {
        if (target.key === undefined && !journal.written.has(target)) throw FlushError.targetNotInFlush(state.describe(), `${mapper.name}.${relationship.name}`, target.describe())
        relationship.local.forEach((column, i) => assign(column, target.dict[relationship.remote[i].name]))
      }
      if (record === undefined) for (const column of mapper.columns) if (column.definition.updatedAt) assign(column, storedTime(column, journal.now))
      const result = await this.ctx.write(mapper, {
        kind: 'update',
        table: mapper.tableNode,
        set: columns.map((column) => [column.node, sql.value(state.dict[column.name] ?? null, column.type)] as const),
        where: mapper.primaryKeyCondition(keyValues),
      })
      if (result.changes !== 1) throw StaleDataError.rowCount('UPDATE', mapper.table, 1, result.changes)
      if (record === undefined) {
        journal.updated.push(state)
        journal.written.set(state, { version: state.version, values: { ...state.dict }, originals: { ...state.committed } })
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
  async releaseKeysInto(mapper: Mapper, states: readonly InstanceState[], relationships: readonly Relationship[], doomed: ReadonlySet<InstanceState>): Promise<void> {
    const identityMap = this.ctx.identityMap
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
      const result = await this.ctx.write(mapper, {
        kind: 'update',
        table: mapper.tableNode,
        set: columns.map((column) => [column.node, sql.value(null, column.type)] as const),
        where: mapper.primaryKeyCondition(mapper.primaryKey.map((column) => state.storedValue(column.name))),
      })
      if (result.changes !== 1) throw StaleDataError.rowCount('UPDATE', mapper.table, 1, result.changes)
    }
  }
}
