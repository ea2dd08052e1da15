/** A query's joins (`join`, `outerjoin`, and the outer joins an `orderBy` on a related column needs), and ordering by related columns. */
import { InvalidRequestError } from '../errors.js'
import type { Mapper, Relationship } from '../orm/mapper.js'
import type { RelatedModel, RelationNameOf } from '../orm/model.js'
import { sql, type JoinNode, type OrderByNode } from '../sql/nodes.js'
import { relatedAliases, relationshipJoins } from './relation-filter.js'

/** Sort direction. */
export type SortOrder = 'asc' | 'desc'

/**
 * A relationship path from model `T`: a relationship's name, or dotted through related models
 * (`'author.role'`), at most four levels deep (paths through cycles are endless).
 */
export type RelationPath<T, Depth extends unknown[] = []> = Depth['length'] extends 4
  ? never
  : { [N in RelationNameOf<T>]: N | `${N}.${RelationPath<RelatedModel<T, N>, [...Depth, unknown]>}` }[RelationNameOf<T>]

/** The to-one relationships of `R` (a model's relations: name to related model, an array for a to-many). */
type ToOneNames<R> = { [K in keyof R]: NonNullable<R[K]> extends readonly unknown[] ? never : K }[keyof R]

/**
 * Prisma-style ordering by columns `C` and by the columns of to-one relationships `R`, nested to any
 * depth: `{ username: 'asc' }`, `{ role: { name: 'asc' } }`. Any name, for a model typed `any`.
 */
export type OrderByObject<C, R = object> = 0 extends 1 & R
  ? { readonly [name: string]: SortOrder | OrderByObject<any, any> }
  : { [K in keyof C]?: SortOrder } & {
      [K in ToOneNames<R>]?: OrderByObject<ColumnsOfRelated<R[K]>, RelationsOfRelated<R[K]>>
    }

/** Column types of the model a to-one relationship leads to. */
type ColumnsOfRelated<V> = NonNullable<V> extends { readonly $columns: infer C } ? C : never
/** Relationships of the model a to-one relationship leads to. */
type RelationsOfRelated<V> = NonNullable<V> extends { readonly $relations: infer R } ? R : never

/** One relationship joined into a query's statement (not exported from an entry point, but named by public declarations). */
export interface QueryJoin {
  /** Its dotted path from the queried model (`'author.role'`). */
  readonly path: string
  readonly relationship: Relationship
  /** What qualifies the owner's columns in the ON clause: the queried table's name, or the parent join's alias. */
  readonly owner: string
  /** The related table's alias: `j1`, `j2`, ... in the order joins were added. */
  readonly alias: string
  /** A many-to-many's join table's alias: `js1`, `js2`, ... beside `alias`. */
  readonly link: string
  /** INNER JOIN (from `join()`), or LEFT OUTER JOIN (from `outerjoin()` or an `orderBy`). */
  readonly inner: boolean
}

/**
 * `joins` with every relationship on `path` joined (those already joined are kept, and made INNER
 * when `inner`: `join()` after `outerjoin()` of a path drops owners without the related row).
 * Returns the joins and the last one's alias.
 */
export function joinPath(mapper: Mapper, joins: readonly QueryJoin[], path: string, inner: boolean, usage: string): { joins: QueryJoin[]; alias: string } {
  const result = [...joins]
  let current = mapper
  let owner = mapper.table
  let prefix = ''
  for (const name of path.split('.')) {
    const relationship = current.relationships.get(name)
    if (relationship === undefined) throw InvalidRequestError.unknownRelationship(current.name, name, usage, [...current.relationships.keys()])
    prefix = prefix === '' ? name : `${prefix}.${name}`
    const index = result.findIndex((join) => join.path === prefix)
    let join: QueryJoin
    if (index < 0) {
      // The queried table keeps its name in the statement: no alias may take it (a table named "j1").
      join = Object.freeze({ path: prefix, relationship, owner, ...relatedAliases('join', result.length + 1, mapper.table), inner })
      result.push(join)
    } else {
      join = result[index]
      if (inner && !join.inner) result[index] = join = Object.freeze({ ...join, inner: true })
    }
    current = relationship.mapper
    owner = join.alias
  }
  return { joins: result, alias: owner }
}

/** The JOIN nodes of `joins`, in order (a many-to-many's join table reads as `js<n>` beside `j<n>`). */
export function joinNodes(joins: readonly QueryJoin[]): JoinNode[] {
  return joins.flatMap((join) => relationshipJoins(join.relationship, join.owner, join, join.inner))
}

/** True when a join repeats owners: some joined relationship is a to-many. */
export function repeatsOwners(joins: readonly QueryJoin[] | undefined): boolean {
  return joins !== undefined && joins.some((join) => join.relationship.uselist)
}

/**
 * The ORDER BY items of one Prisma-style order object, and the joins they need: a column sorts
 * itself; a to-one relationship's nested object sorts by its columns through the join of that path
 * (the query's own when it joined it, otherwise a LEFT OUTER JOIN added here, so rows without a
 * related row stay, as Prisma keeps them).
 */
export function orderByTerms(mapper: Mapper, joins: readonly QueryJoin[], order: Record<string, unknown>): { orderBy: OrderByNode[]; joins: readonly QueryJoin[] } {
  const orderBy: OrderByNode[] = []
  let current = joins
  const visit = (model: Mapper, path: string, qualifier: string | undefined, entry: Record<string, unknown>) => {
    for (const [name, value] of Object.entries(entry)) {
      if (value === undefined) continue
      const field = path === '' ? name : `${path}.${name}`
      const column = model.findColumn(name)
      if (column !== undefined || typeof value !== 'object' || value === null) {
        if (value !== 'asc' && value !== 'desc') throw InvalidRequestError.invalidSortOrder(field)
        const node = model.column(name).node
        orderBy.push(sql.orderBy(qualifier === undefined ? node : sql.qualified(node, qualifier), value))
        continue
      }
      const relationship = model.relationships.get(name)
      if (relationship === undefined) throw InvalidRequestError.unknownRelationship(model.name, name, `orderBy "${field}"`, [...model.relationships.keys()])
      if (relationship.uselist) throw InvalidRequestError.orderByToMany(model.name, name)
      const joined = joinPath(mapper, current, field, false, `orderBy "${field}"`)
      current = joined.joins
      visit(relationship.mapper, field, joined.alias, value as Record<string, unknown>)
    }
  }
  visit(mapper, '', undefined, order)
  return { orderBy, joins: current }
}
