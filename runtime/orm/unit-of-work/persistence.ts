/**
 * Persistence: the INSERT, UPDATE and DELETE statements of a flush, table by table (SQLAlchemy's
 * `persistence.py` `_save_obj`/`_delete_obj`, MikroORM's `ChangeSetPersister`): multi-row INSERTs
 * with generated values read back through RETURNING, changed-column UPDATEs, batched DELETEs.
 */
import type { Dialect } from '../../dialect/dialect.js'
import { InvalidRequestError, StaleDataError } from '../../errors.js'
import { sql, type ConditionNode } from '../../sql/nodes.js'
import { storedTime } from './client-defaults.js'
import { dispatchModelEvent, hasListeners, hasModelListeners, type ModelEventName } from '../event-registry.js'
import { deleteLevels, nextInsertLevel, selfKeysOf } from './flush-plan.js'
import type { FlushJournal } from './flush-journal.js'
import type { ForeignKeySync } from './foreign-key-sync.js'
import type { ColumnInfo, Mapper } from '../mapper.js'
import type { FlushContext } from '../session-context.js'
import type { InstanceState } from '../state.js'

/** The values `states` write to `columns`, row by row (unset ones as NULL). */
function insertedValues(states: readonly InstanceState[], columns: readonly ColumnInfo[]): unknown[][] {
  return states.map((state) => columns.map((column) => state.dict[column.name] ?? null))
}

/** True for an INSERT whose row count repeats from flush to flush (one row, or a full batch): its SQL is worth compiling once. */
function repeatsShape(chunk: readonly InstanceState[], rowsPerStatement: number): boolean {
  return chunk.length === 1 || chunk.length === rowsPerStatement
}

/** Rows per multi-row INSERT, below the dialect's parameter limit. */
const MAX_ROWS_PER_INSERT = 500

/**
 * How many rows of `columnCount` values one multi-row INSERT carries: at most 500, and never more
 * bind parameters than the dialect allows (1 for DEFAULT VALUES, which inserts one row).
 * @internal
 */
export function rowsPerInsert(dialect: Dialect, columnCount: number): number {
  if (columnCount === 0) return 1
  return Math.max(1, Math.min(MAX_ROWS_PER_INSERT, Math.floor(dialect.maxParameters / columnCount)))
}

function compareKeys(a: unknown, b: unknown): number {
  return a === b ? 0 : (a as number) < (b as number) ? -1 : 1
}

/**
 * Writes the rows of one flush. Every value it sets on an object goes through the flush's journal,
 * and every row it writes is recorded there.
 * @internal
 */
export class Persister {
  constructor(
    private readonly ctx: FlushContext,
    private readonly journal: FlushJournal,
    private readonly keys: ForeignKeySync,
  ) {}

  /** True when `mapper`'s class has listeners for `event` (checked first: an await with nothing to wait for would still yield). */
  private listens(mapper: Mapper, event: ModelEventName): boolean {
    return hasListeners() && hasModelListeners(mapper.modelClass, event)
  }

  /** Calls a model event's listeners for objects of `mapper`. */
  private dispatch(mapper: Mapper, event: ModelEventName, states: readonly InstanceState[]): Promise<void> {
    return dispatchModelEvent(
      mapper.modelClass,
      event,
      states.map((state) => state.obj),
      this.ctx,
    )
  }

  /** Inserts new rows of one table in levels, each after the rows its foreign keys point at (see `nextInsertLevel`). */
  insertAll(mapper: Mapper, states: InstanceState[]): Promise<void> {
    let level: InstanceState[]
    try {
      level = nextInsertLevel(mapper, states)
    } catch (error) {
      return Promise.reject(error)
    }
    // One level (no row of the table waits for another): the batch's own promise.
    return level.length === states.length ? this.insertBatch(mapper, level) : this.insertLevels(mapper, states, level)
  }

  /** {@link insertAll} over several levels, `first` the first of them. */
  private async insertLevels(mapper: Mapper, states: InstanceState[], first: InstanceState[]): Promise<void> {
    let level = first
    for (;;) {
      await this.insertBatch(mapper, level)
      const remaining = states.filter((state) => !this.journal.inserted.has(state))
      if (remaining.length === 0) return
      level = nextInsertLevel(mapper, remaining)
    }
  }

