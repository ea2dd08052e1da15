/** Query: an immutable, typed query over one model; terminal methods autoflush and load through the identity map. */
import { InvalidRequestError, MultipleResultsFoundError, NoResultFoundError, NotFoundError } from '../errors.js'
import type { ColumnInfo, Mapper } from '../orm/mapper.js'
import type { ColumnsOf, KeyOf, Model, ModelClass, RelationsOf } from '../orm/model.js'
import type { LoadContext } from '../orm/session-context.js'
import { sql, type ConditionNode, type OrderByNode, type SelectNode, type SelectionNode } from '../sql/nodes.js'
import { checkLoaderOptions, type LoaderOption } from '../loading/loader-options.js'
import { checkColumnOptions, isColumnOption, selectedColumns, type ColumnOption } from '../loading/column-options.js'
import { withDistinct } from './distinct.js'
import { paginate, type PaginateOptions, type Pagination } from './pagination.js'
import { streamBatchSize, streamObjects, type StreamOptions } from './stream.js'
import { compileWhere, type WhereInput } from './where.js'
import type { BulkWriteOptions } from '../orm/synchronize.js'
import { bulkDelete } from './bulk-delete.js'
import type { BulkTarget } from './bulk-statement.js'
import { bulkUpdate } from './bulk-update.js'
import type { UpdateInput } from './update-values.js'
import { joinNodes, joinPath, orderByTerms, repeatsOwners, type OrderByObject, type QueryJoin, type RelationPath, type SortOrder } from './joins.js'
import { aggregateItems, aggregateReader, aggregateSelect, needsExactIntegers, type AggregateArgs, type AggregateResult, type NoExtraKeys } from './aggregate.js'
import { groupByPlan, type GroupByArgs, type GroupByResult } from './group-by.js'
import { checkCountable, selectCounts, type ToManyRelationNameOf, type WithCount } from './relationship-counts.js'

export type { SortOrder }

/**
 * Prisma-style ordering: `{ username: 'asc' }`, by a to-one relationship's column
 * (`{ role: { name: 'asc' } }`, with the relationships `R`), or a list of those for several keys.
 */
export type OrderByInput<C, R = object> = OrderByObject<C, R> | readonly OrderByObject<C, R>[]

/** Where a query's rows come from: its mapper, the session that runs it, and any fixed criteria. @internal */
export interface QuerySource {
  readonly mapper: Mapper
  /** The session to run in, resolved when a terminal method runs. */
  session(): LoadContext
  /** Criteria computed when the query runs, after autoflush (e.g. a dynamic relationship's foreign key). */
  criteria?(): ConditionNode
  /**
   * The answer held in memory instead of the database (a dynamic relationship of an object with no
   * row yet), or undefined to query. Asked before the autoflush (`flushed` false) and after it.
   */
  inMemory?(flushed: boolean): readonly Model[] | undefined
  /** The order the source starts with (a dynamic relationship's `@orderBy`): not the caller's, so bulk statements accept it. */
  readonly declaredOrder?: readonly OrderByNode[]
}

/** The immutable parts of a query (no entry point exports it). */
export interface QuerySpec {
  readonly where: readonly ConditionNode[]
  /** Per-query loading strategies (`selectinload`, `raiseload`, ...). */
  readonly loaderOptions?: readonly LoaderOption[]
  readonly orderBy: readonly OrderByNode[]
  readonly limit?: number
  readonly offset?: number
  /** Read from the bind's primary, never a replica (`usePrimary()`). */
  readonly primary?: boolean
  /** Which columns the objects are loaded with (`loadOnly`, `defer`). */
  readonly columnOptions?: readonly ColumnOption[]
  /** SELECT DISTINCT (`true`), or DISTINCT ON these columns (`distinct([...])`). */
  readonly distinct?: true | readonly ColumnInfo[]
  /** Relationships joined into the statement (`join`, `outerjoin`, and those a related `orderBy` needs). */
  readonly joins?: readonly QueryJoin[]
  /** To-many relationships counted with the objects (`withCount`). */
  readonly counts?: readonly string[]
}

