/** The small, frozen node tree that query builders produce and the compiler walks. */

/** The scalar kinds a column can hold; decides how a bound value is encoded per dialect. */
export type ScalarType = 'String' | 'Int' | 'BigInt' | 'Float' | 'Decimal' | 'Boolean' | 'DateTime' | 'Json' | 'Bytes' | 'Enum'

/**
 * A column's value type where its scalar kind alone does not say how values are stored: a scalar
 * list (PostgreSQL array), a native type written and read as text of its own shape (`@db.Time`,
 * `@db.Timetz`, `@db.Date`), or an enum whose values are stored under `@map` names.
 */
export interface ValueType {
  /** The scalar kind of the value, or of each element of a list. */
  readonly scalar: ScalarType
  /** A scalar list (`String[]`): a PostgreSQL array of `scalar`. */
  readonly list: boolean
  /** The `@db.*` attribute's name when it changes how values are read or written, e.g. `Time`. */
  readonly nativeType?: string
  /** Enum value names mapped to the names stored in the database (`@map`); absent when every value is stored as named. */
  readonly enumValues?: Readonly<Record<string, string>>
}

/** How a bound or read value is encoded: a plain scalar kind, or a {@link ValueType} (compared by identity: build one per column). */
export type ColumnType = ScalarType | ValueType

/** A table reference, optionally under an alias. */
export interface TableNode {
  readonly kind: 'table'
  readonly name: string
  readonly alias?: string
}

/** A SELECT used as a table: `(SELECT ...) AS alias`. */
export interface SubqueryNode {
  readonly kind: 'subquery'
  readonly select: SelectNode
  readonly alias: string
}

/** `LEFT OUTER JOIN table ON condition`, or `INNER JOIN` when `inner`. */
export interface JoinNode {
  readonly kind: 'join'
  readonly table: TableNode
  readonly on: ConditionNode
  /** True for an INNER JOIN (rows without a match are dropped); absent for a LEFT OUTER JOIN. */
  readonly inner?: true
}

/** A column reference, optionally qualified by its table. */
export interface ColumnNode {
  readonly kind: 'column'
  readonly name: string
  readonly table?: string
  /** The type the column is read as where it is selected (`CAST(column AS cast)`), as PrismaClient reads `money` as `numeric`. */
  readonly cast?: string
  /** The aggregate function the column is wrapped in (`sum("views")`); `count` of the name `*` is `count(*)`. */
  readonly aggregate?: AggregateFunction
}

/** The aggregate functions of `aggregate()`/`groupBy()`. */
export type AggregateFunction = 'count' | 'sum' | 'avg' | 'min' | 'max'

/** A SELECT of one value in a select list: `(SELECT count(*) FROM ...) AS alias` (relationship counts). */
export interface ScalarSubqueryNode {
  readonly kind: 'scalar-subquery'
  readonly select: SelectNode
  readonly alias: string
}

/** A bound value with the scalar type used to encode it. */
export interface ValueNode {
  readonly kind: 'value'
  readonly value: unknown
  readonly type: ColumnType
}

/** Comparison operators; `@>` (contains) and `&&` (overlaps) compare PostgreSQL arrays. */
export type BinaryOperator = '=' | '<>' | '<' | '<=' | '>' | '>=' | '@>' | '&&'

/** `column <op> value`, or `column <op> column` (join conditions). */
export interface BinaryNode {
  readonly kind: 'binary'
  readonly op: BinaryOperator
  readonly left: ColumnNode
  readonly right: ValueNode | ColumnNode
}

/** `column [NOT] IN (values...)`. An empty list compiles to a constant. */
export interface InNode {
  readonly kind: 'in'
  readonly negated: boolean
  readonly left: ColumnNode
  readonly values: readonly ValueNode[]
}

/** `column IN (SELECT ...)`. */
export interface InSelectNode {
  readonly kind: 'in-select'
  readonly left: ColumnNode
  readonly select: SelectNode
}

/** `column IS [NOT] NULL`. */
export interface NullCheckNode {
  readonly kind: 'null-check'
  readonly negated: boolean
  readonly operand: ColumnNode
}

/** What a LIKE pattern was built from: the kind of match and the caller's text, unescaped. */
export interface LikeMatch {
  readonly mode: 'contains' | 'startsWith' | 'endsWith'
  readonly text: string
}

/**
 * `column LIKE pattern ESCAPE '\'`, with the pattern already escaped. `match` says what it was built
 * from, for a dialect that cannot send the pattern as is (SQLite stops reading a pattern at a NUL).
 */
