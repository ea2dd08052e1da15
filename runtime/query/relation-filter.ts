/** A relationship as SQL: the correlated `EXISTS` of relation filters and the `JOIN ... ON` of `Query.join()`, for direct and many-to-many relationships. */
import type { ColumnInfo, Relationship } from '../orm/mapper.js'
import { sql, type ColumnNode, type ConditionNode, type ExistsNode, type JoinNode } from '../sql/nodes.js'

/** `column` qualified by `qualifier`, or as it is (unqualified) when there is none. */
export function columnOf(column: ColumnInfo, qualifier: string | undefined): ColumnNode {
  return qualifier === undefined ? column.node : sql.qualified(column.node, qualifier)
}

/** `owner.local = related.remote` for each column pair of a direct (foreign-key) relationship. */
function pairs(relationship: Relationship, owner: string, related: string): ConditionNode {
  return sql.and(relationship.local.map((local, i) => sql.binary(sql.qualified(local.node, owner), '=', sql.qualified(relationship.remote[i].node, related))))
}

/**
 * `[NOT] EXISTS (SELECT 1 FROM <related> AS alias WHERE <correlation> [AND condition])`: whether the
 * owner, whose columns `owner` qualifies (its table's name, or an alias), has a related row matching
 * `condition` (already compiled against `alias`). A many-to-many relationship reads its join table
 * as `link` and joins the related table to it. Nothing here assumes a SELECT around it: the same
 * condition serves an UPDATE's or a DELETE's WHERE, with `owner` the target table's name.
 */
export function relatedExists(relationship: Relationship, owner: string, alias: string, link: string, condition: ConditionNode | undefined, negated: boolean): ExistsNode {
  const target = sql.table(relationship.mapper.table, alias)
  const secondary = relationship.secondary
  if (secondary === undefined) {
    const where = condition === undefined ? pairs(relationship, owner, alias) : sql.and([pairs(relationship, owner, alias), condition])
    return sql.exists({ kind: 'select', from: target, selection: { kind: 'one' }, where }, negated)
  }
  // Implicit many-to-many: the join table's rows of this owner, each joined to its related row.
  const linked = sql.binary(sql.column(secondary.localColumn, link), '=', sql.qualified(relationship.local[0].node, owner))
  return sql.exists(
    {
      kind: 'select',
      from: sql.table(secondary.table, link),
      joins: [sql.innerJoin(target, sql.binary(sql.qualified(relationship.remote[0].node, alias), '=', sql.column(secondary.remoteColumn, link)))],
      selection: { kind: 'one' },
      where: condition === undefined ? linked : sql.and([linked, condition]),
    },
    negated,
  )
}

/**
 * The joins that bring `relationship`'s rows into a statement under `alias`, from an owner whose
 * columns `owner` qualifies: one join, or two through a many-to-many's join table (as `link`).
 * `inner` drops owners without a related row (INNER JOIN); otherwise they stay (LEFT OUTER JOIN).
 */
export function relationshipJoins(relationship: Relationship, owner: string, alias: string, link: string, inner: boolean): JoinNode[] {
  const join = inner ? sql.innerJoin : sql.leftJoin
  const target = sql.table(relationship.mapper.table, alias)
  const secondary = relationship.secondary
  if (secondary === undefined) return [join(target, pairs(relationship, owner, alias))]
  return [
    join(sql.table(secondary.table, link), sql.binary(sql.column(secondary.localColumn, link), '=', sql.qualified(relationship.local[0].node, owner))),
    join(target, sql.binary(sql.qualified(relationship.remote[0].node, alias), '=', sql.column(secondary.remoteColumn, link))),
  ]
}
