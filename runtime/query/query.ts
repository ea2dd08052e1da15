/** Query: an immutable, typed query over one model; terminal methods autoflush and load through the identity map. */
import { InvalidRequestError, MultipleResultsFoundError, NoResultFoundError, NotFoundError } from '../errors.js'
import type { Mapper } from '../orm/mapper.js'
import type { ColumnsOf, KeyOf, Model, ModelClass } from '../orm/model.js'
import type { LoadContext } from '../orm/session-context.js'
import { sql, type ConditionNode, type OrderByNode, type SelectNode, type SelectionNode } from '../sql/nodes.js'
import { checkLoaderOptions, type LoaderOption } from '../loading/loader-options.js'
import { paginate, type PaginateOptions, type Pagination } from './pagination.js'
import { compileWhere, type WhereInput } from './where.js'

/** Sort direction. */
export type SortOrder = 'asc' | 'desc'

/** Prisma-style ordering: `{ username: 'asc' }`, or a list of those for several keys. */
export type OrderByInput<C> = { [K in keyof C]?: SortOrder } | readonly { [K in keyof C]?: SortOrder }[]

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

  /** Adds a Prisma-style where condition (ANDed with earlier ones). */
  where(where: WhereInput<ColumnsOf<T>>): this {
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
  orderBy(order: OrderByInput<ColumnsOf<T>>): this
  orderBy(column: keyof ColumnsOf<T> & string, direction?: SortOrder): this
  orderBy(reset: null): this
  orderBy(order: OrderByInput<ColumnsOf<T>> | string | null, direction: SortOrder = 'asc'): this {
    if (order === null) return this.derive({ ...this.spec, orderBy: [] })
    const mapper = this.source.mapper
    const items: OrderByNode[] = []
    if (typeof order === 'string') items.push(sql.orderBy(mapper.column(order).node, direction))
    else {
      for (const entry of Array.isArray(order) ? order : [order]) {
        for (const [name, dir] of Object.entries(entry as Record<string, SortOrder>)) {
          if (dir !== 'asc' && dir !== 'desc') throw InvalidRequestError.invalidSortOrder(name)
          items.push(sql.orderBy(mapper.column(name).node, dir))
        }
      }
    }
    return this.derive({ ...this.spec, orderBy: [...this.spec.orderBy, ...items] })
  }

  /**
   * Loading strategies for this query's objects, overriding the schema's: `selectinload('role')`
   * loads `role` for all of them with one more SELECT ... IN (...); `raiseload('*')`, `noload(...)`,
   * `lazyload(...)` change how the objects' relationships behave when read. Paths may be dotted
   * (`'users.posts'`): each level on the way is loaded with `selectin`. Every path is checked here: a
   * name that is no relationship (or a dynamic one) anywhere on it raises `InvalidRequestError` now.
   */
  options(...options: LoaderOption[]): this {
    checkLoaderOptions(this.source.mapper, options)
    return this.derive({ ...this.spec, loaderOptions: [...(this.spec.loaderOptions ?? []), ...options] })
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
  async all(): Promise<T[]> {
    const session = await this.prepare()
    if (inMemory(session)) return this.slice(session as T[])
    return this.run(session, () =>
      session.loadObjects<T>(
        this.source.mapper,
        this.selectNode({ kind: 'columns', columns: this.source.mapper.selectColumns }),
        this.spec.loaderOptions,
      ),
    )
  }

  /** The first matching object (LIMIT 1), or null. */
  async first(): Promise<T | null> {
    const [first] = await this.limit(1).all()
    return first ?? null
  }

  /** Exactly one object: {@link NoResultFoundError} for none, {@link MultipleResultsFoundError} for several. */
  async one(): Promise<T> {
    const found = await this.oneOrNone()
    if (found === null) throw NoResultFoundError.forModel(this.source.mapper.name)
    return found
  }

  /** One object or null: {@link MultipleResultsFoundError} for several. */
  async oneOrNone(): Promise<T | null> {
    const rows = await this.limit(Math.min(this.spec.limit ?? 2, 2)).all()
    if (rows.length > 1) throw MultipleResultsFoundError.forModel(this.source.mapper.name)
    return rows[0] ?? null
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

  /** One page of results with Flask-SQLAlchemy's pagination arithmetic; see {@link paginate}. */
  paginate(options: PaginateOptions = {}): Promise<Pagination<T>> {
    return paginate(this, options)
  }

  /** The number of matching rows (`SELECT count(*)`), honouring limit and offset. */
  async count(): Promise<number> {
    const session = await this.prepare()
    if (inMemory(session)) return this.slice(session as T[]).length
    let node = this.selectNode({ kind: 'count' })
    if (this.spec.limit !== undefined || this.spec.offset !== undefined) {
      // count(*) ignores LIMIT/OFFSET on its own statement: count the limited rows in a subquery instead, loading none of
      // them. Their order cannot change how many there are, so the subquery has none.
      const limited: SelectNode = { ...this.selectNode({ kind: 'one' }), orderBy: [] }
      node = { kind: 'select', from: sql.subquery(limited, 't'), selection: { kind: 'count' } }
    }
    const rows = await this.run(session, () => session.executeRows(this.source.mapper, node, false))
    return Number(rows[0][0])
  }

  /** True when at least one row matches. */
  async exists(): Promise<boolean> {
    const session = await this.prepare()
    if (inMemory(session)) return this.slice(session as T[]).length > 0
    const rows = await this.run(session, () => session.executeRows(this.source.mapper, { ...this.selectNode({ kind: 'one' }), limit: 1 }, false))
    return rows.length > 0
  }

  /** The statement this query runs, for the given selection. @internal */
  selectNode(selection: SelectionNode): SelectNode {
    const conditions = this.source.criteria ? [this.source.criteria(), ...this.spec.where] : this.spec.where
    return {
      kind: 'select',
      from: this.source.mapper.tableNode,
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
  private async prepare(): Promise<LoadContext | readonly Model[]> {
    const before = this.source.inMemory?.(false)
    if (before !== undefined) return before
    const session = this.source.session()
    await session.autoflush()
    return this.source.inMemory?.(true) ?? session
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
