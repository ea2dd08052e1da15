/** Loaded collections and many-to-many links: what changed in memory, turned into foreign keys and join-table rows at flush. */
import type { DefaultCompiler } from '../sql/compiler.js'
import { sql } from '../sql/nodes.js'
import type { Relationship } from './mapper.js'
import type { Model } from './model.js'
import type { Session } from './session.js'
import type { SessionTransaction } from './session-transaction.js'
import { stateOf, type InstanceState } from './state.js'

/** One pending change to an implicit many-to-many join table. */
interface LinkChange {
  readonly relationship: Relationship
  readonly owner: InstanceState
  readonly target: InstanceState
  readonly insert: boolean
}

/**
 * Per session: snapshots of loaded to-many collections (so `(await role.users).push(user)` is
 * noticed at flush, as SQLAlchemy's instrumented lists are) and the many-to-many links to write.
 * @internal
 */
export class CollectionTracker {
  private readonly snapshots = new Map<InstanceState, Map<Relationship, Model[]>>()
  private links: LinkChange[] = []

  constructor(private readonly session: Session) {}

  /** Remembers what a collection held when it was loaded. */
  loaded(owner: InstanceState, relationship: Relationship, list: readonly Model[]): void {
    let byRelationship = this.snapshots.get(owner)
    if (byRelationship === undefined) {
      byRelationship = new Map()
      this.snapshots.set(owner, byRelationship)
    }
    byRelationship.set(relationship, [...list])
  }

  /** Records a many-to-many link to add (`insert`) or remove, written at the next flush. */
  link(relationship: Relationship, owner: InstanceState, target: InstanceState, insert: boolean): void {
    this.links.push({ relationship, owner, target, insert })
    if (insert && target.session === null && owner.session !== null) owner.session.add(target.obj)
  }

  /** True when links are waiting to be written. */
  get hasLinkChanges(): boolean {
    return this.links.length > 0
  }

  /**
   * Compares every loaded collection with its snapshot: an added object gets its side of the
   * relationship set (its foreign key, or a join-table link), a removed one loses it.
   */
  collectChanges(): void {
    for (const [owner, byRelationship] of this.snapshots) {
      if (owner.session !== this.session) {
        this.snapshots.delete(owner)
        continue
      }
      for (const [relationship, snapshot] of byRelationship) {
        const current = owner.related[relationship.name]
        if (!Array.isArray(current)) {
          byRelationship.delete(relationship)
          continue
        }
        const before = new Set(snapshot)
        const now = new Set(current as Model[])
        for (const obj of now) if (!before.has(obj)) this.added(owner, relationship, stateOf(obj)!)
        for (const obj of before) if (!now.has(obj)) this.removed(owner, relationship, stateOf(obj)!)
        byRelationship.set(relationship, [...(current as Model[])])
      }
    }
  }

  /** Writes join-table rows: deletions first, then insertions, each pair once. */
  async writeLinks(transaction: SessionTransaction, compiler: DefaultCompiler): Promise<void> {
    const pending = this.links
    this.links = []
    const net = new Map<string, LinkChange>()
    for (const change of pending) {
      const key = `${change.relationship.secondary!.table}\u001f${String(keyOf(change.owner, change.relationship))}\u001f${String(targetKeyOf(change.target, change.relationship))}`
      const earlier = net.get(key)
      // An insert and a delete of the same pair in one flush cancel out.
      if (earlier !== undefined && earlier.insert !== change.insert) net.delete(key)
      else net.set(key, change)
    }
    try {
      for (const change of net.values()) {
        const secondary = change.relationship.secondary!
        const ownerKey = keyOf(change.owner, change.relationship)
        const targetKey = targetKeyOf(change.target, change.relationship)
        const ownerType = change.relationship.local[0].type
        const targetType = change.relationship.remote[0].type
        const table = sql.table(secondary.table)
        const node = change.insert
          ? {
              kind: 'insert' as const,
              into: table,
              columns: [sql.column(secondary.localColumn), sql.column(secondary.remoteColumn)],
              rows: [[sql.value(ownerKey, ownerType), sql.value(targetKey, targetType)]],
            }
          : {
              kind: 'delete' as const,
              from: table,
              where: sql.and([
                sql.binary(sql.column(secondary.localColumn), '=', sql.value(ownerKey, ownerType)),
                sql.binary(sql.column(secondary.remoteColumn), '=', sql.value(targetKey, targetType)),
              ]),
            }
        await transaction.execute(compiler.compile(node))
      }
    } catch (error) {
      // Keep them for the retry after rollback() and a new flush.
      this.links = [...pending, ...this.links]
      throw error
    }
  }

  /** Forgets pending links (rollback) and snapshots (close). */
  reset(): void {
    this.links = []
    this.snapshots.clear()
  }

  private added(owner: InstanceState, relationship: Relationship, target: InstanceState): void {
    if (relationship.secondary !== undefined) this.link(relationship, owner, target, true)
    else if (relationship.backPopulates !== undefined) {
      target.setRelated(relationship.backPopulates, owner.obj)
      if (target.session === null && owner.session !== null) owner.session.add(target.obj)
    }
  }

  private removed(owner: InstanceState, relationship: Relationship, target: InstanceState): void {
    if (relationship.secondary !== undefined) this.link(relationship, owner, target, false)
    else if (relationship.backPopulates !== undefined) {
      const back = relationship.backPopulates
      // Only if it still points here: it may have been moved to another owner already.
      const pointsHere = back in target.related ? target.related[back] === owner.obj : relationship.remote.every((column, i) => target.dict[column.name] === owner.dict[relationship.local[i].name])
      if (pointsHere) target.setRelated(back, null)
    }
  }
}

function keyOf(owner: InstanceState, relationship: Relationship): unknown {
  return owner.dict[relationship.local[0].name]
}

function targetKeyOf(target: InstanceState, relationship: Relationship): unknown {
  return target.dict[relationship.remote[0].name]
}