  /**
   * A row switch: `state` (new) takes the row of `replaced` (deleted in this flush) with one UPDATE
   * of the columns whose values differ, after the client defaults an INSERT would have applied.
   */
  async switchRow(state: InstanceState, replaced: InstanceState): Promise<void> {
    const mapper = state.mapper
    // The new object has no identity yet: insert events, as SQLAlchemy fires them for a row switch.
    if (this.listens(mapper, 'beforeInsert')) await this.dispatch(mapper, 'beforeInsert', [state])
    this.keys.syncForeignKeys(state)
    this.journal.applyDefaults(state)
    const changed = mapper.columns.filter((column) => !mapper.primaryKey.includes(column) && !column.equals(state.dict[column.name] ?? null, replaced.storedValue(column.name) ?? null))
    // What is written, taken before the statement's await: a change made meanwhile stays pending.
    const written = { version: state.version, values: { ...state.dict }, originals: {} }
    if (changed.length > 0) {
      const keyValues = mapper.primaryKey.map((column) => replaced.storedValue(column.name))
      const result = await this.ctx.write(mapper, {
        kind: 'update',
        table: mapper.tableNode,
        set: changed.map((column) => [column.node, sql.value(state.dict[column.name] ?? null, column.type)] as const),
        where: mapper.primaryKeyCondition(keyValues),
      })
      if (result.changes !== 1) throw StaleDataError.rowCount('UPDATE', mapper.table, 1, result.changes)
    }
    this.journal.written.set(state, written)
    if (this.listens(mapper, 'afterInsert')) await this.dispatch(mapper, 'afterInsert', [state])
  }

