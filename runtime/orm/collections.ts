/** Loaded collections and many-to-many links: what changed in memory, turned into foreign keys and join-table rows at flush. */
import { sql, type StatementNode } from '../sql/nodes.js'
import { identityKey } from './identity-key.js'
import type { Relationship } from './mapper.js'
import type { Model } from './model.js'
import { stateOf, type InstanceState } from './state.js'

/** One pending change to an implicit many-to-many join table. */
interface LinkChange {
  readonly relationship: Relationship
  readonly owner: InstanceState
  readonly target: InstanceState
  readonly insert: boolean
}

/** Where a tracked list reports the objects a mutation added and removed. */
type ChangeListener = (list: TrackedList, added: readonly Model[], removed: readonly Model[]) => void

/** A tracked list holding `items`, whose mutations call `listener` with what they added and removed. @internal */
export function listenedList(items: readonly Model[], listener: ChangeListener): TrackedList {
  const list = new TrackedList()
  for (let i = 0; i < items.length; i++) list[i] = items[i]
  TrackedList.listen(list, listener)
  return list
}

/** Objects in `after` and not in `before`. */
function difference(after: readonly Model[], before: readonly Model[]): Model[] {
  const known = new Set(before)
  return after.filter((obj) => !known.has(obj))
}

/**
 * A loaded to-many collection: a real array whose mutating methods (push, splice, ...) report what
 * they added and removed at once, like SQLAlchemy's InstrumentedList append/remove events, so the
 * other side of the relationship changes immediately. Element assignment by index (`list[0] = x`)
 * is not seen: use the methods.
 * @internal
 */
export class TrackedList extends Array<Model> {
  /**
   * Where mutations are reported; none: a plain array. A private field, so the list still looks like a
   * plain array, rather than a WeakMap entry: every loaded collection would be an ephemeron there, and
   * young ephemerons make each scavenge of a session that loads thousands of collections many times slower.
   */
  #listener: ChangeListener | undefined = undefined

  /** Methods like map() and filter() return plain arrays. */
  static override get [Symbol.species](): ArrayConstructor {
    return Array
  }

  /** Reports `list`'s mutations to `listener` from now on. */
  static listen(list: TrackedList, listener: ChangeListener): void {
    list.#listener = listener
  }

  /** The listener of `list`'s mutations, if any. */
  static listenerOf(list: TrackedList): ChangeListener | undefined {
    return list.#listener
  }
}

function mutator(name: 'push' | 'unshift' | 'pop' | 'shift' | 'splice' | 'sort' | 'reverse' | 'fill' | 'copyWithin') {
  const original = Array.prototype[name] as (...args: unknown[]) => unknown
  return function (this: TrackedList, ...args: unknown[]): unknown {
    const listener = TrackedList.listenerOf(this)
    if (listener === undefined) return original.apply(this, args)
    switch (name) {
      case 'push':
      case 'unshift': {
        const result = original.apply(this, args)
        listener(this, args as Model[], [])
        return result
      }
      case 'pop':
      case 'shift': {
        const result = original.apply(this, args) as Model | undefined
        if (result !== undefined) listener(this, [], [result])
        return result
      }
      case 'splice': {
        const removed = original.apply(this, args) as Model[]
        listener(this, args.slice(2) as Model[], removed)
        return removed
      }
      default: {
        // Reordering keeps the members; fill and copyWithin can change them.
        const before = [...this]
        const result = original.apply(this, args)
        listener(this, difference(this, before), difference(before, this))
        return result
      }
    }
  }
}

for (const name of ['push', 'unshift', 'pop', 'shift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin'] as const) {
  Object.defineProperty(TrackedList.prototype, name, { configurable: true, writable: true, value: mutator(name) })
}

/**
 * Per session: loaded to-many collections, whose mutations set the other side at once (a child's
 * foreign key, or a pending join-table link), and the many-to-many links to write at flush.
 */
export class CollectionTracker {
  private links: LinkChange[] = []
  /** Collections that were given something that is not a model object (e.g. null): the next flush refuses them. */
  private invalid: { readonly owner: InstanceState; readonly relationship: Relationship }[] = []

