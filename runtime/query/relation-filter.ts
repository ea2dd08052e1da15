/** A relationship as SQL: the related rows of an owner (correlated `EXISTS` of relation filters, correlated counts of `withCount`) and the `JOIN ... ON` of `Query.join()`, for direct and many-to-many relationships. */
import type { ColumnInfo, Relationship } from '../orm/mapper.js'
import { sql, type ColumnNode, type ConditionNode, type ExistsNode, type JoinNode, type SelectionNode, type SelectNode } from '../sql/nodes.js'

/** `column` qualified by `qualifier`, or as it is (unqualified) when there is none. */
export function columnOf(column: ColumnInfo, qualifier: string | undefined): ColumnNode {
  return qualifier === undefined ? column.node : sql.qualified(column.node, qualifier)
}

/** The aliases of a relationship's rows: its related table's, and its join table's (a many-to-many's). */
export interface RelatedAliases {
  /** The related table's alias (`t1`, `j1`). */
  readonly alias: string
  /** The join table's alias of a many-to-many (`s1`, `js1`); unused otherwise. */
  readonly link: string
}

/** The alias prefixes of each use: `t<n>`/`s<n>` in subqueries (relation filters, counts), `j<n>`/`js<n>` for joins. */
const PREFIXES = { subquery: ['t', 's'], join: ['j', 'js'] } as const

/**
 * The aliases of the `n`th related rows of a statement (`t1`, `s1`; `j1`, `js1` for joins), never
 * `taken`: the name of a table the statement still refers to by name (the queried table, or the
 * owner a subquery correlates with), which a table literally named `t1` would otherwise shadow.
 */
export function relatedAliases(kind: keyof typeof PREFIXES, n: number, taken: string): RelatedAliases {
  const [table, link] = PREFIXES[kind]
  const free = (name: string) => (name === taken ? `${name}_` : name)
  return { alias: free(`${table}${n}`), link: free(`${link}${n}`) }
}

/** `owner.local = related.remote` for each column pair of a direct (foreign-key) relationship. */
function pairs(relationship: Relationship, owner: string, related: string): ConditionNode {
  return sql.and(relationship.local.map((local, i) => sql.binary(sql.qualified(local.node, owner), '=', sql.qualified(relationship.remote[i].node, related))))
}

/**
 * `SELECT <selection> FROM <related> AS alias WHERE <correlation> [AND condition]`: the rows
 * `relationship` relates to the owner whose columns `owner` qualifies (its table's name, or an
 * alias) in the enclosing statement, matching `condition` (already compiled against `aliases.alias`).
 * A many-to-many relationship reads its join table as `aliases.link`, joined to the related table (a
 * join-table row without its related row is no related row, as loading the collection reads it).
 * Nothing here assumes a SELECT around it: the same subquery serves an UPDATE's or a DELETE's WHERE,
 * with `owner` the target table's name.
 */
export function relatedRows(relationship: Relationship, owner: string, aliases: RelatedAliases, selection: SelectionNode, condition?: ConditionNode): SelectNode {
  const { alias, link } = aliases
  const target = sql.table(relationship.mapper.table, alias)
  const secondary = relationship.secondary
  if (secondary === undefined) {
    const where = condition === undefined ? pairs(relationship, owner, alias) : sql.and([pairs(relationship, owner, alias), condition])
    return { kind: 'select', from: target, selection, where }
  }
  // Implicit many-to-many: the join table's rows of this owner, each joined to its related row.
  const linked = sql.binary(sql.column(secondary.localColumn, link), '=', sql.qualified(relationship.local[0].node, owner))
  return {
    kind: 'select',
    from: sql.table(secondary.table, link),
    joins: [sql.innerJoin(target, sql.binary(sql.qualified(relationship.remote[0].node, alias), '=', sql.column(secondary.remoteColumn, link)))],
    selection,
    where: condition === undefined ? linked : sql.and([linked, condition]),
  }
}

/** `[NOT] EXISTS (SELECT 1 ...)` over the {@link relatedRows} of the owner matching `condition`: a relation filter. */
export function relatedExists(relationship: Relationship, owner: string, aliases: RelatedAliases, condition: ConditionNode | undefined, negated: boolean): ExistsNode {
  return sql.exists(relatedRows(relationship, owner, aliases, { kind: 'one' }, condition), negated)
}

/**
 * The joins that bring `relationship`'s rows into a statement under `aliases.alias`, from an owner
 * whose columns `owner` qualifies: one join, or two through a many-to-many's join table (as
 * `aliases.link`). `inner` drops owners without a related row (INNER JOIN); otherwise they stay
 * (LEFT OUTER JOIN).
 */
export function relationshipJoins(relationship: Relationship, owner: string, aliases: RelatedAliases, inner: boolean): JoinNode[] {
  const { alias, link } = aliases
  const join = inner ? sql.innerJoin : sql.leftJoin
  const target = sql.table(relationship.mapper.table, alias)
  const secondary = relationship.secondary
  if (secondary === undefined) return [join(target, pairs(relationship, owner, alias))]
  return [
    join(sql.table(secondary.table, link), sql.binary(sql.column(secondary.localColumn, link), '=', sql.qualified(relationship.local[0].node, owner))),
    join(target, sql.binary(sql.qualified(relationship.remote[0].node, alias), '=', sql.column(secondary.remoteColumn, link))),
  ]
}
