/** Walks a statement node tree into SQL text and bound parameters; dialects override small hooks. */
import type { CompiledQuery } from './compiled-query.js'
import type {
  AnyNode,
  ArithmeticNode,
  BinaryNode,
  ColumnNode,
  ColumnType,
  ConditionNode,
  DeleteNode,
  InNode,
  InsertNode,
  JoinNode,
  LikeNode,
  LogicalNode,
  NotNode,
  NullCheckNode,
  OrderByNode,
  ScalarSubqueryNode,
  SelectNode,
  StatementNode,
  SubqueryNode,
  TableNode,
  UpdateNode,
  ValueNode,
} from './nodes.js'

type Visitor = { [K in AnyNode['kind']]: (compiler: DefaultCompiler, node: Extract<AnyNode, { kind: K }>) => void }

/**
 * The visitor table keyed by node kind: a node kind without an entry is a type error.
 * @internal
 */
const VISIT: Visitor = {
  select: (c, n) => c.visitSelect(n),
  insert: (c, n) => c.visitInsert(n),
  update: (c, n) => c.visitUpdate(n),
  delete: (c, n) => c.visitDelete(n),
  table: (c, n) => c.visitTable(n),
  subquery: (c, n) => c.visitSubquery(n),
  join: (c, n) => c.visitJoin(n),
  column: (c, n) => c.visitColumn(n),
  value: (c, n) => c.visitValue(n),
  binary: (c, n) => c.visitBinary(n),
  in: (c, n) => c.visitIn(n),
  'in-select': (c, n) => {
    c.visitColumn(n.left)
    c.append(' IN (')
    c.visitSelect(n.select)
    c.append(')')
  },
  exists: (c, n) => {
    c.append(n.negated ? 'NOT EXISTS (' : 'EXISTS (')
    c.visitSelect(n.select)
    c.append(')')
  },
  'null-check': (c, n) => c.visitNullCheck(n),
  like: (c, n) => c.visitLike(n),
  and: (c, n) => c.visitLogical(n),
  or: (c, n) => c.visitLogical(n),
  not: (c, n) => c.visitNot(n),
  'order-by': (c, n) => c.visitOrderBy(n),
  'scalar-subquery': (c, n) => c.visitScalarSubquery(n),
  arithmetic: (c, n) => c.visitArithmetic(n),
  raw: (c, n) => {
    n.parts.forEach((part, i) => {
      c.append(part)
      if (i < n.values.length) c.visitValue(n.values[i])
    })
  },
}

/**
 * Compiles statement nodes to SQL. Every value is bound as a parameter and every identifier is
 * quoted. One compiler instance compiles one statement at a time; dialects subclass it and
 * override the hooks `placeholder`, `quoteIdentifier`, `encodeValue` and `limitOffset`.
 */
export abstract class DefaultCompiler {
  private parts: string[] = []
  private parameters: unknown[] = []
  /**
   * The table (or alias) that qualifies unqualified columns: the FROM of the SELECT being compiled
   * when it has joins (a column name alone could be ambiguous there); undefined otherwise.
   */
  private scope: string | undefined

  /** Compiles one statement. */
  compile(node: StatementNode, exactIntegers = false): CompiledQuery {
    this.parts = []
    this.parameters = []
    this.visit(node)
    const isWrite = node.kind === 'raw' ? node.isWrite : node.kind !== 'select' || node.forUpdate === true
    const returnsRows =
      node.kind === 'raw' ? node.returnsRows : node.kind === 'select' || (node.returning !== undefined && node.returning.length > 0)
    const query: CompiledQuery = {
      sql: this.parts.join(''),
      parameters: this.parameters,
      result: returnsRows ? 'rows' : node.kind === 'insert' && node.readInsertId ? 'insert-id' : 'count',
      isWrite,
      exactIntegers,
      ...(node.kind === 'raw' ? { columnNames: true } : {}),
    }
    this.parts = []
    this.parameters = []
    return query
  }

  /** The placeholder for the parameter at `index` (0-based). */
  protected abstract placeholder(index: number): string

  /** Encodes a JavaScript value of `type` into what the driver binds. */
  protected abstract encodeValue(value: unknown, type: ColumnType): unknown

  private readonly quoted = new Map<string, string>()

  /** Quotes an identifier, doubling embedded quotes (memoised: a schema has few distinct names). */
  quoteIdentifier(name: string): string {
    let quoted = this.quoted.get(name)
    if (quoted === undefined) {
      quoted = `"${name.replaceAll('"', '""')}"`
      this.quoted.set(name, quoted)
    }
    return quoted
  }