const EMPTY_SPEC: QuerySpec = Object.freeze({ where: Object.freeze([]), orderBy: Object.freeze([]) })

/** True for an in-memory answer (see `QuerySource.inMemory`), false for a session. */
function inMemory(prepared: LoadContext | readonly Model[]): prepared is readonly Model[] {
  return Array.isArray(prepared)
}

function checkCount(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw InvalidRequestError.invalidRowCount(name, value)
  return value
}

/**
 * A query over model `T`. Builder methods return a new query and never touch the database;
 * terminal methods (`all`, `first`, `one`, `oneOrNone`, `count`, `exists`) autoflush the session
 * and run one statement. Rows come back through the identity map: one row, one object.
 *
 * ### Examples
 * ```ts
 * const admins = await session.query(User).where({ role: ... }).orderBy({ username: 'asc' }).all()
 * const n = await session.query(User).filterBy({ active: true }).count()
 * ```
 */
export class Query<T extends Model> {
  /** @internal Where the rows come from and the session that runs the query. */
  protected readonly source: QuerySource
  /** @internal The query's criteria, order, window and options. */
  protected readonly spec: QuerySpec

  /** @internal Use `session.query(Model)`. */
  constructor(source: QuerySource, spec: QuerySpec = EMPTY_SPEC) {
    this.source = source
    this.spec = spec
  }

  /**
   * Adds a Prisma-style where condition (ANDed with earlier ones). Relationships take Prisma's
   * relation filters, compiled to correlated `EXISTS` subqueries (rows are never repeated):
   * `{ role: { is: { name: 'admin' } } }`, `{ role: null }`, `{ posts: { some: { published: true } } }`.
   */
  where(where: WhereInput<ColumnsOf<T>, RelationsOf<T>>): this {
    return this.derive({ ...this.spec, where: [...this.spec.where, compileWhere(this.source.mapper, where as Record<string, unknown>)] })
  }

  /** Adds equality conditions, SQLAlchemy's `filter_by`: `filterBy({ username: 'ann' })`. */
  filterBy(values: Partial<ColumnsOf<T>>): this {
    return this.where(values as WhereInput<ColumnsOf<T>>)
  }

  /**
   * Adds sort keys after any already there: `orderBy({ username: 'asc' })` or
   * `orderBy('username', 'desc')`. `orderBy(null)` removes every sort key, including the order a
   * dynamic relationship declares with `@orderBy` (SQLAlchemy's `order_by(None)`).
   */
  orderBy(order: OrderByInput<ColumnsOf<T>, RelationsOf<T>>): this
  orderBy(column: keyof ColumnsOf<T> & string, direction?: SortOrder): this
  orderBy(reset: null): this
  orderBy(order: OrderByInput<ColumnsOf<T>, RelationsOf<T>> | string | null, direction: SortOrder = 'asc'): this {
    if (order === null) return this.derive({ ...this.spec, orderBy: [] })
    const mapper = this.source.mapper
    const items: OrderByNode[] = []
    let joins = this.spec.joins ?? []
    if (typeof order === 'string') items.push(sql.orderBy(mapper.column(order).node, direction))
    else {
      for (const entry of Array.isArray(order) ? order : [order]) {
        const terms = orderByTerms(mapper, joins, entry as Record<string, unknown>)
        items.push(...terms.orderBy)
        joins = terms.joins
      }
    }
    return this.derive({ ...this.spec, orderBy: [...this.spec.orderBy, ...items], ...(joins.length > 0 ? { joins } : {}) })
  }

  /**
   * Joins a relationship into the statement with an INNER JOIN (SQLAlchemy's `join`): owners
   * without a related row are dropped. Paths may be dotted (`'author.role'`). An `orderBy` on the
   * joined relationship's columns (`{ role: { name: 'asc' } }`) then sorts through this join. A
   * to-many join repeats each owner once per related row in SQL; `all()` returns each object once
   * (as SQLAlchemy's Query does), while `count()` and `limit()` count the joined rows.
   */
  join(path: RelationPath<T>): this {
    return this.derive({ ...this.spec, joins: joinPath(this.source.mapper, this.spec.joins ?? [], path, true, `join("${path}")`).joins })
  }

