// A reference model of SQLAlchemy's Session for the model-based test (session-model.test.ts): what the
// database holds (committed, and inside the transaction after flushes), which objects the session
// tracks and in which state, and what their columns must read. Derived from SQLAlchemy's documented
// semantics (object states, autoflush, flush, commit, rollback, begin_nested, expunge), with only the
// differences prismalchemy's README lists ("Differences from SQLAlchemy") taken as intended.
//
// Deliberately independent of prismalchemy: nothing here imports the runtime.

export type Kind = 'Parent' | 'Child'
export type ObjectStateName = 'transient' | 'pending' | 'persistent' | 'deleted' | 'detached'

/** One row: `parentId` is always null for a Parent. */
export interface Row {
  readonly id: number
  name: string
  parentId: number | null
}

/** The rows of both tables, by primary key. */
export interface Rows {
  readonly Parent: Map<number, Row>
  readonly Child: Map<number, Row>
}

export function emptyRows(): Rows {
  return { Parent: new Map(), Child: new Map() }
}

export function cloneRows(rows: Rows): Rows {
  const copy = (map: Map<number, Row>) => new Map([...map].map(([id, row]) => [id, { ...row }]))
  return { Parent: copy(rows.Parent), Child: copy(rows.Child) }
}

/** Rows as a sorted plain list, for comparing with what the driver reads. */
export function rowList(rows: Rows): { table: Kind; id: number; name: string; parentId: number | null }[] {
  const out: { table: Kind; id: number; name: string; parentId: number | null }[] = []
  for (const table of ['Parent', 'Child'] as const) {
    for (const id of [...rows[table].keys()].sort((a, b) => a - b)) {
      const row = rows[table].get(id)!
      out.push({ table, id, name: row.name, parentId: table === 'Parent' ? null : row.parentId })
    }
  }
  return out
}

/** Whether an object's attributes are expired (SQLAlchemy: the next get/query reloads them with SQL). */
export type Expired = 'no' | 'yes' | 'maybe'

/** The model of one mapped object (the real object is `real`). */
export class ModelObject {
  private static nextUid = 1
  readonly uid = ModelObject.nextUid++
  /** Primary key once its INSERT was flushed (or it was loaded). */
  key: number | undefined = undefined
  /** In the session (session._new, identity map, or flushed-deleted). */
  attached = false
  /** session.delete() called, not flushed yet (still persistent, still in the identity map). */
  marked = false
  /** Its DELETE was flushed, not committed yet (state "deleted"). */
  flushedDeleted = false
  /** Transaction level (0 outer, n = n-th savepoint) whose flush inserted / deleted the row; null when none in this transaction. */
  insertedLevel: number | null = null
  deletedLevel: number | null = null
  /** Column `name` changed since the last flush (persistent or detached). */
  modifiedName = false
  /** Child only: `child.parent = x` assigned since the last flush (undefined: not assigned). */
  assigned: ModelObject | null | undefined = undefined
  /** Child only: what `child.parent` answers from memory (undefined: not loaded). */
  parentCache: ModelObject | null | undefined = undefined
  /** Child only: the in-memory relationship may disagree with the foreign key (ON DELETE SET NULL, savepoint rollback): not checked. */
  relationshipSuspect = false
  expired: Expired = 'no'
  /** After a rollback made it transient again, parentId is unspecified (SQLAlchemy keeps the flushed value). */
  parentIdUnknown = false
  /** Its flushed DELETE was rolled back (only used to switch a check off, see PRISMALCHEMY_MBT_SKIP). */
  restoredFromDelete = false
  /** Its row was (perhaps) read after the transaction wrote: values that a rollback may have undone. */
  readInTx = false
  /**
   * After a rollback, the columns of an object read after the transaction wrote are expired: reading
   * one throws until a query or get reloads it (prismalchemy never serves values of a rolled-back
   * transaction; SQLAlchemy reloads them on access). A read that does not throw must show the row.
   */
  mayBeExpired = false

  constructor(
    readonly kind: Kind,
    readonly real: object,
    public name: string,
    public parentId: number | null,
  ) {}

  get state(): ObjectStateName {
    if (this.key === undefined) return this.attached ? 'pending' : 'transient'
    if (!this.attached) return 'detached'
    return this.flushedDeleted ? 'deleted' : 'persistent'
  }

  /** In the identity map: persistent (including marked for deletion, not yet flushed). */
  get inIdentityMap(): boolean {
    return this.attached && this.key !== undefined && !this.flushedDeleted
  }

  describe(): string {
    return `${this.kind}#${this.uid}(${this.key === undefined ? 'no key' : `id=${this.key}`}, ${this.state}${this.marked ? ', marked for delete' : ''}, name=${JSON.stringify(this.name)})`
  }
}

/** Raised when the system under test answers something the model says it must not. */
export class ModelMismatch extends Error {
  override name = 'ModelMismatch'
}