  /** Appends LIMIT/OFFSET; dialects that need LIMIT before OFFSET override it. */
  protected limitOffset(limit: number | undefined, offset: number | undefined): void {
    if (limit !== undefined) this.append(` LIMIT ${this.bind(limit)}`)
    if (offset !== undefined) this.append(` OFFSET ${this.bind(offset)}`)
  }

  /** @internal */
  append(text: string): void {
    this.parts.push(text)
  }

  /** Binds an already-encoded parameter and returns its placeholder. */
  protected bind(value: unknown): string {
    this.parameters.push(value)
    return this.placeholder(this.parameters.length - 1)
  }

  private visit(node: AnyNode): void {
    ;(VISIT[node.kind] as (c: DefaultCompiler, n: AnyNode) => void)(this, node)
  }

  private list(nodes: readonly AnyNode[], separator = ', '): void {
    nodes.forEach((node, i) => {
      if (i > 0) this.append(separator)
      this.visit(node)
    })
  }

  /** @internal */
  visitSelect(node: SelectNode): void {
    const enclosing = this.scope
    this.scope = node.joins !== undefined && node.joins.length > 0 ? (node.from.alias ?? (node.from.kind === 'table' ? node.from.name : undefined)) : undefined
    this.append('SELECT ')
    if (node.distinct === true) this.append('DISTINCT ')
    else if (node.distinct !== undefined) {
      this.append('DISTINCT ON (')
      this.list(node.distinct)
      this.append(') ')
    }
    const selection = node.selection
    if (selection.kind === 'columns') {
      this.selected(selection.columns)
      for (const subquery of selection.subqueries ?? []) {
        this.append(', ')
        this.visitScalarSubquery(subquery)
      }
    } else this.append(selection.kind === 'count' ? 'count(*)' : '1')
    this.append(' FROM ')
    this.visit(node.from)
    if (node.joins) for (const join of node.joins) this.visitJoin(join)
    if (node.where) this.where(node.where)
    if (node.groupBy && node.groupBy.length > 0) {
      this.append(' GROUP BY ')
      this.list(node.groupBy)
    }
    if (node.having) {
      this.append(' HAVING ')
      this.visit(node.having)
    }
    // An aggregate has one row: ORDER BY means nothing there, and PostgreSQL rejects it (the columns are not grouped).
    if (node.orderBy && node.orderBy.length > 0 && selection.kind !== 'count') {
      this.append(' ORDER BY ')
      this.list(node.orderBy)
    }
    if (node.limit !== undefined || node.offset !== undefined) this.limitOffset(node.limit, node.offset)
    if (node.forUpdate) this.append(' FOR UPDATE')
    this.scope = enclosing
  }

  /** @internal */
  visitInsert(node: InsertNode): void {
    this.append(node.onConflictDoNothing ? this.insertSkippingDuplicates() : 'INSERT INTO ')
    this.visitTable(node.into)
    if (node.columns.length === 0) {
      this.append(this.defaultValues())
    } else {
      this.append(' (')
      this.list(node.columns)
      this.append(') VALUES ')
      node.rows.forEach((row, i) => {
        this.append(i > 0 ? ', (' : '(')
        this.list(row)
        this.append(')')
      })
    }
    if (node.onConflictDoNothing) this.append(this.skipDuplicatesClause())
    this.returning(node.returning)
  }

  /** The start of an INSERT that skips rows violating a unique constraint (Prisma's `skipDuplicates`), up to the table. */
  protected insertSkippingDuplicates(): string {
    return 'INSERT INTO '
  }

  /** What ends such an INSERT: ` ON CONFLICT DO NOTHING` on SQLite and PostgreSQL. */
  protected skipDuplicatesClause(): string {
    return ' ON CONFLICT DO NOTHING'
  }

  /** The values of a one-row INSERT that sets no column (every column takes its default). */
  protected defaultValues(): string {
    return ' DEFAULT VALUES'
  }

  /** ` RETURNING columns` of a write, when it has some. */
  private returning(columns: readonly ColumnNode[] | undefined): void {
    if (columns === undefined || columns.length === 0) return
    this.append(' RETURNING ')
    this.selected(columns)
  }

  /** @internal */
  visitUpdate(node: UpdateNode): void {
    this.append('UPDATE ')
    this.visitTable(node.table)
    this.append(' SET ')
    node.set.forEach(([column, value], i) => {
      if (i > 0) this.append(', ')
      this.append(this.quoteIdentifier(column.name))
      this.append(' = ')
      this.visit(value)
    })
    if (node.where) this.where(node.where)
    this.returning(node.returning)
  }