  private async insertBatch(mapper: Mapper, states: InstanceState[]): Promise<void> {
    if (this.listens(mapper, 'beforeInsert')) await this.dispatch(mapper, 'beforeInsert', states)
    const shapes = new Map<string, { columns: ColumnInfo[]; states: InstanceState[] }>()
    for (const state of states) {
      this.keys.syncForeignKeys(state)
      const releasing = this.keys.releaseOneToOne(state)
      if (releasing !== undefined) await releasing
      this.journal.applyDefaults(state)
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
    const dialect = this.ctx.dialectOf(mapper)
    if (generated.length > 0 && !dialect.supportsReturning) return this.insertReadingBack(mapper, columns, states, generated, pkGenerated && sortable)
    const returning = generated.length > 0 ? [...new Set([...mapper.primaryKey, ...generated])] : []
    let rowsPerStatement = rowsPerInsert(dialect, columns.length)
    // A generated key that is not an increasing integer cannot be matched back.
    if (pkGenerated && !sortable) rowsPerStatement = 1
    for (let start = 0; start < states.length; start += rowsPerStatement) {
      const chunk = states.slice(start, start + rowsPerStatement)
      const rows = insertedValues(chunk, columns)
      const options = { returning, cache: repeatsShape(chunk, rowsPerStatement) }
      // What is written, taken before the statement's await: a change made meanwhile stays pending.
      const written = chunk.map((state) => ({ version: state.version, values: { ...state.dict }, originals: {} }))
      const result = await this.ctx.writeCompiled(mapper, 'insert', (compiler, dialect) => mapper.insertQuery(compiler, dialect, columns, rows, options))
      if (returning.length > 0) this.assignReturned(mapper, chunk, returning, result.rows, pkGenerated)
      chunk.forEach((state, i) => {
        const record = written[i]
        // Generated values came back from the database: they are what it holds.
        for (const column of returning) record.values[column.name] = state.dict[column.name]
        this.journal.inserted.add(state)
        this.journal.written.set(state, record)
      })
    }
  }

  /**
   * Inserts rows with values the database generates on a database without RETURNING (MySQL/MariaDB),
   * as SQLAlchemy does there: one INSERT per row when the database assigns the key (the driver's last
   * insert id is that row's, and nothing assumes a multi-row INSERT's ids are consecutive), multi-row
   * INSERTs when the keys are known; then one SELECT by key, in the transaction, for the other
   * generated columns (`dbgenerated()` defaults). A generated key other than an auto-increment integer
   * cannot be read back: `InvalidRequestError` (`generated_key_unreadable`) before any SQL.
   */
  private async insertReadingBack(mapper: Mapper, columns: ColumnInfo[], states: InstanceState[], generated: ColumnInfo[], autoIncrementKey: boolean): Promise<void> {
    const key = mapper.primaryKey
    const unreadable = key.find((column) => generated.includes(column))
    if (unreadable !== undefined && !autoIncrementKey) throw InvalidRequestError.generatedKeyUnreadable(mapper.name, unreadable.name, this.ctx.dialectOf(mapper).name)
    const rowsPerStatement = autoIncrementKey ? 1 : rowsPerInsert(this.ctx.dialectOf(mapper), columns.length)
    const written = new Map<InstanceState, { version: number; values: Record<string, unknown>; originals: Record<string, unknown> }>()
    for (let start = 0; start < states.length; start += rowsPerStatement) {
      const chunk = states.slice(start, start + rowsPerStatement)
      const rows = insertedValues(chunk, columns)
      const options = { readInsertId: autoIncrementKey, cache: repeatsShape(chunk, rowsPerStatement) }
      // What is written, taken before the statement's await: a change made meanwhile stays pending.
      for (const state of chunk) written.set(state, { version: state.version, values: { ...state.dict }, originals: {} })
      const result = await this.ctx.writeCompiled(mapper, 'insert', (compiler, dialect) => mapper.insertQuery(compiler, dialect, columns, rows, options))
      if (autoIncrementKey) {
        const column = key[0]
        const id = result.lastInsertId
        if (id === undefined || id === '0') throw InvalidRequestError.generatedKeyUnreadable(mapper.name, column.name, this.ctx.dialectOf(mapper).name, 'the database reported no AUTO_INCREMENT id for the new row (is the column AUTO_INCREMENT?)')
        this.journal.set(chunk[0], column.name, column.scalar === 'BigInt' ? BigInt(id) : Number(id))
        written.get(chunk[0])!.values[column.name] = chunk[0].dict[column.name]
      }
    }
    const others = generated.filter((column) => !key.includes(column))
    if (others.length > 0) await this.readGenerated(mapper, states, others, written)
    for (const state of states) {
      this.journal.inserted.add(state)
      this.journal.written.set(state, written.get(state)!)
    }
  }

  /** Reads the generated `columns` of just-inserted `states` by key (one SELECT per 500 rows, in the transaction) and sets them. */
  private async readGenerated(mapper: Mapper, states: InstanceState[], columns: ColumnInfo[], written: Map<InstanceState, { values: Record<string, unknown> }>): Promise<void> {
    const selected = [...mapper.primaryKey, ...columns]
    for (let start = 0; start < states.length; start += MAX_ROWS_PER_INSERT) {
      const chunk = states.slice(start, start + MAX_ROWS_PER_INSERT)
      const where = sql.or(chunk.map((state) => mapper.primaryKeyCondition(mapper.primaryKey.map((column) => state.dict[column.name]))))
      const select = { kind: 'select', from: mapper.tableNode, selection: { kind: 'columns', columns: selected.map((column) => column.node) }, where, forUpdate: true } as const
      const result = await this.ctx.write(mapper, select, selected.some((column) => column.type === 'BigInt'))
      this.assignReturned(mapper, chunk, selected, result.rows, false)
      for (const state of chunk) for (const column of columns) written.get(state)!.values[column.name] = state.dict[column.name]
    }
  }

  /** Sets the generated values of RETURNING `rows` on the objects of `states`, matched by primary key. */
  private assignReturned(mapper: Mapper, states: InstanceState[], returning: ColumnInfo[], rows: readonly (readonly unknown[])[], pkGenerated: boolean): void {
    const dialect = this.ctx.dialectOf(mapper)
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
      returning.forEach((column, j) => this.journal.set(state, column.name, row[j]))
    })
  }

  /** Calls the `beforeUpdate` listeners of `mapper`'s class for the objects a flush updates; undefined (nothing to await) when it has none. */
  beforeUpdate(mapper: Mapper, states: readonly InstanceState[]): Promise<void> | undefined {
    return this.listens(mapper, 'beforeUpdate') ? this.dispatch(mapper, 'beforeUpdate', states) : undefined
  }

  /** UPDATEs the changed columns of a persistent object's row (nothing when none changed), then calls `afterUpdate` listeners. */
  async update(state: InstanceState): Promise<void> {
    this.keys.syncForeignKeys(state)
    const releasing = this.keys.releaseOneToOne(state)
    if (releasing !== undefined) await releasing
    const mapper = state.mapper
    const changed = state.changedColumns()
    if (changed.length === 0) return
    for (const column of mapper.columns) {
      if (column.definition.updatedAt && !changed.includes(column.name)) {
        state.rememberOriginal(column.name)
        this.journal.set(state, column.name, storedTime(column, this.journal.now))
        changed.push(column.name)
      }
    }
    const committed = state.committed!
    const keyValues = mapper.primaryKey.map((column) => state.storedValue(column.name))
    // What is written, taken before the statement's await: a change made meanwhile stays pending.
    const written = { version: state.version, values: { ...state.dict }, originals: { ...committed } }
    const result = await this.ctx.write(mapper, {
      kind: 'update',
      table: mapper.tableNode,
      set: changed.map((name) => {
        const column = mapper.column(name)
        return [column.node, sql.value(state.dict[name] ?? null, column.type)] as const
      }),
      where: mapper.primaryKeyCondition(keyValues),
    })
    if (result.changes !== 1) throw StaleDataError.rowCount('UPDATE', mapper.table, 1, result.changes)
    this.journal.updated.push(state)
    this.journal.written.set(state, written)
    if (this.listens(mapper, 'afterUpdate')) await this.dispatch(mapper, 'afterUpdate', [state])
  }

  /** DELETEs the rows of one table, children before the rows they refer to (see `deleteLevels`), between the table's delete events. */
  async deleteAll(mapper: Mapper, states: InstanceState[]): Promise<void> {
    if (this.listens(mapper, 'beforeDelete')) await this.dispatch(mapper, 'beforeDelete', states)
    const { levels, cycle } = deleteLevels(mapper, states)
    for (const level of levels) {
      // Rows that refer to each other: their nullable keys into the cycle go first, so no row is removed while another still refers to it.
      if (level === cycle) await this.keys.releaseKeysInto(mapper, level, selfKeysOf(mapper), new Set(level))
      await this.deleteRows(mapper, level)
    }
    if (this.listens(mapper, 'afterDelete')) await this.dispatch(mapper, 'afterDelete', states)
  }

  /** DELETEs rows by primary key, as many per statement as the dialect's parameter limit allows. */
  private async deleteRows(mapper: Mapper, states: readonly InstanceState[]): Promise<void> {
    const perRow = mapper.primaryKey.length
    const rowsPerStatement = Math.max(1, Math.floor(this.ctx.dialectOf(mapper).maxParameters / perRow))
    for (let start = 0; start < states.length; start += rowsPerStatement) {
      const chunk = states.slice(start, start + rowsPerStatement)
      const keys = chunk.map((state) => mapper.primaryKey.map((column) => state.storedValue(column.name)))
      const where: ConditionNode =
        perRow === 1
          ? sql.in(mapper.primaryKey[0].node, keys.map((key) => sql.value(key[0], mapper.primaryKey[0].type)))
          : sql.or(keys.map((key) => mapper.primaryKeyCondition(key)))
      const result = await this.ctx.write(mapper, { kind: 'delete', from: mapper.tableNode, where })
      // As SQLAlchemy (without a version column): a DELETE that matched fewer rows only warns, the rows are gone either way.
      if (result.changes !== chunk.length) process.emitWarning(StaleDataError.rowCount('DELETE', mapper.table, chunk.length, result.changes).message, { code: 'PRISMALCHEMY_STALE_DELETE' })
    }
  }
}