export class ReferenceModel {
  /** True once a flush of the current transaction wrote something. */
  txWrote = false
  committed: Rows = emptyRows()
  /** What the transaction sees (flushed); equals `committed` outside a transaction. */
  tx: Rows = emptyRows()
  /** Notes that a statement of the transaction may have read `obj`'s row (see `ModelObject.readInTx`); a reload clears expiry. */
  read(obj: ModelObject): void {
    if (this.txWrote) obj.readInTx = true
  }

  /** A query or get read `obj`'s row again: its columns are current, no longer expired. */
  reloaded(obj: ModelObject): void {
    this.read(obj)
    obj.mayBeExpired = false
  }

  /** Snapshots of `tx` taken at each beginNested(), innermost last. */
  savepoints: Rows[] = []
  readonly objects: ModelObject[] = []

  get level(): number {
    return this.savepoints.length
  }

  identityMapSize(): number {
    return this.objects.filter((o) => o.inIdentityMap).length
  }

  inIdentityMap(kind: Kind, key: number): ModelObject | undefined {
    return this.objects.find((o) => o.kind === kind && o.key === key && o.inIdentityMap)
  }

  byReal(real: unknown): ModelObject | undefined {
    return this.objects.find((o) => o.real === real)
  }

  /** A new transient object. */
  create(kind: Kind, real: object, name: string): ModelObject {
    const obj = new ModelObject(kind, real, name, null)
    this.objects.push(obj)
    return obj
  }

  /** session.add(): transient -> pending, detached -> persistent. */
  add(obj: ModelObject): void {
    obj.attached = true
  }

  /** Whether some object in the session has an unflushed `child.parent = target`. */
  isAssignmentTarget(target: ModelObject): boolean {
    return this.objects.some((o) => o.attached && o.assigned === target)
  }

  /** An object the session returned from SQL: the tracked one for its identity, or a newly loaded persistent object. */
  adopt(kind: Kind, real: object & { id?: unknown }, what: string): ModelObject {
    const known = this.byReal(real)
    if (known !== undefined) {
      if (!known.inIdentityMap) throw new ModelMismatch(`${what} returned ${known.describe()}, which is not in the identity map`)
      return known
    }
    const key = real.id
    if (typeof key !== 'number') throw new ModelMismatch(`${what} returned a ${kind} without a numeric id (${String(key)})`)
    const existing = this.inIdentityMap(kind, key)
    if (existing !== undefined) throw new ModelMismatch(`${what} returned a second ${kind} object for id=${key}; the identity map holds ${existing.describe()}`)
    const row = this.tx[kind].get(key)
    if (row === undefined) throw new ModelMismatch(`${what} returned ${kind} id=${key}, but the transaction holds no such row`)
    const obj = new ModelObject(kind, real, row.name, row.parentId)
    obj.key = key
    obj.attached = true
    obj.readInTx = this.txWrote
    this.objects.push(obj)
    return obj
  }

  /**
   * A flush: INSERTs of pending objects (ids from the database, read through `idOf`), foreign keys of
   * assigned relationships, UPDATEs of changed columns, DELETEs of marked objects with the database's
   * ON DELETE SET NULL reflected on the children in the session.
   */
  flush(idOf: (obj: ModelObject) => unknown): void {
    const level = this.level
    const pending = this.objects.filter((o) => o.state === 'pending')
    if (pending.length > 0 || this.objects.some((o) => o.inIdentityMap && (o.marked || o.modifiedName || o.assigned !== undefined))) this.txWrote = true
    for (const kind of ['Parent', 'Child'] as const) {
      for (const obj of pending.filter((o) => o.kind === kind)) {
        if (kind === 'Child' && obj.assigned !== undefined) obj.parentId = this.resolveAssignment(obj)
        obj.assigned = undefined
        const id = idOf(obj)
        if (typeof id !== 'number') throw new ModelMismatch(`after flush, ${obj.describe()} has id ${String(id)}`)
        if (this.tx[kind].has(id)) throw new ModelMismatch(`flush inserted ${kind} id=${id}, but that row already exists`)
        obj.key = id
        obj.insertedLevel = level
        obj.modifiedName = false
        this.tx[kind].set(id, { id, name: obj.name, parentId: kind === 'Child' ? obj.parentId : null })
      }
    }
    for (const obj of this.objects) {
      if (!obj.inIdentityMap || obj.marked) continue
      const row = this.tx[obj.kind].get(obj.key!)
      if (row === undefined) throw new ModelMismatch(`model: persistent ${obj.describe()} has no row`)
      if (obj.modifiedName) row.name = obj.name
      obj.modifiedName = false
      if (obj.kind === 'Child' && obj.assigned !== undefined) {
        obj.parentId = this.resolveAssignment(obj)
        row.parentId = obj.parentId
      }
      obj.assigned = undefined
    }
    // Children first (the foreign-key order): a child deleted in the same flush as its parent is not set to NULL.
    const marked = this.objects.filter((o) => o.inIdentityMap && o.marked)
    for (const obj of [...marked.filter((o) => o.kind === 'Child'), ...marked.filter((o) => o.kind === 'Parent')]) {
      this.tx[obj.kind].delete(obj.key!)
      obj.marked = false
      obj.flushedDeleted = true
      obj.deletedLevel = level
      obj.modifiedName = false
      obj.assigned = undefined
      if (obj.kind === 'Parent') {
        for (const row of this.tx.Child.values()) {
          if (row.parentId !== obj.key) continue
          row.parentId = null
          for (const child of this.objects) {
            if (child.kind === 'Child' && child.key === row.id && child.inIdentityMap) {
              child.parentId = null
              child.relationshipSuspect = true
            }
          }
        }
      }
    }
  }