  /** @internal */
  visitDelete(node: DeleteNode): void {
    this.append('DELETE FROM ')
    this.visitTable(node.from)
    if (node.where) this.where(node.where)
    this.returning(node.returning)
  }

  private where(condition: ConditionNode): void {
    this.append(' WHERE ')
    this.visit(condition)
  }

  /** @internal */
  visitTable(node: TableNode): void {
    this.append(this.quoteIdentifier(node.name))
    if (node.alias !== undefined) this.append(` AS ${this.quoteIdentifier(node.alias)}`)
  }

  /** @internal */
  visitSubquery(node: SubqueryNode): void {
    this.append('(')
    this.visitSelect(node.select)
    this.append(`) AS ${this.quoteIdentifier(node.alias)}`)
  }

  /** @internal */
  visitJoin(node: JoinNode): void {
    this.append(node.inner ? ' INNER JOIN ' : ' LEFT OUTER JOIN ')
    this.visitTable(node.table)
    this.append(' ON ')
    this.visit(node.on)
  }

  /** Columns a statement returns: each read as its `cast` when it has one. */
  private selected(columns: readonly ColumnNode[]): void {
    columns.forEach((column, i) => {
      if (i > 0) this.append(', ')
      if (column.cast === undefined) {
        this.visitColumn(column)
        return
      }
      this.append('CAST(')
      this.visitColumn(column)
      this.append(` AS ${column.cast})`)
    })
  }

  /** @internal */
  visitColumn(node: ColumnNode): void {
    if (node.aggregate !== undefined) this.append(`${node.aggregate}(`)
    if (node.aggregate !== undefined && node.name === '*') this.append('*')
    else {
      const table = node.table ?? this.scope
      if (table !== undefined) this.append(`${this.quoteIdentifier(table)}.`)
      this.append(this.quoteIdentifier(node.name))
    }
    if (node.aggregate !== undefined) this.append(')')
  }

  /** @internal */
  visitScalarSubquery(node: ScalarSubqueryNode): void {
    this.append('(')
    this.visitSelect(node.select)
    this.append(`) AS ${this.quoteIdentifier(node.alias)}`)
  }

  /** @internal */
  visitValue(node: ValueNode): void {
    this.append(this.bind(node.value === null ? null : this.encodeValue(node.value, node.type)))
  }

  /** @internal */
  visitBinary(node: BinaryNode): void {
    this.visitColumn(node.left)
    this.append(` ${node.op} `)
    if (node.right.kind === 'column') this.visitColumn(node.right)
    else this.visitValue(node.right)
  }

  /** @internal */
  visitIn(node: InNode): void {
    if (node.values.length === 0) {
      // IN () is not valid SQL; an empty IN is false and an empty NOT IN is true.
      this.append(node.negated ? '1 = 1' : '1 = 0')
      return
    }
    this.visitColumn(node.left)
    this.append(node.negated ? ' NOT IN (' : ' IN (')
    this.list(node.values)
    this.append(')')
  }

  /** @internal */
  visitArithmetic(node: ArithmeticNode): void {
    this.visitColumn(node.left)
    this.append(` ${node.op} `)
    this.visitValue(node.right)
  }

  /** @internal */
  visitNullCheck(node: NullCheckNode): void {
    this.visitColumn(node.operand)
    this.append(node.negated ? ' IS NOT NULL' : ' IS NULL')
  }

  /** @internal */
  visitLike(node: LikeNode): void {
    this.visitColumn(node.operand)
    this.append(' LIKE ')
    this.visitValue(node.pattern)
    this.append(" ESCAPE '\\'")
  }

  /** @internal */
  visitLogical(node: LogicalNode): void {
    if (node.operands.length === 0) {
      this.append(node.kind === 'and' ? '1 = 1' : '1 = 0')
      return
    }
    const separator = node.kind === 'and' ? ' AND ' : ' OR '
    node.operands.forEach((operand, i) => {
      if (i > 0) this.append(separator)
      const wrap = operand.kind === 'and' || operand.kind === 'or'
      if (wrap) this.append('(')
      this.visit(operand)
      if (wrap) this.append(')')
    })
  }

  /** @internal */
  visitNot(node: NotNode): void {
    this.append('NOT (')
    this.visit(node.operand)
    this.append(')')
  }

  /** @internal */
  visitOrderBy(node: OrderByNode): void {
    this.visitColumn(node.column)
    this.append(node.direction === 'desc' ? ' DESC' : ' ASC')
  }
}
