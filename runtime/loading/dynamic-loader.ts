/** The `dynamic` strategy: a collection exposed as a query to refine, plus append/remove (SQLAlchemy's AppenderQuery). */
import { DetachedInstanceError, InvalidRequestError } from '../errors.js'
import type { Relationship } from '../orm/mapper.js'
import type { Model } from '../orm/model.js'
import { CollectionTracker } from '../orm/collections.js'
import type { LoadContext } from '../orm/session-context.js'
import { stateOf, type InstanceState } from '../orm/state.js'
import { Query, type QuerySource, type QuerySpec } from '../query/query.js'
import { sql, type ConditionNode } from '../sql/nodes.js'
import type { LoaderStrategy } from './loader-strategy.js'
import { sessionOf } from '../orm/session-context.js'

/** The query source of a dynamic relationship: the parent's session, and the foreign-key criteria read at run time. */
class RelationshipSource implements QuerySource {
  constructor(
    readonly parent: InstanceState,
    readonly relationship: Relationship,
  ) {}

  get mapper() {
    return this.relationship.mapper
  }

  get declaredOrder() {
    return this.relationship.order
  }

  session(): LoadContext {
    const session = sessionOf(this.parent)
    if (session === null) throw DetachedInstanceError.cannotLoad(this.parent.describe(), this.relationship.name)
    return session
  }

  /**
   * A parent without a row (transient, or pending after an autoflush that did not run) has nothing
   * stored: the collection is what was appended in memory, as SQLAlchemy's AppenderQuery answers.
   * `flushed` says whether the session's autoflush had its chance; before it, only a parent outside
   * any session answers from memory.
   */
  inMemory(flushed: boolean): readonly Model[] | undefined {
    const parent = this.parent
    if (parent.key !== undefined || (!flushed && parent.session !== null)) return undefined
    return parent.unsavedMembers?.get(this.relationship.name) ?? []
  }

  criteria(): ConditionNode {
    const { local, remote, secondaryNodes } = this.relationship
    if (secondaryNodes !== undefined) {
      const key = this.parent.value(local[0])
      if (key == null) return sql.in(remote[0].node, [])
      // Implicit many-to-many: the related rows are those the join table pairs with this owner.
      return sql.inSelect(remote[0].node, {
        kind: 'select',
        from: secondaryNodes.table,
        selection: { kind: 'columns', columns: [secondaryNodes.remote] },
        where: sql.binary(secondaryNodes.local, '=', sql.value(key, local[0].type)),
      })
    }
    const values = local.map((column) => this.parent.value(column))
    // A parent without its key (pending, autoflush off) has no related rows yet: match nothing, not NULLs.
    if (values.some((value) => value == null)) return sql.in(remote[0].node, [])
    return sql.and(remote.map((column, i) => sql.binary(column.node, '=', sql.value(values[i], column.type))))
  }
}

/**
 * A `dynamic` relationship: a {@link Query} over the related rows that also accepts `append` and
 * `remove`. Both only change the related object's foreign-key side in memory; the next flush
 * (or the next query, through autoflush) writes them. A collection declared with `@orderBy(...)`
 * starts with that ORDER BY; `orderBy(...)` adds keys after it (as SQLAlchemy appends), and
 * `orderBy(null)` clears it.
 *
 * ### Examples
 * ```ts
 * role.users.append(new User({ username: 'ann' }))
 * const active = await role.users.filterBy({ active: true }).count()
 * ```
 */
export class DynamicRelationship<T extends Model> extends Query<T> {
  /** @internal */
  constructor(source: QuerySource, spec?: QuerySpec) {
    super(source, spec)
  }

  /** Adds `obj` to the collection: sets its side of the relationship, and adds it to the parent's session. */
  append(obj: T): void {
    const { parent, relationship } = this.relationshipSource()
    const child = this.childState(obj)
    if (parent.key === undefined) parent.addUnsavedMember(relationship.name, obj)
    if (relationship.secondary !== undefined) {
      // Without a session the link is recorded when the parent is added (with its in-memory members).
      const session = sessionOf(parent)
      if (session !== null) session.collections.link(relationship, parent, child, true)
      else if (parent.key !== undefined) throw DetachedInstanceError.cannotLoad(parent.describe(), relationship.name)
      return
    }
    child.setRelated(relationship.backPopulates!, parent.obj, false)
    if (parent.session !== null && child.session === null) parent.session.add(obj)
  }

  /** Removes `obj` from the collection: clears its side of the relationship (its foreign key becomes NULL at flush). */
  remove(obj: T): void {
    const { parent, relationship } = this.relationshipSource()
    if (parent.key === undefined) parent.removeUnsavedMember(relationship.name, obj)
    if (relationship.secondary !== undefined) {
      const session = sessionOf(parent)
      if (session !== null) session.collections.link(relationship, parent, this.childState(obj), false)
      else if (parent.key !== undefined) throw DetachedInstanceError.cannotLoad(parent.describe(), relationship.name)
      return
    }
    const child = this.childState(obj)
    // Not a member: nothing to change (SQLAlchemy records the removal, which writes nothing either).
    if (!CollectionTracker.pointsAt(parent, relationship, child)) return
    child.setRelated(relationship.backPopulates!, null, false)
  }

  private relationshipSource(): RelationshipSource {
    return this.source as RelationshipSource
  }

  private childState(obj: T): InstanceState {
    const state = stateOf(obj)
    if (state === undefined || state.mapper !== this.source.mapper) {
      throw InvalidRequestError.wrongDynamicMember(this.source.mapper.name, this.relationshipSource().relationship.name)
    }
    return state
  }
}

/** The `dynamic` loader strategy (SQLAlchemy's `lazy="dynamic"`). */
export const dynamicLoader: LoaderStrategy = {
  name: 'dynamic',
  accessor(relationship) {
    // A declared order (`@orderBy`) is the query's first ORDER BY; `orderBy(...)` adds keys after it, `orderBy(null)` clears it.
    const spec: QuerySpec | undefined = relationship.order.length > 0 ? Object.freeze({ where: Object.freeze([]), orderBy: relationship.order }) : undefined
    return { get: (state) => new DynamicRelationship(new RelationshipSource(state, relationship), spec) }
  },
}