  /** Records a many-to-many link to add (`insert`) or remove, written at the next flush. */
  link(relationship: Relationship, owner: InstanceState, target: InstanceState, insert: boolean): void {
    this.links.push({ relationship, owner, target, insert })
    if (insert && target.session === null && owner.session !== null) owner.session.add(target.obj)
  }

  /** True when links are waiting to be written. */
  get hasLinkChanges(): boolean {
    return this.links.length > 0
  }

  /** Records that `owner.relationship` was given a value that is not a model object; see {@link checkMembers}. */
  noteInvalidMember(owner: InstanceState, relationship: Relationship): void {
    this.invalid.push({ owner, relationship })
  }

  /** The first collection given a non-model value since the last flush, if it still holds one (SQLAlchemy refuses it at flush). */
  invalidMember(): { readonly owner: InstanceState; readonly relationship: Relationship } | undefined {
    const found = this.invalid.find(({ owner, relationship }) => {
      const list = owner.related[relationship.name]
      return Array.isArray(list) && list.some((item) => stateOf(item) === undefined)
    })
    this.invalid = []
    return found
  }

  /**
   * The unflushed link changes of one owner's many-to-many collection, whichever side recorded them:
   * objects linked and unlinked since the last flush, for a collection loaded with autoflush off.
   */
  linkChangesOf(relationship: Relationship, owner: InstanceState): { readonly added: Model[]; readonly removed: Set<Model> } {
    const added: Model[] = []
    const removed = new Set<Model>()
    for (const change of this.links) {
      let other: InstanceState | undefined
      if (change.relationship === relationship && change.owner === owner) other = change.target
      else if (change.relationship.backPopulates === relationship.name && change.relationship.mapper === relationship.parent && change.target === owner) other = change.owner
      if (other === undefined) continue
      if (change.insert) {
        removed.delete(other.obj)
        if (!added.includes(other.obj)) added.push(other.obj)
      } else {
        const at = added.indexOf(other.obj)
        if (at >= 0) added.splice(at, 1)
        else removed.add(other.obj)
      }
    }
    return { added, removed }
  }

  /** True when `target` is `owner`'s child through `relationship` (a one-to-many), by assigned object or by key. */
  static pointsAt(owner: InstanceState, relationship: Relationship, target: InstanceState): boolean {
    const back = relationship.backPopulates
    if (back !== undefined && back in target.related) return target.related[back] === owner.obj
    return relationship.remote.every((column, i) => column.equals(target.value(column), owner.value(relationship.local[i])))
  }

  /**
   * Writes the join-table rows of the relationships `belongs` selects (one bind's), each pair once,
   * through `write`; the other links wait for their bind's turn.
   */
  async writeLinks(write: (relationship: Relationship, node: StatementNode) => Promise<unknown>, belongs: (relationship: Relationship) => boolean): Promise<void> {
    const pending = this.links.filter((change) => belongs(change.relationship))
    if (pending.length === 0) return
    this.links = this.links.filter((change) => !belongs(change.relationship))
    const net = new Map<string, LinkChange>()
    for (const change of pending) {
      // Keyed by the join-table row (A, B), whichever side recorded it.
      const secondary = change.relationship.secondary!
      const [a, b] = secondary.localColumn === 'A' ? [keyOf(change.owner, change.relationship), targetKeyOf(change.target, change.relationship)] : [targetKeyOf(change.target, change.relationship), keyOf(change.owner, change.relationship)]
      const [aColumn, bColumn] = secondary.localColumn === 'A' ? [change.relationship.local[0], change.relationship.remote[0]] : [change.relationship.remote[0], change.relationship.local[0]]
      const key = `${secondary.table}\u001f${identityKey([aColumn, bColumn], [a, b])}`
      const earlier = net.get(key)
      // An insert and a delete of the same pair in one flush cancel out.
      if (earlier !== undefined && earlier.insert !== change.insert) net.delete(key)
      else net.set(key, change)
    }
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
      await write(change.relationship, node)
    }
  }

  /** Forgets pending links (rollback). */
  reset(): void {
    if (this.links.length > 0) this.links = []
    if (this.invalid.length > 0) this.invalid = []
  }

}

function keyOf(owner: InstanceState, relationship: Relationship): unknown {
  return owner.value(relationship.local[0])
}

function targetKeyOf(target: InstanceState, relationship: Relationship): unknown {
  return target.value(relationship.remote[0])
}