export interface LikeNode {
  readonly kind: 'like'
  readonly operand: ColumnNode
  readonly pattern: ValueNode
  readonly match?: LikeMatch
}

/** AND / OR of several conditions. An empty AND is true, an empty OR is false. */
export interface LogicalNode {
  readonly kind: 'and' | 'or'
  readonly operands: readonly ConditionNode[]
}

/** `NOT (condition)`. */
export interface NotNode {
  readonly kind: 'not'
  readonly operand: ConditionNode
}

/** `[NOT] EXISTS (SELECT 1 FROM ...)`: a correlated subquery (relation filters). */
export interface ExistsNode {
  readonly kind: 'exists'
  readonly negated: boolean
  readonly select: SelectNode
}

/** Any boolean condition. */
export type ConditionNode = BinaryNode | InNode | InSelectNode | NullCheckNode | LikeNode | LogicalNode | NotNode | ExistsNode

/** One ORDER BY item. */
export interface OrderByNode {
  readonly kind: 'order-by'
  readonly column: ColumnNode
  readonly direction: 'asc' | 'desc'
}

/** What a SELECT returns: columns, `count(*)`, or the constant 1 (for EXISTS probes). */
export type SelectionNode =
  | {
      readonly kind: 'columns'
      readonly columns: readonly ColumnNode[]
      /** Scalar subqueries selected after the columns, each under its alias (relationship counts). */
      readonly subqueries?: readonly ScalarSubqueryNode[]
    }
  | { readonly kind: 'count' }
  | { readonly kind: 'one' }

/** SELECT ... FROM ... [LEFT OUTER JOIN ...] [WHERE] [GROUP BY] [HAVING] [ORDER BY] [LIMIT] [OFFSET]. */
export interface SelectNode {
  readonly kind: 'select'
  /** `SELECT DISTINCT` for `true`; `SELECT DISTINCT ON (columns)` (PostgreSQL) for a list. */
  readonly distinct?: true | readonly ColumnNode[]
  readonly from: TableNode | SubqueryNode
  readonly joins?: readonly JoinNode[]
  readonly selection: SelectionNode
  readonly where?: ConditionNode
  readonly groupBy?: readonly ColumnNode[]
  /** Conditions on the groups, over aggregated columns (see `ColumnNode.aggregate`). */
  readonly having?: ConditionNode
  readonly orderBy?: readonly OrderByNode[]
  readonly limit?: number
  readonly offset?: number
  /** `FOR UPDATE`: the matched rows are locked until the transaction ends, and the SELECT runs in it (a write). */
  readonly forUpdate?: true
}

/** INSERT INTO ... (columns) VALUES (...), (...) [RETURNING ...]. */
export interface InsertNode {
  readonly kind: 'insert'
  readonly into: TableNode
  readonly columns: readonly ColumnNode[]
  readonly rows: readonly (readonly ValueNode[])[]
  readonly returning?: readonly ColumnNode[]
  /** `ON CONFLICT DO NOTHING`: rows that would violate a unique constraint are skipped (Prisma's `skipDuplicates`). */
  readonly onConflictDoNothing?: true
  /**
   * The one row's key is generated by the database and read from the driver's last insert id
   * (databases without RETURNING: MySQL's AUTO_INCREMENT); the result is `QueryResult.lastInsertId`.
   */
  readonly readInsertId?: true
}

/** The operators of an {@link ArithmeticNode}. */
export type ArithmeticOperator = '+' | '-' | '*' | '/'

/** `column <op> value`, a SET value computed from the row's own (Prisma's atomic number operations). */
export interface ArithmeticNode {
  readonly kind: 'arithmetic'
  readonly op: ArithmeticOperator
  readonly left: ColumnNode
  readonly right: ValueNode
}

/** UPDATE ... SET ... [WHERE ...] [RETURNING ...]. */
export interface UpdateNode {
  readonly kind: 'update'
  readonly table: TableNode
  readonly set: readonly (readonly [ColumnNode, ValueNode | ArithmeticNode])[]
  /** Absent for every row of the table. */
  readonly where?: ConditionNode
  readonly returning?: readonly ColumnNode[]
}

/** DELETE FROM ... [WHERE ...] [RETURNING ...]. */
export interface DeleteNode {
  readonly kind: 'delete'
  readonly from: TableNode
  /** Absent for every row of the table. */
  readonly where?: ConditionNode
  readonly returning?: readonly ColumnNode[]
}