  private resolveAssignment(child: ModelObject): number | null {
    const target = child.assigned
    if (target === null || target === undefined) return null
    if (target.key === undefined || !target.inIdentityMap) throw new Error(`model: ${child.describe()} is assigned to ${target.describe()}, which has no row (the test must not generate this)`)
    return target.key
  }

  /** COMMIT (after the flush): deleted objects become detached, everything in the session expires. */
  commit(): void {
    this.committed = cloneRows(this.tx)
    this.savepoints = []
    this.txWrote = false
    for (const obj of this.objects) {
      obj.readInTx = false
      obj.insertedLevel = null
      obj.deletedLevel = null
      if (obj.attached && obj.flushedDeleted) {
        obj.attached = false
        obj.flushedDeleted = false
      }
      if (obj.attached && obj.key !== undefined) this.expire(obj, 'yes')
    }
  }

  private expire(obj: ModelObject, how: Expired): void {
    obj.expired = how
    if (how === 'yes') {
      obj.parentCache = undefined
      obj.relationshipSuspect = false
    } else {
      obj.relationshipSuspect = true
    }
  }

  /**
   * ROLLBACK (level 0) or ROLLBACK TO SAVEPOINT (level n): SQLAlchemy's `_restore_snapshot`. Objects
   * inserted at this level or deeper and pending objects become transient, deleted ones (and marked
   * ones) persistent again, and every persistent object in the session takes the row's values back
   * (SQLAlchemy expires them; prismalchemy restores them, the same values). Detached objects are not
   * touched: they are not in the session.
   */
  rollbackTo(level: number, closing = false): void {
    if (level === 0) {
      this.tx = cloneRows(this.committed)
      this.savepoints = []
      this.txWrote = false
      for (const obj of this.objects) {
        if (obj.readInTx && obj.key !== undefined && obj.insertedLevel === null) obj.mayBeExpired = true
        obj.readInTx = false
      }
    } else {
      this.tx = this.savepoints[level - 1]!
      this.savepoints = this.savepoints.slice(0, level - 1)
    }
    for (const obj of this.objects) {
      if (obj.insertedLevel !== null && obj.insertedLevel >= level) {
        obj.key = undefined
        obj.attached = false
        obj.marked = false
        obj.flushedDeleted = false
        obj.insertedLevel = null
        obj.deletedLevel = null
        obj.parentIdUnknown = true
        continue
      }
      if (obj.state === 'pending') {
        obj.attached = false
        continue
      }
      if (obj.flushedDeleted && obj.deletedLevel !== null && obj.deletedLevel >= level) {
        obj.restoredFromDelete = true
        obj.flushedDeleted = false
        obj.deletedLevel = null
      }
      obj.marked = false
      if (obj.inIdentityMap) {
        const row = this.tx[obj.kind].get(obj.key!)
        if (row === undefined) throw new Error(`model: after rollback, ${obj.describe()} has no row`)
        obj.name = row.name
        obj.parentId = row.parentId
        obj.modifiedName = false
        obj.assigned = undefined
        // close() does not expire what it detaches (SQLAlchemy's close), except the rows read after the
        // transaction wrote, whose columns prismalchemy expires (see ModelObject.mayBeExpired).
        if (!closing || obj.mayBeExpired) this.expire(obj, level === 0 ? 'yes' : 'maybe')
      }
      if (level === 0) {
        obj.insertedLevel = null
        obj.deletedLevel = null
      }
    }
  }

  /** begin_nested(): flush (done by the caller), then a SAVEPOINT. */
  beginNested(): void {
    this.savepoints.push(cloneRows(this.tx))
  }

  /** RELEASE SAVEPOINT (after the flush): what the savepoint did belongs to the enclosing level now. */
  releaseNested(): void {
    const level = this.level
    this.savepoints.pop()
    for (const obj of this.objects) {
      if (obj.insertedLevel === level) obj.insertedLevel = level - 1
      if (obj.deletedLevel === level) obj.deletedLevel = level - 1
    }
  }

  /** close(): rollback, then every object leaves the session. */
  close(): void {
    this.rollbackTo(0, true)
    for (const obj of this.objects) {
      obj.attached = false
      obj.marked = false
    }
  }

  /** expunge(): persistent -> detached, pending -> transient, deleted -> detached (SQLAlchemy forgets its deletion). */
  expunge(obj: ModelObject): void {
    obj.attached = false
    obj.marked = false
    if (obj.flushedDeleted) {
      obj.flushedDeleted = false
      obj.deletedLevel = null
    }
  }
}