  /** Like {@link join}, with a LEFT OUTER JOIN: owners without a related row stay (SQLAlchemy's `outerjoin`). */
  outerjoin(path: RelationPath<T>): this {
    return this.derive({ ...this.spec, joins: joinPath(this.source.mapper, this.spec.joins ?? [], path, false, `outerjoin("${path}")`).joins })
  }

  /**
   * Loading strategies for this query's objects, overriding the schema's: `selectinload('role')`
   * loads `role` for all of them with one more SELECT ... IN (...); `raiseload('*')`, `noload(...)`,
   * `lazyload(...)` change how the objects' relationships behave when read. Paths may be dotted
   * (`'users.posts'`): each level on the way is loaded with `selectin`. Every path is checked here: a
   * name that is no relationship (or a dynamic one) anywhere on it raises `InvalidRequestError` now.
   * Column options choose the columns loaded: `loadOnly('title')`, `defer('body')` (the primary key
   * is always loaded; reading a column left out throws `DeferredColumnError`).
   */
  options(...options: (LoaderOption | ColumnOption<keyof ColumnsOf<T> & string>)[]): this {
    const columnOptions = options.filter((option) => isColumnOption(option)) as ColumnOption[]
    const loaderOptions = options.filter((option) => !isColumnOption(option)) as LoaderOption[]
    checkLoaderOptions(this.source.mapper, loaderOptions)
    checkColumnOptions(this.source.mapper, columnOptions)
    return this.derive({
      ...this.spec,
      loaderOptions: [...(this.spec.loaderOptions ?? []), ...loaderOptions],
      ...(columnOptions.length > 0 ? { columnOptions: [...(this.spec.columnOptions ?? []), ...columnOptions] } : {}),
    })
  }

  /**
   * Returns distinct rows: `distinct()` is `SELECT DISTINCT` (whole rows); `distinct(['authorId'])`
   * is PostgreSQL's `DISTINCT ON ("author_id")`, the first row of each group in the query's order
   * (the columns go first in ORDER BY when the order does not start with them). DISTINCT ON on
   * another database raises `InvalidRequestError` when the query runs.
   */
  distinct(columns?: readonly (keyof ColumnsOf<T> & string)[]): this {
    const mapper = this.source.mapper
    return this.derive({ ...this.spec, distinct: columns === undefined || columns.length === 0 ? true : columns.map((name) => mapper.column(name)) })
  }

  /** Returns at most `count` rows. */
  limit(count: number): this {
    return this.derive({ ...this.spec, limit: checkCount('limit', count) })
  }

  /** Skips the first `count` rows. */
  offset(count: number): this {
    return this.derive({ ...this.spec, offset: checkCount('offset', count) })
  }

  /**
   * Runs this query on the primary of its model's bind even while the session reads from a
   * replica (for a row that must be current, e.g. before updating it). Its `selectin` loads go to
   * the primary too; see `session.usePrimary()` for the whole session.
   */
  usePrimary(): this {
    return this.derive({ ...this.spec, primary: true })
  }