/**
 * A statement written by the user as a tagged template (`sql\`...\``): the literal parts as
 * written, the interpolated values always bound as parameters, never spliced into the text.
 */
export interface RawNode {
  readonly kind: 'raw'
  /** The template's literal parts: one more than `values`. */
  readonly parts: readonly string[]
  readonly values: readonly ValueNode[]
  /** True when the statement returns rows (SELECT, WITH, VALUES, PRAGMA, ... RETURNING). */
  readonly returnsRows: boolean
  /** True when the statement may change data: it runs inside the write transaction. */
  readonly isWrite: boolean
}

/** A whole statement. */
export type StatementNode = SelectNode | InsertNode | UpdateNode | DeleteNode | RawNode

/** Every node kind, for the compiler's visitor table. */
export type AnyNode = StatementNode | ConditionNode | TableNode | SubqueryNode | JoinNode | ColumnNode | ValueNode | OrderByNode | ScalarSubqueryNode | ArithmeticNode

/** Node builders: each returns a frozen node. */
export const sql = {
  table: (name: string, alias?: string): TableNode => Object.freeze(alias === undefined ? { kind: 'table', name } : { kind: 'table', name, alias }),
  subquery: (select: SelectNode, alias: string): SubqueryNode => Object.freeze({ kind: 'subquery', select, alias }),
  leftJoin: (table: TableNode, on: ConditionNode): JoinNode => Object.freeze({ kind: 'join', table, on }),
  innerJoin: (table: TableNode, on: ConditionNode): JoinNode => Object.freeze({ kind: 'join', table, on, inner: true }),
  exists: (select: SelectNode, negated = false): ExistsNode => Object.freeze({ kind: 'exists', negated, select }),
  column: (name: string, table?: string): ColumnNode => Object.freeze(table === undefined ? { kind: 'column', name } : { kind: 'column', name, table }),
  /** `column` (keeping how it is read) of the table under `alias`. */
  qualified: (column: ColumnNode, alias: string): ColumnNode => Object.freeze({ ...column, table: alias }),
  /** A column that is selected as `CAST(column AS cast)`. */
  castColumn: (name: string, cast: string): ColumnNode => Object.freeze({ kind: 'column', name, cast }),
  /** `fn(column)`, or `count(*)` without a column. */
  aggregate: (fn: AggregateFunction, column?: ColumnNode): ColumnNode =>
    Object.freeze(column === undefined ? { kind: 'column', name: '*', aggregate: fn } : { ...column, aggregate: fn }),
  scalarSubquery: (select: SelectNode, alias: string): ScalarSubqueryNode => Object.freeze({ kind: 'scalar-subquery', select, alias }),
  value: (value: unknown, type: ColumnType): ValueNode => Object.freeze({ kind: 'value', value, type }),
  binary: (left: ColumnNode, op: BinaryOperator, right: ValueNode | ColumnNode): BinaryNode => Object.freeze({ kind: 'binary', op, left, right }),
  in: (left: ColumnNode, values: readonly ValueNode[], negated = false): InNode => Object.freeze({ kind: 'in', negated, left, values: Object.freeze([...values]) }),
  inSelect: (left: ColumnNode, select: SelectNode): InSelectNode => Object.freeze({ kind: 'in-select', left, select }),
  isNull: (operand: ColumnNode, negated = false): NullCheckNode => Object.freeze({ kind: 'null-check', negated, operand }),
  like: (operand: ColumnNode, pattern: ValueNode, match?: LikeMatch): LikeNode =>
    Object.freeze(match === undefined ? { kind: 'like', operand, pattern } : { kind: 'like', operand, pattern, match: Object.freeze({ ...match }) }),
  and: (operands: readonly ConditionNode[]): ConditionNode => (operands.length === 1 ? operands[0] : Object.freeze({ kind: 'and', operands: Object.freeze([...operands]) })),
  or: (operands: readonly ConditionNode[]): ConditionNode => (operands.length === 1 ? operands[0] : Object.freeze({ kind: 'or', operands: Object.freeze([...operands]) })),
  not: (operand: ConditionNode): NotNode => Object.freeze({ kind: 'not', operand }),
  orderBy: (column: ColumnNode, direction: 'asc' | 'desc'): OrderByNode => Object.freeze({ kind: 'order-by', column, direction }),
  arithmetic: (left: ColumnNode, op: ArithmeticOperator, right: ValueNode): ArithmeticNode => Object.freeze({ kind: 'arithmetic', op, left, right }),
} as const
