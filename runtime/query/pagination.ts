/** Pagination: Flask-SQLAlchemy's page arithmetic, over any query (including dynamic relationships). */
import { NotFoundError } from '../errors.js'
import type { Model } from '../orm/model.js'

/**
 * A page number as a request hands it over: a number, a string, absent, or what a query-string parser
 * makes of `?page=1&page=2` (an array: its first value counts, as Flask's `request.args.get`) or of
 * `?page[x]=1` (an object: not a number, so invalid).
 */
export type PageInput = number | string | null | undefined | readonly unknown[] | { readonly [key: string]: unknown }

/**
 * Options of `paginate()`; `page` and `perPage` may come straight from a query string
 * (`paginate({ page: req.query.page })`), also under `exactOptionalPropertyTypes`.
 */
export interface PaginateOptions {
  /** 1-based page number; default 1. */
  readonly page?: PageInput
  /** Items per page; default 20. */
  readonly perPage?: PageInput
  /** Upper bound for `perPage` (requests asking for more get this many). */
  readonly maxPerPage?: number | undefined
  /**
   * With `true` (default), a page below 1, a `perPage` below 0, an unparsable number or an empty
   * page after the first raise `NotFoundError` (HTTP 404); with `false` they fall back to defaults.
   */
  readonly errorOut?: boolean | undefined
  /** Run a COUNT for `total` and `pages` (default true). */
  readonly count?: boolean | undefined
}

/** Where the sliding page window of {@link Pagination.iterPages} keeps numbers. */
export interface IterPagesOptions {
  readonly leftEdge?: number | undefined
  readonly leftCurrent?: number | undefined
  readonly rightCurrent?: number | undefined
  readonly rightEdge?: number | undefined
}

/**
 * What a page is read from: a query (or a dynamic relationship, which is one) that can be limited,
 * offset, run and counted. Flask-SQLAlchemy's `Pagination` reads its items and total the same two ways.
 */
export interface PageSource<T extends Model> {
  /** The same rows, at most `count` of them. */
  limit(count: number): PageSource<T>
  /** The same rows, skipping the first `count`. */
  offset(count: number): PageSource<T>
  /** Runs it: every row as an object. */
  all(): Promise<T[]>
  /** How many rows it has without limit and offset applied by the page. */
  count(): Promise<number>
}

function parsePositive(input: PageInput, fallback: number, minimum: number, errorOut: boolean, what: string): number {
  const value = Array.isArray(input) ? input[0] : input
  if (value === undefined || value === null || value === '') return fallback
  const parsed = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number.parseInt(value, 10) : Number.NaN
  if (Number.isInteger(parsed) && parsed >= minimum) return parsed
  if (errorOut) throw NotFoundError.of(`${what} ${JSON.stringify(value)}`, `Invalid ${what} ${JSON.stringify(value)}.`)
  return fallback
}

/**
 * One page of a query's results plus the arithmetic to link to others (Flask-SQLAlchemy's
 * `Pagination`).
 */
export class Pagination<T extends Model> {
  /** @internal Use `paginate()`. */
  constructor(
    private readonly query: PageSource<T>,
    private readonly options: PaginateOptions,
    /** The current page number (1-based). */
    readonly page: number,
    /** Items per page. */
    readonly perPage: number,
    /** Items on this page. */
    readonly items: T[],
    /** Items on all pages, or null when counting was turned off. */
    readonly total: number | null,
  ) {}

  /** Number of pages (0 when there are no items or counting is off). */
  get pages(): number {
    if (this.total === null || this.total === 0 || this.perPage === 0) return 0
    return Math.ceil(this.total / this.perPage)
  }

  /** 1-based index of the first item on this page (0 when the page is empty). */
  get first(): number {
    return this.items.length === 0 ? 0 : (this.page - 1) * this.perPage + 1
  }

  /** 1-based index of the last item on this page (0 when the page is empty). */
  get last(): number {
    return this.items.length === 0 ? 0 : this.first + this.items.length - 1
  }

  /** True when there is a page before this one. */
  get hasPrev(): boolean {
    return this.page > 1
  }

  /** The previous page number, or null. */
  get prevNum(): number | null {
    return this.hasPrev ? this.page - 1 : null
  }

  /** True when there is a page after this one. */
  get hasNext(): boolean {
    return this.page < this.pages
  }

  /** The next page number, or null. */
  get nextNum(): number | null {
    return this.hasNext ? this.page + 1 : null
  }

  /** The previous page (runs the query again). */
  prev(): Promise<Pagination<T>> {
    return paginate(this.query, { ...this.options, page: this.page - 1, perPage: this.perPage, errorOut: false })
  }

  /** The next page (runs the query again). */
  next(): Promise<Pagination<T>> {
    return paginate(this.query, { ...this.options, page: this.page + 1, perPage: this.perPage, errorOut: false })
  }

  /**
   * Page numbers for a pager, with `null` where numbers are skipped, e.g. for page 8 of 20:
   * `1, 2, null, 6, 7, 8, 9, 10, 11, 12, null, 19, 20`.
   */
  *iterPages({ leftEdge = 2, leftCurrent = 2, rightCurrent = 4, rightEdge = 2 }: IterPagesOptions = {}): Generator<number | null> {
    const pagesEnd = this.pages + 1
    if (pagesEnd === 1) return
    const leftEnd = Math.min(1 + leftEdge, pagesEnd)
    for (let n = 1; n < leftEnd; n++) yield n
    if (leftEnd === pagesEnd) return
    const midStart = Math.max(leftEnd, this.page - leftCurrent)
    const midEnd = Math.min(this.page + rightCurrent + 1, pagesEnd)
    if (midStart - leftEnd > 0) yield null
    for (let n = midStart; n < midEnd; n++) yield n
    if (midEnd === pagesEnd) return
    const rightStart = Math.max(midEnd, pagesEnd - rightEdge)
    if (rightStart - midEnd > 0) yield null
    for (let n = rightStart; n < pagesEnd; n++) yield n
  }
}

/**
 * Runs one page of `query`: `LIMIT perPage OFFSET (page - 1) * perPage`, plus a COUNT unless
 * `count: false`. Bad input is answered as Flask-SQLAlchemy does (see {@link PaginateOptions.errorOut}).
 */
export async function paginate<T extends Model>(query: PageSource<T>, options: PaginateOptions = {}): Promise<Pagination<T>> {
  const errorOut = options.errorOut ?? true
  const page = parsePositive(options.page, 1, 1, errorOut, 'page')
  let perPage = parsePositive(options.perPage, 20, 0, errorOut, 'perPage')
  if (options.maxPerPage !== undefined) perPage = Math.min(perPage, options.maxPerPage)
  const items = perPage === 0 ? [] : await query.limit(perPage).offset((page - 1) * perPage).all()
  if (items.length === 0 && page !== 1 && errorOut) throw NotFoundError.of(`page ${page}`, `Page ${page} is past the last page.`)
  const total = options.count === false ? null : await query.count()
  return new Pagination(query, options, page, perPage, items, total)
}