  /** All matching objects. */
  all(): Promise<T[]> {
    try {
      const prepared = this.prepare()
      return prepared instanceof Promise ? prepared.then((session) => this.allOf(session)) : this.allOf(prepared)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** {@link all} once the session is prepared (flushed), or the objects when the query runs in memory. */
  private allOf(session: LoadContext | readonly Model[]): Promise<T[]> {
    if (inMemory(session)) return Promise.resolve(this.slice(session as T[]))
    const loading = this.run(session, () =>
      session.loadObjects<T>(
        this.source.mapper,
        this.entityNode(),
        this.spec.loaderOptions,
      ),
    )
    // A to-many join repeats owners row by row: each object once, in first-seen order (SQLAlchemy's Query uniquifies entities).
    return repeatsOwners(this.spec.joins) ? loading.then((objects) => [...new Set(objects)]) : loading
  }

  /** The first matching object (LIMIT 1), or null. */
  first(): Promise<T | null> {
    return this.limit(1)
      .all()
      .then((objects) => objects[0] ?? null)
  }

  /** Exactly one object: {@link NoResultFoundError} for none, {@link MultipleResultsFoundError} for several. */
  one(): Promise<T> {
    return this.atMostTwo()
      .all()
      .then((objects) => {
        const found = this.single(objects)
        if (found === null) throw NoResultFoundError.forModel(this.source.mapper.name)
        return found
      })
  }

  /** One object or null: {@link MultipleResultsFoundError} for several. */
  oneOrNone(): Promise<T | null> {
    return this.atMostTwo()
      .all()
      .then((objects) => this.single(objects))
  }

  /** This query limited to the two rows that tell one result from several; a to-many join repeats an owner row by row, so two rows may be one object and every row is read (as SQLAlchemy's Query does). */
  private atMostTwo(): Query<T> {
    return repeatsOwners(this.spec.joins) ? this : this.limit(Math.min(this.spec.limit ?? 2, 2))
  }

  /** The only object of `objects`, or null; {@link MultipleResultsFoundError} for several. */
  private single(objects: readonly T[]): T | null {
    if (objects.length > 1) throw MultipleResultsFoundError.forModel(this.source.mapper.name)
    return objects[0] ?? null
  }

  /** Like {@link first}, but raises `NotFoundError` (HTTP 404 behind the middleware) instead of returning null. */
  async firstOr404(options: { description?: string } = {}): Promise<T> {
    const found = await this.first()
    if (found === null) throw NotFoundError.of(`A matching ${this.source.mapper.name}`, options.description)
    return found
  }

  /** Like {@link one}, but raises `NotFoundError` (HTTP 404) when no row or several rows match (Flask-SQLAlchemy's `one_or_404`). */
  async oneOr404(options: { description?: string } = {}): Promise<T> {
    let found: T | null
    try {
      found = await this.oneOrNone()
    } catch (error) {
      if (error instanceof MultipleResultsFoundError) throw NotFoundError.of(`Exactly one matching ${this.source.mapper.name}`, options.description)
      throw error
    }
    if (found === null) throw NotFoundError.of(`A matching ${this.source.mapper.name}`, options.description)
    return found
  }

  /**
   * The object with primary key `key` in this query's session (identity map first), or
   * `NotFoundError` (HTTP 404): Flask-SQLAlchemy's `Model.query.get_or_404(id)`.
   */
  async getOr404(key: KeyOf<T>, options: { description?: string } = {}): Promise<T> {
    const found = await this.source.session().get(this.source.mapper.modelClass as ModelClass<T>, key)
    if (found === null) throw NotFoundError.of(`${this.source.mapper.name} ${JSON.stringify(key, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`, options.description)
    return found
  }

  /**
   * The matching objects, read `batchSize` rows at a time (default 1000) from an open statement
   * (SQLite) or a server-side cursor (PostgreSQL), so memory stays flat over any number of rows:
   * SQLAlchemy's `yield_per`. Autoflushes once, before the statement runs; loader options apply per
   * batch (`selectinload` once per batch); a collection loaded with `joinedload` is refused
   * (`stream_joined_collection`), as are to-many joins. `release: true` detaches each batch's objects
   * once the loop has moved past it (see {@link StreamOptions.release}). Leaving the loop early closes
   * the statement or cursor. The stream lives in the session's transaction: a commit or rollback inside
   * the loop ends it (`stream_closed`); on SQLite nothing can be written while it reads
   * (`write_during_stream`: flush after the loop).
   *
   * ### Examples
   * ```ts
   * for await (const user of session.query(User).orderBy({ id: 'asc' }).stream({ batchSize: 1000, release: true })) {
   *   await send(user.email)
   * }
   * ```
   */
  stream(options: StreamOptions = {}): AsyncGenerator<T, void, undefined> {
    const batchSize = streamBatchSize(options)
    if (repeatsOwners(this.spec.joins)) throw InvalidRequestError.toManyJoinInStream(this.source.mapper.name)
    const source = {
      mapper: this.source.mapper,
      prepare: async () => this.prepare(),
      node: () => this.entityNode(),
      loaderOptions: this.spec.loaderOptions ?? [],
      primary: this.spec.primary === true,
      slice: (objects: readonly Model[]) => this.slice(objects as T[]),
    }
    return streamObjects<T>(source, batchSize, options.release === true)
  }

  /** One page of results with Flask-SQLAlchemy's pagination arithmetic; see {@link paginate}. */
  paginate(options: PaginateOptions = {}): Promise<Pagination<T>> {
    return paginate(this, options)
  }

  /** The number of matching rows (`SELECT count(*)`), honouring limit and offset. */
  async count(): Promise<number> {
    const session = await this.prepare()
    if (inMemory(session)) return this.slice(session as T[]).length
    let node = this.selectNode({ kind: 'count' })
    if (this.spec.distinct !== undefined) {
      // Their order cannot change how many distinct rows there are: dropped before DISTINCT, which refuses an order on columns it does not select.
      node = { ...this.distinctRows({ ordered: false, window: true }), selection: { kind: 'count' } }
    } else if (this.spec.limit !== undefined || this.spec.offset !== undefined) {
      // count(*) ignores LIMIT/OFFSET on its own statement: count the limited rows in a subquery instead, loading none of
      // them. Their order cannot change how many there are, so the subquery has none.
      const limited: SelectNode = { ...this.selectNode({ kind: 'one' }), orderBy: [] }
      node = { kind: 'select', from: sql.subquery(limited, 't'), selection: { kind: 'count' } }
    }
    const rows = await this.run(session, () => session.executeRows(this.source.mapper, node, false))
    return Number(rows[0][0])
  }

  /**
   * Loads the number of related rows of each named to-many relationship with the objects, in the
   * same statement (a correlated `(SELECT count(*) ...)` per relationship): `post._count.comments`.
   * `_count` is replaced by each load that counts and is never flushed. A name that is no to-many
   * relationship is a compile error, and `InvalidRequestError` at run time.
   *
   * ### Examples
   * ```ts
   * const page = await session.query(Post).withCount('comments').orderBy({ id: 'desc' }).limit(10).all()
   * page[0]._count.comments
   * ```
   */
  withCount<N extends ToManyRelationNameOf<T>>(...relationships: N[]): Query<WithCount<T, N>> {
    const counts = checkCountable(this.source.mapper, relationships)
    return this.derive({ ...this.spec, counts: [...(this.spec.counts ?? []), ...counts] }) as unknown as Query<WithCount<T, N>>
  }

  /**
   * Prisma's `aggregate`: `_count`, `_sum`, `_avg`, `_min` and `_max` of the matching rows in one
   * statement, shaped and typed as PrismaClient returns them (`_count: true` is a number, `_sum`
   * of no rows is null, `_avg` is a float or a Decimal). A limit or offset (Prisma's take/skip)
   * aggregates those rows only. It always asks the database: a dynamic relationship of an object
   * without a row has no rows there yet.
   *
   * ### Examples
   * ```ts
   * const { _count, _sum } = await session.query(Post).where({ published: true }).aggregate({ _count: true, _sum: { views: true } })
   * ```
   */
  async aggregate<const A extends AggregateArgs<ColumnsOf<T>>>(args: A & NoExtraKeys<A, AggregateArgs<ColumnsOf<T>>>): Promise<AggregateResult<ColumnsOf<T>, A>> {
    const mapper = this.source.mapper
    const items = aggregateItems(mapper, args as Record<string, unknown>)
    if (items.length === 0) return {} as AggregateResult<ColumnsOf<T>, A>
    const session = await this.flushedSession()
    const base = this.spec.distinct === undefined ? this.selectNode({ kind: 'one' }) : this.distinctRows({ ordered: true, window: true })
    const node = aggregateSelect(base, items)
    const rows = await this.run(session, () => session.executeRows(mapper, node, needsExactIntegers(items)))
    return aggregateReader(items, session.dialectOf(mapper))(rows[0], 0) as AggregateResult<ColumnsOf<T>, A>
  }

  /**
   * Prisma's `groupBy`: one plain object per group of `by` values, with the aggregates asked for
   * (`{ authorId: 1, _count: { _all: 3 }, _sum: { views: 12 } }`), filtered by `having` (Prisma's
   * shape: `{ views: { _sum: { gt: 100 } } }`) and ordered by `orderBy` (grouped columns or
   * aggregates). The query's where filters the rows; its limit and offset apply to the groups
   * (Prisma's take/skip); its own order does not apply (use `orderBy` here).
   *
   * ### Examples
   * ```ts
   * const top = await session.query(Post).groupBy(['authorId'], { _sum: { views: true }, orderBy: { _sum: { views: 'desc' } } })
   * ```
   */
  async groupBy<const B extends readonly (keyof ColumnsOf<T> & string)[], const A extends GroupByArgs<ColumnsOf<T>, B[number]> = {}>(
    by: B,
    args?: A & NoExtraKeys<A, GroupByArgs<ColumnsOf<T>, B[number]>>,
  ): Promise<GroupByResult<ColumnsOf<T>, B[number], A>[]> {
    const mapper = this.source.mapper
    // Distinct rows are grouped in a subquery; the query's limit and offset still apply to the groups.
    const base =
      this.spec.distinct === undefined
        ? this.selectNode({ kind: 'one' })
        : { ...this.distinctRows({ ordered: true, window: false }), limit: this.spec.limit, offset: this.spec.offset }
    const plan = groupByPlan(mapper, base, by, (args ?? {}) as Record<string, unknown>)
    const session = await this.flushedSession()
    const rows = await this.run(session, () => session.executeRows(mapper, plan.node, plan.exactIntegers))
    return plan.read(rows, session.dialectOf(mapper)) as GroupByResult<ColumnsOf<T>, B[number], A>[]
  }

  /** True when at least one row matches. */
  async exists(): Promise<boolean> {
    const session = await this.prepare()
    if (inMemory(session)) return this.slice(session as T[]).length > 0
    const rows = await this.run(session, () => session.executeRows(this.source.mapper, { ...this.selectNode({ kind: 'one' }), limit: 1 }, false))
    return rows.length > 0
  }

  /**
   * Updates every matching row with one `UPDATE ... SET ... WHERE <this query's criteria>` and returns
   * how many rows matched (SQLAlchemy 2.0's ORM-enabled UPDATE, Prisma's `updateMany`). Values are
   * column values or Prisma's atomic number operations (`{ views: { increment: 1 } }`, `decrement`,
   * `multiply`, `divide`, `set`); `@updatedAt` columns take the current time unless given. Objects
   * already in the session follow `options.synchronize` (default `'auto'`: evaluate the criteria in
   * memory, or fetch the matched keys with RETURNING when they cannot be): they take the new values
   * as loaded, not as changes. Pending changes are flushed first (autoflush); no per-object events
   * fire. A query with `limit`, `offset`, `orderBy` or joins is refused (`bulk_clause_unsupported`).
   *
   * ### Examples
   * ```ts
   * const n = await session.query(Post).where({ published: true }).update({ views: { increment: 1 } })
   * ```
   */
  update(values: UpdateInput<ColumnsOf<T>>, options: BulkWriteOptions = {}): Promise<number> {
    return bulkUpdate(this.bulkTarget(), values as Record<string, unknown>, options)
  }

  /**
   * Deletes every matching row with one `DELETE ... WHERE <this query's criteria>` and returns how
   * many rows it deleted (SQLAlchemy 2.0's ORM-enabled DELETE, Prisma's `deleteMany`). Objects of
   * those rows already in the session become deleted (detached at commit, restored by rollback),
   * following `options.synchronize` as {@link update} does. No relationship cascade or per-object
   * event runs; the database's own ON DELETE actions do.
   */
  delete(options: BulkWriteOptions = {}): Promise<number> {
    return bulkDelete(this.bulkTarget(), options)
  }

  /** This query as `update()` and `delete()` run it. */
  private bulkTarget(): BulkTarget {
    return {
      mapper: this.source.mapper,
      declaredOrder: this.source.declaredOrder,
      statement: () => this.selectNode({ kind: 'one' }),
      prepare: async () => {
        const session = await this.prepare()
        return inMemory(session) ? null : session
      },
    }
  }

  /** The entity SELECT of `all()` and `stream()`: every column, and the relationship counts asked for. */
  private entityNode(): SelectNode {
    const columns = selectedColumns(this.source.mapper, this.spec.columnOptions ?? [], this.spec.loaderOptions ?? [])
    return selectCounts(this.source.mapper, this.distinctNode(this.selectNode({ kind: 'columns', columns })), this.spec.counts ?? [])
  }

  /**
   * The query's distinct rows as the table of an outer statement, `SELECT 1 FROM (SELECT DISTINCT ...) AS "t"`,
   * for counting, aggregating or grouping them rather than the rows before DISTINCT. `ordered` keeps the
   * query's order inside (DISTINCT ON keeps each group's first row in it); `window` keeps its limit and offset.
   */
  private distinctRows(options: { ordered: boolean; window: boolean }): SelectNode {
    const columns = selectedColumns(this.source.mapper, this.spec.columnOptions ?? [], this.spec.loaderOptions ?? [])
    let rows = this.selectNode({ kind: 'columns', columns })
    if (!options.window) rows = { ...rows, limit: undefined, offset: undefined }
    // Unordered: no order before DISTINCT (which refuses one on columns it does not select), nor the one DISTINCT ON adds.
    rows = options.ordered ? this.distinctNode(rows) : { ...this.distinctNode({ ...rows, orderBy: [] }), orderBy: [] }
    return { kind: 'select', from: sql.subquery(rows, 't'), selection: { kind: 'one' } }
  }

  /** `node` with the DISTINCT that `distinct()` asked for, if any. */
  private distinctNode(node: SelectNode): SelectNode {
    const distinct = this.spec.distinct
    return distinct === undefined ? node : withDistinct(node, distinct, this.source.session().dialectOf(this.source.mapper).name)
  }

  /** The statement this query runs, for the given selection. @internal */
  selectNode(selection: SelectionNode): SelectNode {
    const conditions = this.source.criteria ? [this.source.criteria(), ...this.spec.where] : this.spec.where
    return {
      kind: 'select',
      from: this.source.mapper.tableNode,
      ...(this.spec.joins !== undefined ? { joins: joinNodes(this.spec.joins) } : {}),
      selection,
      where: conditions.length > 0 ? sql.and(conditions) : undefined,
      orderBy: this.spec.orderBy,
      limit: this.spec.limit,
      offset: this.spec.offset,
    }
  }

  /**
   * The session to run in, after its autoflush; or the objects the source holds in memory instead
   * (a dynamic relationship of an object without a row).
   */
  private prepare(): LoadContext | readonly Model[] | Promise<LoadContext | readonly Model[]> {
    const before = this.source.inMemory?.(false)
    if (before !== undefined) return before
    const session = this.source.session()
    // Without a flush to wait for, no promise: inside a request scope each one costs (see `autoflushIfDue`).
    const flushing = session.autoflushIfDue()
    if (flushing === undefined) return this.source.inMemory?.(true) ?? session
    return flushing.then(() => this.source.inMemory?.(true) ?? session)
  }

  /** The session to run in, after its autoflush, for statements that always ask the database (aggregates). */
  private async flushedSession(): Promise<LoadContext> {
    const session = this.source.session()
    await session.autoflush()
    return session
  }

  /** An in-memory answer with this query's offset and limit applied (its filters need the database). */
  private slice(objects: readonly T[]): T[] {
    const start = this.spec.offset ?? 0
    return objects.slice(start, this.spec.limit === undefined ? undefined : start + this.spec.limit)
  }

  /** Runs the query's statements, on the primary when `usePrimary()` asked for it. */
  private run<R>(session: LoadContext, work: () => Promise<R>): Promise<R> {
    return this.spec.primary ? session.routing.onPrimary(work) : work()
  }

  /** A copy of this query with another spec; subclasses keep their own extras. */
  protected derive(spec: QuerySpec): this {
    const Constructor = this.constructor as new (source: QuerySource, spec: QuerySpec) => this
    return new Constructor(this.source, spec)
  }
}
