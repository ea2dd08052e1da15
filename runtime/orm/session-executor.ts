/** How a session's statements reach its engines: each model's bind, the replica or primary it reads from, inside the session's transaction. */
import type { QueryResult, RowBatches } from '../engine/driver.js'
import type { Dialect } from '../dialect/dialect.js'
import type { CompiledQuery } from '../sql/compiled-query.js'
import type { SelectNode, StatementNode } from '../sql/nodes.js'
import { Result, type RawSql } from '../sql/raw-sql.js'
import type { Mapper } from './mapper.js'
import type { BindRoute, SessionRouting } from './routing.js'
import { explainSchemaMismatch } from './schema-mismatch.js'
import type { Rows, StatementCompiler } from './session-context.js'
import { traceQuery } from './session-tracing.js'
import type { SessionTransaction } from './transaction/session-transaction.js'
import { explainUniqueViolation } from './unique-fields.js'

/** The rows of a SELECT's result. */
function rowsOf(result: QueryResult): Rows {
  return result.rows
}

/** A write's error, named for `mapper`'s table when it says the table or a column is missing, or that a unique field is taken. */
function explainWriteError(error: unknown, mapper: Mapper): unknown {
  return explainUniqueViolation(explainSchemaMismatch(error, mapper), mapper)
}

/** Where the executor gets the session's transaction: the current one, begun when there is none. */
export interface TransactionSource {
  ensure(): SessionTransaction
}

/**
 * Runs a session's statements: reads on the bind's reading engine (its replica until the session is
 * pinned to the primaries), writes on its primary, all inside the session's transaction, which
 * `ensure()` begins when needed. A driver error that says the table or a column is missing
 * becomes a `SchemaMismatchError` naming the model. Each statement is a `prismalchemy.query` span
 * when tracing is on (see `traceQuery`).
 * @internal
 */
export class SessionExecutor {
  readonly #routing: SessionRouting
  readonly #transactions: TransactionSource

  constructor(routing: SessionRouting, transactions: TransactionSource) {
    this.#routing = routing
    this.#transactions = transactions
  }

  /** The SQL dialect of a model's bind. */
  dialectOf(mapper: Mapper): Dialect {
    return this.#routing.routeOf(mapper).dialect
  }

  /** Runs a SELECT on the table of `mapper` and returns its raw rows. */
  select(mapper: Mapper, node: SelectNode, exactIntegers: boolean): Promise<Rows> {
    const route = this.#routing.routeOf(mapper)
    return this.#read(route, mapper, route.compiler.compile(node, exactIntegers))
  }

  /** Opens a stream of a SELECT's rows on the table of `mapper`, read `batchSize` at a time where its reads go (`query.stream()`). */
  async stream(mapper: Mapper, node: SelectNode, exactIntegers: boolean, batchSize: number): Promise<RowBatches> {
    const route = this.#routing.routeOf(mapper)
    try {
      const transaction = this.#transactions.ensure()
      const query = route.compiler.compile(node, exactIntegers)
      return await traceQuery(this.#routing.readEngine(route), mapper, 'select', query, () => transaction.stream(this.#routing, route, query, batchSize))
    } catch (error) {
      throw explainSchemaMismatch(error, mapper)
    }
  }

  /** `SELECT <every column> WHERE <pk> = ?` for `values`: its rows (one or none), compiled once per mapper and dialect. */
  selectByPrimaryKey(mapper: Mapper, values: readonly unknown[]): Promise<Rows> {
    const route = this.#routing.routeOf(mapper)
    return this.#read(route, mapper, mapper.primaryKeyQuery(route.compiler, route.dialect, values))
  }

  /** Runs a write on the table of `mapper`, on its bind's primary. */
  write(mapper: Mapper, node: StatementNode, exactIntegers: boolean): Promise<QueryResult> {
    return this.writeCompiled(mapper, node.kind, (compiler) => compiler.compile(node, exactIntegers))
  }

  /** Runs a write of `kind` that `compile` builds for the bind's compiler and dialect (e.g. a cached statement with new parameters), on its primary. */
  writeCompiled(mapper: Mapper, kind: StatementNode['kind'], compile: StatementCompiler): Promise<QueryResult> {
    let running: Promise<QueryResult>
    try {
      const route = this.#routing.routeOf(mapper)
      const transaction = this.#transactions.ensure()
      const query = compile(route.compiler, route.dialect)
      running = traceQuery(route.primary, mapper, kind, query, () => transaction.write(route, query))
    } catch (error) {
      return Promise.reject(explainWriteError(error, mapper))
    }
    return running.catch((error: unknown) => {
      throw explainWriteError(error, mapper)
    })
  }

  /**
   * Runs a raw statement on `mapper`'s bind (the default bind without one), always on the primary: a
   * replica may lag behind what the caller expects to read. A statement that may write pins the
   * session to the primaries, as a flush does.
   */
  async raw<R extends Record<string, unknown>>(statement: RawSql, mapper: Mapper | undefined): Promise<Result<R>> {
    const route = mapper === undefined ? this.#routing.defaultRoute : this.#routing.routeOf(mapper)
    const node = statement.toNode()
    const query = route.compiler.compile(node)
    const transaction = this.#transactions.ensure()
    if (node.isWrite) this.#routing.pin()
    const result = await traceQuery(route.primary, undefined, 'raw', query, () =>
      node.isWrite ? transaction.write(route, query) : transaction.execute(route, route.primary, query),
    )
    return new Result<R>(result)
  }

  /** Runs a compiled SELECT of `mapper`'s table where routing sends `route`'s reads (see `SessionTransaction.read`). */
  #read(route: BindRoute, mapper: Mapper, query: CompiledQuery): Promise<Rows> {
    let running: Promise<QueryResult>
    try {
      const transaction = this.#transactions.ensure()
      running = traceQuery(this.#routing.readEngine(route), mapper, 'select', query, () => transaction.read(this.#routing, route, query))
    } catch (error) {
      return Promise.reject(explainSchemaMismatch(error, mapper))
    }
    return running.then(rowsOf, (error: unknown) => {
      throw explainSchemaMismatch(error, mapper)
    })
  }
}
