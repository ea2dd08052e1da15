/** Every error the runtime raises: named classes with a stable `code`, built by static factories. */

/** Frames a prismalchemy error's stack keeps (see {@link OrmError}). */
const ERROR_STACK_FRAMES = 40

/**
 * Base class of every prismalchemy runtime error.
 *
 * `code` is stable across releases: match on it, not on the message. Messages say what happened
 * and what to do about it.
 */
export class OrmError extends Error {
  override readonly name: string = 'OrmError'
  /** Stable, machine-readable identifier of the error kind. */
  readonly code: string

  /** @internal */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    // prismalchemy's own frames (driver, connection, transaction, session, query) can fill V8's default
    // of 10: the stack keeps enough to reach the application's frames after them, sync or async. A limit
    // of 0 (stacks turned off) or one above this stays as it is.
    const limit = Error.stackTraceLimit
    const raised = limit > 0 && limit < ERROR_STACK_FRAMES
    if (raised) Error.stackTraceLimit = ERROR_STACK_FRAMES
    super(message, options)
    if (raised) Error.stackTraceLimit = limit
    this.code = code
  }
}

/** The object is in a state where the requested operation makes no sense (e.g. deleting a transient object). */
export class InvalidRequestError extends OrmError {
  override readonly name: string = 'InvalidRequestError'

  /** @internal */
  constructor(message: string, code = 'invalid_request', options?: { cause?: unknown }) {
    super(code, message, options)
  }

  /** The object is not attached to this session. */
  static notInSession(what: string, operation: string): InvalidRequestError {
    return new InvalidRequestError(
      `${what} is not in this session, so it cannot be ${operation}. Add it with session.add() or load it through this session first.`,
      'not_in_session',
    )
  }

  /** The object belongs to another session. */
  static attachedElsewhere(what: string): InvalidRequestError {
    return new InvalidRequestError(
      `${what} is already attached to another session. Close or expunge it there first, or use session.merge() to copy its state into this session.`,
      'attached_elsewhere',
    )
  }

  /** The object's row was deleted and the deletion committed. */
  static deletedObject(what: string): InvalidRequestError {
    return new InvalidRequestError(
      `${what} was deleted and the deletion committed, so it cannot be added back. Create a new object with the same values instead.`,
      'object_deleted',
    )
  }

  /** A second object claims an identity already present in the identity map. */
  static identityConflict(what: string): InvalidRequestError {
    return new InvalidRequestError(
      `Another object with the identity of ${what} is already in this session. Use session.merge() to copy state onto the existing object.`,
      'identity_conflict',
    )
  }

  /** `add()` of an object whose DELETE was already flushed in this transaction (SQLAlchemy raises the same). */
  static deletedInTransaction(what: string): InvalidRequestError {
    return new InvalidRequestError(
      `${what} has been deleted in this transaction (its DELETE was flushed), so it cannot be added again. ` +
        'Call makeTransient(obj) to turn it into a new object, or rollback() to undo the deletion.',
      'object_deleted',
    )
  }

  /** `begin()` while the session already has a transaction (begun explicitly or by its first operation). */
  static transactionAlreadyBegun(): InvalidRequestError {
    return new InvalidRequestError(
      'A transaction is already begun on this session (a first add(), query or flush begins one). ' +
        'Commit or roll it back first, or use session.beginNested() for a SAVEPOINT inside it.',
      'transaction_already_begun',
    )
  }

  /** commit() kept flushing because flush listeners kept adding work. */
  static flushLoop(times: number): InvalidRequestError {
    return new InvalidRequestError(`commit() flushed ${times} times and flush listeners still add work; a listener probably adds an object at every flush.`, 'flush_loop')
  }

  /** SQL from an after-commit or after-rollback listener. */
  static noSqlInPhase(phase: string): InvalidRequestError {
    return new InvalidRequestError(
      `This session is in '${phase}' state; no further SQL can be emitted within this transaction (from an afterCommit or afterRollback listener). Use another session.`,
      'no_sql_in_phase',
    )
  }

  /** New work inside `session.begin(work)` after `work` itself committed or rolled back the block's transaction. */
  static closedInContext(): InvalidRequestError {
    return new InvalidRequestError(
      "Can't operate on a closed transaction inside session.begin(work): work committed or rolled back the block's transaction itself. Return from work first, or do not end the transaction inside it.",
      'closed_in_context',
    )
  }

  /** flush() called from a listener of the flush that is running. */
  static alreadyFlushing(): InvalidRequestError {
    return new InvalidRequestError('This session is already flushing: flush() was called from a flush listener. Add objects there; the running flush (or commit) writes them.', 'already_flushing')
  }

  /** A transaction handle used after its transaction ended. */
  static transactionInactive(what: string): InvalidRequestError {
    return new InvalidRequestError(`This ${what} is closed (committed or rolled back already); begin a new one.`, 'transaction_inactive')
  }

  /** `db.session.configure()` inside a scope that already has its session: the options apply only to sessions created later. */
  static sessionAlreadyInScope(): InvalidRequestError {
    return new InvalidRequestError('A session already exists in this scope; configure() applies to new sessions. Call remove() first.', 'session_already_in_scope')
  }

  /** `makeTransientToDetached()` of an object that has a session or an identity already. */
  static notTransient(what: string): InvalidRequestError {
    return new InvalidRequestError(`${what} is not transient; only a transient object can be made detached.`, 'not_transient')
  }

  /** `makeTransientToDetached()` of an object whose primary-key columns are not all set. */
  static primaryKeyUnset(what: string, columns: readonly string[]): InvalidRequestError {
    return new InvalidRequestError(`${what} has no primary-key values; set ${columns.join(', ')} first.`, 'primary_key_unset')
  }

  /** `session.delete()` of an object without a row (transient or pending). */
  static notPersisted(what: string): InvalidRequestError {
    return new InvalidRequestError(`${what} is not persisted; use session.expunge() to discard a pending object.`, 'not_persisted')
  }

  /** `session.refresh()` of an object whose row was deleted in the database. */
  static refreshedRowGone(what: string): InvalidRequestError {
    return new InvalidRequestError(`Could not refresh ${what}: its row no longer exists.`, 'refreshed_row_gone')
  }

  /** A single value given as the key of a model whose primary key has several columns. */
  static compositeKeyExpected(model: string, columns: readonly string[]): InvalidRequestError {
    return new InvalidRequestError(`${model} has a composite primary key; pass { ${columns.join(', ')} }.`, 'composite_key_expected')
  }

  /** A composite key object without one of the primary-key columns. */
  static keyColumnMissing(model: string, column: string): InvalidRequestError {
    return new InvalidRequestError(`Primary key of ${model} is missing "${column}".`, 'key_column_missing')
  }

  /** `defineModels()` got metadata for a model without its class. */
  static modelClassMissing(model: string): InvalidRequestError {
    return new InvalidRequestError(`No class was given for model ${model}.`, 'model_class_missing')
  }

  /** `defineModels()` got a class another registry (or an earlier call) already mapped. */
  static alreadyMapped(model: string): InvalidRequestError {
    return new InvalidRequestError(`Model class ${model} is already mapped.`, 'already_mapped')
  }

  /** `listen()` with an event name the target (a model class or a session) does not emit. */
  static unknownEvent(event: string, target: 'a model class' | 'a session', known: Iterable<string>): InvalidRequestError {
    return new InvalidRequestError(`No such event "${event}" for ${target}; known events: ${[...known].join(', ')}.`, 'unknown_event')
  }

  /** A to-one relationship assigned something other than an object of its target model, or null. */
  static wrongRelatedObject(model: string, relationship: string, target: string): InvalidRequestError {
    return new InvalidRequestError(`${model}.${relationship} expects a ${target} or null.`, 'wrong_related_object')
  }

  /** A one-to-one relationship assigned from its side without the foreign key, when the other side has none either. */
  static relationshipNotAssignable(model: string, relationship: string): InvalidRequestError {
    return new InvalidRequestError(`${model}.${relationship} cannot be assigned: it has no foreign-key side.`, 'relationship_not_assignable')
  }

  /** A dynamic relationship's `append()`/`remove()` given an object of another model. */
  static wrongDynamicMember(target: string, relationship: string): InvalidRequestError {
    return new InvalidRequestError(`Expected a ${target} for ${relationship}.`, 'wrong_dynamic_member')
  }

  /** A loader option's path with an empty part, or `*` before its last part. */
  static invalidLoaderPath(path: string): InvalidRequestError {
    return new InvalidRequestError(`Invalid loader path "${path}": use "relationship", "a.b.c" or "*" (last part only).`, 'invalid_loader_path')
  }

  /** `joinedload()` of a dotted path: only the queried model's own relationships are joined. */
  static nestedJoinedLoad(path: string): InvalidRequestError {
    return new InvalidRequestError(
      `joinedload("${path}"): only relationships of the queried model can be joined; use selectinload for deeper paths.`,
      'nested_joined_load',
    )
  }

  /** A loader option names a relationship the model does not have. */
  static unknownLoaderRelationship(model: string, relationship: string): InvalidRequestError {
    return new InvalidRequestError(`Model ${model} has no relationship "${relationship}" (in a loader option).`, 'unknown_loader_relationship')
  }

  /** A loader option on a dynamic relationship, which is a query and never loaded. */
  static loaderOptionOnDynamic(model: string, relationship: string): InvalidRequestError {
    return new InvalidRequestError(`${model}.${relationship} is dynamic: it is a query, so loader options do not apply. Run it with .all().`, 'loader_option_on_dynamic')
  }

  /** `limit()` or `offset()` given something other than an integer >= 0. */
  static invalidRowCount(method: string, value: number): InvalidRequestError {
    return new InvalidRequestError(`${method}() expects an integer >= 0, got ${String(value)}.`, 'invalid_row_count')
  }

  /** `stream({ batchSize })` given something other than an integer >= 1. */
  static invalidBatchSize(value: unknown): InvalidRequestError {
    return new InvalidRequestError(`stream() expects batchSize to be an integer >= 1, got ${String(value)}.`, 'invalid_batch_size')
  }

  /** `stream()` of a query that loads a collection in its own statement (joined eager loading): its rows are not one per object (SQLAlchemy's yield_per refuses it too). */
  static joinedCollectionInStream(model: string, relationship: string): InvalidRequestError {
    return new InvalidRequestError(
      `stream() cannot load the collection ${model}.${relationship} with joined loading: its rows repeat each ${model} once per member, so a batch would split them. ` +
        `Load it per batch with .options(selectinload('${relationship}')), or not at all with lazyload('${relationship}').`,
      'stream_joined_collection',
    )
  }

  /** `stream()` of a query joined to a to-many relationship (`join('posts')`): its rows repeat each object, which a stream cannot make unique without holding them all. */
  static toManyJoinInStream(model: string): InvalidRequestError {
    return new InvalidRequestError(
      `stream() of a ${model} query joined to a to-many relationship would yield each ${model} once per joined row. Filter with a relation filter instead ({ posts: { some: {...} } }, an EXISTS).`,
      'stream_to_many_join',
    )
  }

  /**
   * A write (a flush, a savepoint) on a connection while `query.stream()` reads from it: better-sqlite3
   * (SQLite) runs none until the stream ends, and a MySQL/MariaDB connection sends the stream's rows
   * and runs nothing else of the transaction until then.
   */
  static writeDuringStream(operation: string): InvalidRequestError {
    return new InvalidRequestError(
      `Cannot ${operation.length > 70 ? `${operation.slice(0, 67)}...` : operation} while query.stream() is reading on the same connection: ` +
        'SQLite (better-sqlite3) writes nothing until the stream ends, and a MySQL/MariaDB connection runs nothing else of the transaction until it has sent every row. ' +
        'Finish or break the loop first (changes to streamed objects stay pending until the next flush), and run queries inside the loop under session.noAutoflush().',
      'write_during_stream',
    )
  }

  /** The next batch of `query.stream()` after the session's transaction ended (`operation`: commit, rollback, close): its cursor ended with it. */
  static streamClosed(operation: string): InvalidRequestError {
    return new InvalidRequestError(
      `query.stream() was closed by a ${operation} of its session's transaction, which its cursor belonged to: commit after the loop, or start a new stream.`,
      'stream_closed',
    )
  }

  /** `orderBy()` with a direction other than `'asc'` or `'desc'`. */
  static invalidSortOrder(column: string): InvalidRequestError {
    return new InvalidRequestError(`orderBy "${column}" must be 'asc' or 'desc'.`, 'invalid_sort_order')
  }

  /** A where filter's operator given an operand of the wrong kind, e.g. `in` without an array. */
  static invalidFilterOperand(column: string, operator: string, expected: 'an array' | 'a string' | 'true or false'): InvalidRequestError {
    return new InvalidRequestError(`"${column}.${operator}" expects ${expected}.`, 'invalid_filter_operand')
  }

  /** `AND`, `OR` or `NOT` given something other than where objects. */
  static invalidLogicalOperand(operator: string): InvalidRequestError {
    return new InvalidRequestError(`"${operator}" expects where objects.`, 'invalid_logical_operand')
  }

  /** A list column filtered with something that is neither an array nor a list filter. */
  static invalidListFilter(column: string, operators: Iterable<string>): InvalidRequestError {
    return new InvalidRequestError(`"${column}" is a list: filter it with an array or with ${[...operators].join(', ')}.`, 'invalid_list_filter')
  }

  /** A where filter object with operators the column's filter does not have (a misspelt operator). */
  static unknownFilterOperator(column: string, unknown: readonly string[], operators: Iterable<string>): InvalidRequestError {
    return new InvalidRequestError(
      `Unknown filter ${unknown.map((operator) => `"${operator}"`).join(', ')} on "${column}": use ${[...operators].join(', ')}.`,
      'unknown_filter_operator',
    )
  }

  /** `defer()` of a primary-key column: the key is the object's identity and is always loaded. */
  static deferredPrimaryKey(model: string, column: string): InvalidRequestError {
    return new InvalidRequestError(`defer("${column}"): ${model}.${column} is part of the primary key, which is always loaded. Remove it from defer().`, 'deferred_primary_key')
  }

  /** `loadOnly()`/`defer()` on a query that loads a relationship with a join, which selects every column of the model. */
  static deferredWithJoinedLoad(model: string, relationship: string): InvalidRequestError {
    return new InvalidRequestError(
      `loadOnly()/defer() cannot be combined with joined loading of ${model}.${relationship}: load it with selectinload("${relationship}") (or lazyload) in this query instead.`,
      'deferred_with_joined_load',
    )
  }

  /** `distinct(columns)` (PostgreSQL's DISTINCT ON) on a database that has no DISTINCT ON. */
  static distinctOnUnsupported(dialect: string): InvalidRequestError {
    return new InvalidRequestError(
      `distinct([...columns]) compiles to DISTINCT ON, which only PostgreSQL has (this database is ${dialect}). Use distinct() for whole rows, or group with groupBy().`,
      'distinct_on_unsupported',
    )
  }

  /** `distinct()` (SELECT DISTINCT) with an ORDER BY on a column the statement does not select. */
  static distinctOrderByUnselected(column: string): InvalidRequestError {
    return new InvalidRequestError(
      `distinct() sorts its distinct rows, and the order by "${column}" is on a column they do not have (a deferred column, or a joined table's). Load that column, or filter with a relation filter instead of a to-many join.`,
      'distinct_order_by_unselected',
    )
  }

  /** `toJSON({ include })` names a relationship the model does not have. */
  static unknownJsonRelationship(model: string, relationship: string, known: Iterable<string>): InvalidRequestError {
    return new InvalidRequestError(
      `toJSON(): model ${model} has no relationship "${relationship}" to include (its relationships: ${[...known].join(', ') || 'none'}).`,
      'unknown_json_relationship',
    )
  }

  /** `toJSON({ include })` names a dynamic relationship: it is a query, never loaded, so it has nothing to include. */
  static dynamicInJson(model: string, relationship: string): InvalidRequestError {
    return new InvalidRequestError(
      `toJSON(): ${model}.${relationship} is dynamic, a query that is never loaded, so it cannot be included. Run it (await obj.${relationship}.all()) and serialise the result.`,
      'dynamic_in_json',
    )
  }

  /** A list column's value is not an array. */
  static listValueExpected(scalar: string, value: unknown): InvalidRequestError {
    return new InvalidRequestError(`A ${scalar}[] column takes an array; got ${typeof value}.`, 'list_value_expected')
  }

  /** `query.update()`/`query.delete()` on a query with a clause a single UPDATE or DELETE cannot honour (SQLAlchemy refuses the same). */
  static bulkClauseUnsupported(operation: 'update' | 'delete', clause: string): InvalidRequestError {
    return new InvalidRequestError(
      `Can't call query.${operation}() when ${clause} has been called: the statement would ignore it. ` +
        'Select the rows first (their keys) and filter on those, or remove the clause.',
      'bulk_clause_unsupported',
    )
  }

  /** A bulk update's value that its column cannot take (`reason` says why). */
  static invalidUpdateValue(model: string, column: string, reason: string): InvalidRequestError {
    return new InvalidRequestError(`Invalid value for ${model}.${column} in update(): ${reason}.`, 'invalid_update_value')
  }

  /** `synchronize: 'evaluate'` for criteria the session cannot evaluate in memory as the database would (SQLAlchemy's message). */
  static unevaluatableCriteria(operation: 'update' | 'delete', what: string): InvalidRequestError {
    return new InvalidRequestError(
      `Could not evaluate the criteria of query.${operation}() in memory (${what}). Use synchronize: 'fetch' (or 'auto', the default), or false to leave the session's objects as they are.`,
      'unevaluatable_criteria',
    )
  }

  /** A `synchronize` option that is none of 'auto', 'evaluate', 'fetch' or false. */
  static invalidSynchronize(value: unknown): InvalidRequestError {
    return new InvalidRequestError(`synchronize must be 'auto', 'evaluate', 'fetch' or false; got ${JSON.stringify(value)}.`, 'invalid_synchronize')
  }

  /** `session.insertMany()` given a row that is not a plain object of column values, or a value for a relationship. */
  static invalidInsertRow(model: string, index: number, reason: string): InvalidRequestError {
    return new InvalidRequestError(`insertMany(${model}) row ${index}: ${reason}.`, 'invalid_insert_row')
  }

  /** A relationship in a where object given something that is not one of Prisma's relation filters. */
  static invalidRelationFilter(model: string, relationship: string, target: string, toMany: boolean): InvalidRequestError {
    const expected = toMany
      ? `a to-many relationship: filter it with { some, every, none }, each a where object of ${target}`
      : `a to-one relationship: filter it with { is, isNot } (a where object of ${target}, or null for none), a where object of ${target}, or null`
    return new InvalidRequestError(`${model}.${relationship} is ${expected}.`, 'invalid_relation_filter')
  }

  /** `join()`, `outerjoin()` or a related `orderBy` names a relationship the model does not have. */
  static unknownRelationship(model: string, relationship: string, usage: string, known: readonly string[]): InvalidRequestError {
    return new InvalidRequestError(
      `Model ${model} has no relationship "${relationship}" (in ${usage}); its relationships: ${known.length > 0 ? known.join(', ') : 'none'}.`,
      'unknown_relationship',
    )
  }

  /** `orderBy` on a to-many relationship's column: a collection has no single value to sort its owner by. */
  static orderByToMany(model: string, relationship: string): InvalidRequestError {
    return new InvalidRequestError(
      `orderBy ${model}.${relationship}: a to-many relationship has no single value to sort by; order by a to-one relationship's column instead.`,
      'order_by_to_many',
    )
  }

  /** A query ordered by a joined relationship's column that also loads a relationship with `joined`. */
  static orderByJoinedLoad(model: string): InvalidRequestError {
    return new InvalidRequestError(
      `A ${model} query ordered by a related column cannot also load a relationship with joined eager loading; use selectinload for it.`,
      'order_by_joined_load',
    )
  }

  /** `aggregate()`/`groupBy()` given a key that is no aggregate (`_median`), or an aggregate given something other than `true`/an object of `true`s. */
  static unknownAggregate(key: string, known: Iterable<string>): InvalidRequestError {
    return new InvalidRequestError(`Unknown aggregate "${key}": use ${[...known].join(', ')}, each with { column: true }.`, 'unknown_aggregate')
  }

  /** An aggregate of a column whose type has none: `_sum`/`_avg` of a non-number, `_min`/`_max` of Json, Bytes, Boolean or a list. */
  static invalidAggregate(aggregate: string, model: string, column: string, scalar: string): InvalidRequestError {
    const what = aggregate === '_sum' || aggregate === '_avg' ? 'number (Int, BigInt, Float, Decimal)' : 'String, number, DateTime or enum'
    return new InvalidRequestError(`${aggregate} of ${model}.${column} (${scalar}): it takes a ${what} column.`, 'invalid_aggregate')
  }

  /** `groupBy()` without columns, or its `having`/`orderBy` naming a column outside `by` without an aggregate. */
  static notGrouped(column: string | undefined, clause: 'by' | 'having' | 'orderBy'): InvalidRequestError {
    if (column === undefined) return new InvalidRequestError('groupBy() needs at least one column to group by.', 'not_grouped')
    return new InvalidRequestError(
      `groupBy ${clause}: "${column}" is not a grouped column; group by it, or use an aggregate ({ ${column}: { _max: ... } }).`,
      'not_grouped',
    )
  }

  /**
   * A key the database generates that a database without RETURNING cannot report (MySQL/MariaDB give back
   * only an AUTO_INCREMENT id), or an insert whose id the driver did not report (the column is not
   * AUTO_INCREMENT in the database).
   */
  static generatedKeyUnreadable(model: string, column: string, dialect: string, reason = 'only an auto-increment key can be read back there'): InvalidRequestError {
    return new InvalidRequestError(
      `${model}.${column} is generated by the database, and on ${dialect} ${reason}. ` +
        'Generate the key in the client (@default(uuid()), cuid(), ...) or give it a value before the flush.',
      'generated_key_unreadable',
    )
  }

  /** `withCount()` of a name that is no to-many relationship of the model. */
  static notACountableRelationship(model: string, name: string, countable: readonly string[]): InvalidRequestError {
    return new InvalidRequestError(
      `withCount("${name}"): ${model} has no to-many relationship "${name}"; countable: ${countable.length > 0 ? countable.join(', ') : 'none'}.`,
      'not_countable_relationship',
    )
  }
}

/** A flush found something it must not write, before sending any statement (SQLAlchemy's `FlushError`). */
export class FlushError extends OrmError {
  override readonly name = 'FlushError'

  /** @internal */
  constructor(message: string, code: string) {
    super(code, message)
  }

  /** A new object claims the primary key of a persistent object of this session. */
  static identityConflict(newObject: string, existing: string): FlushError {
    return new FlushError(
      `New object ${newObject} has the identity of ${existing}, which is already persistent in this session. ` +
        'Change the new object\'s key, delete the existing object first (the flush then updates the row in place), or use session.merge().',
      'flush_identity_conflict',
    )
  }

  /** A collection holds something that is not a model object (SQLAlchemy: "Can't flush None value found in collection"). */
  static notAnObjectInCollection(collection: string): FlushError {
    return new FlushError(`Cannot flush a value that is not a model object (null?) found in collection ${collection}; remove it from the list.`, 'flush_invalid_member')
  }

  /**
   * Rows wait on each other through required foreign keys only (SQLAlchemy's `CircularDependencyError`),
   * so no INSERT order works; the flush is rolled back. `cycle` names the foreign keys, e.g. `User.calendarId -> Calendar`.
   */
  static circularDependency(row: string, relationship: string, target: string, cycle: readonly string[]): FlushError {
    return new FlushError(
      `Cannot flush ${row}: ${relationship} refers to ${target}, which is not inserted yet, and no INSERT order works because every foreign key ` +
        `of the cycle ${cycle.join(', ')} is required. Make one of them optional in the schema (a \`?\` on the foreign-key field and its relation field), ` +
        'so that the flush writes it with an UPDATE once both rows exist; or point one of the rows at a row that already exists, flush, then close the cycle.',
      'flush_circular_dependency',
    )
  }

  /** A row's to-one relationship points at a pending object this flush does not insert (it joined the session while the flush ran); the flush is rolled back. */
  static targetNotInFlush(row: string, relationship: string, target: string): FlushError {
    return new FlushError(
      `Cannot flush ${row}: ${relationship} refers to ${target}, which joined the session while the flush ran and is not inserted by it. Add ${target} before flushing, or flush again.`,
      'flush_target_not_in_flush',
    )
  }

  /** A flush would write a row of a view (a `view` block), which is read-only; nothing is written. */
  static readOnlyView(row: string, view: string, write: 'insert' | 'update' | 'delete'): FlushError {
    const undo =
      write === 'insert'
        ? `expunge it (session.expunge()) or do not add it`
        : write === 'update'
          ? `undo the change (session.refresh() or session.rollback())`
          : `do not delete it`
    return new FlushError(
      `Cannot ${write} ${row}: ${view} is a database view, which is read-only. Write to the tables the view reads instead, and ${undo}.`,
      'flush_read_only_view',
    )
  }
}

/** The session's transaction was rolled back by a failed flush; call `rollback()` before new work. */
export class PendingRollbackError extends InvalidRequestError {
  override readonly name = 'PendingRollbackError'

  /** @internal */
  constructor(message: string, cause: unknown) {
    super(message, 'pending_rollback', { cause })
  }

  /** Raised by every session operation after a flush failed, until `rollback()` is called. */
  static afterFailedFlush(cause: unknown): PendingRollbackError {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
    return new PendingRollbackError(
      `This session's transaction has been rolled back due to a previous exception during flush (${reason}). ` +
        'To begin a new transaction with this session, first call session.rollback().',
      cause,
    )
  }

  /** Raised after a flush failed inside `beginNested()`, until the nested transaction is rolled back. */
  static afterFailedNestedFlush(cause: unknown): PendingRollbackError {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
    return new PendingRollbackError(
      `A flush inside a nested transaction (SAVEPOINT) failed (${reason}). ` +
        'Roll the nested transaction back (nested.rollback(), or let beginNested(fn) do it) before new work; the outer transaction is intact.',
      cause,
    )
  }
}

/** A transaction method was called in a state where it is not allowed (e.g. commit on a closed session). */
export class IllegalStateChangeError extends OrmError {
  override readonly name = 'IllegalStateChangeError'

  /** @internal */
  constructor(message: string) {
    super('illegal_state_change', message)
  }

  /** `operation` is not allowed while the transaction is in `state`. */
  static notAllowed(operation: string, state: string): IllegalStateChangeError {
    return new IllegalStateChangeError(`Cannot ${operation} while the session transaction is ${state}.`)
  }
}

/** An object not attached to any session was asked to load something lazily. */
export class DetachedInstanceError extends OrmError {
  override readonly name = 'DetachedInstanceError'

  /** @internal */
  constructor(message: string) {
    super('detached_instance', message)
  }

  /** `what.attribute` needs a session to load but `what` has none. */
  static cannotLoad(what: string, attribute: string): DetachedInstanceError {
    return new DetachedInstanceError(
      `${what} is not bound to a session; lazy load of "${attribute}" cannot proceed. ` +
        'Re-attach it with session.add() or session.merge(), or load the relationship before the session closes.',
    )
  }
}

/** A scalar attribute was expired and JavaScript cannot reload it synchronously. */
export class ExpiredAttributeError extends OrmError {
  override readonly name = 'ExpiredAttributeError'

  /** @internal */
  constructor(message: string) {
    super('expired_attribute', message)
  }

  /** Reading `what.attribute` after `session.expire()`. */
  static read(what: string, attribute: string): ExpiredAttributeError {
    return new ExpiredAttributeError(
      `${what}.${attribute} was expired and cannot be reloaded synchronously. ` +
        'Call `await session.refresh(obj)` before reading it, or load the object again through a query.',
    )
  }
}

/**
 * A column the query left out (`loadOnly()`/`defer()`) was read. Column reads are synchronous, so it
 * cannot load on access as in SQLAlchemy: this is SQLAlchemy's `defer(..., raiseload=True)`.
 */
export class DeferredColumnError extends OrmError {
  override readonly name = 'DeferredColumnError'

  /** @internal */
  constructor(message: string) {
    super('deferred_column', message)
  }

  /** Reading `what.attribute`, which the query that loaded the object did not select. */
  static read(what: string, attribute: string): DeferredColumnError {
    return new DeferredColumnError(
      `${what}.${attribute} was not loaded: the query that loaded it deferred the column (loadOnly/defer). ` +
        `Load it with \`await session.refresh(obj, ['${attribute}'])\`, or query without deferring it.`,
    )
  }
}

/** `one()` found no row. */
export class NoResultFoundError extends OrmError {
  override readonly name = 'NoResultFoundError'

  /** @internal */
  constructor(message: string) {
    super('no_result_found', message)
  }

  /** The query for `model` returned no row where exactly one was required. */
  static forModel(model: string): NoResultFoundError {
    return new NoResultFoundError(`No row was found for a query of ${model} that required exactly one. Use oneOrNone() or first() when no row is acceptable.`)
  }
}

/** `one()` or `oneOrNone()` found more than one row. */
export class MultipleResultsFoundError extends OrmError {
  override readonly name = 'MultipleResultsFoundError'

  /** @internal */
  constructor(message: string) {
    super('multiple_results_found', message)
  }

  /** The query for `model` returned several rows where at most one was allowed. */
  static forModel(model: string): MultipleResultsFoundError {
    return new MultipleResultsFoundError(`Multiple rows were found for a query of ${model} that allowed at most one. Narrow the filter, or use first() or all().`)
  }
}

/** An UPDATE or DELETE matched fewer rows than the session expected: someone else changed the row. */
export class StaleDataError extends OrmError {
  override readonly name = 'StaleDataError'

  /** @internal */
  constructor(message: string) {
    super('stale_data', message)
  }

  /** `statement` on `table` was expected to match `expected` rows but matched `actual`. */
  static rowCount(statement: 'UPDATE' | 'DELETE', table: string, expected: number, actual: number): StaleDataError {
    return new StaleDataError(
      `${statement} statement on table "${table}" expected to match ${expected} row(s); ${actual} were matched. ` +
        'The row was changed or deleted by another transaction; reload it and retry.',
    )
  }
}

/** A model, attribute or relationship name that the mapper does not know. */
export class UnmappedError extends OrmError {
  override readonly name = 'UnmappedError'

  /** @internal */
  constructor(message: string) {
    super('unmapped', message)
  }

  /** `value` is not an instance of a mapped model. */
  static instance(value: unknown): UnmappedError {
    const what = value === null ? 'null' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value
    return new UnmappedError(`Expected an instance of a generated model class, got ${what}.`)
  }

  /** A model class that no generated registry mapped. */
  static unmappedClass(name: string): UnmappedError {
    return new UnmappedError(`Class ${name} is not mapped. Import it from the generated models module, which maps every model (defineModels).`)
  }

  /** `model` has no column called `field`. */
  static column(model: string, field: string): UnmappedError {
    return new UnmappedError(`Model ${model} has no column "${field}". Check the field name against the schema.`)
  }

  /** A where object names `field`, which is neither a column nor a relationship of `model`. */
  static whereField(model: string, field: string, columns: readonly string[], relationships: readonly string[]): UnmappedError {
    return new UnmappedError(
      `Model ${model} has no column "${field}" and no relationship of that name. Its columns: ${columns.join(', ')}; ` +
        `its relationships: ${relationships.length > 0 ? relationships.join(', ') : 'none'}.`,
    )
  }
}

/**
 * A model's constructor was given a key that is none of the model's settable fields: a typo, or code
 * written against another version of the schema than the generated models (stale generated code).
 */
export class UnknownFieldError extends OrmError {
  override readonly name = 'UnknownFieldError'
  /** The model whose constructor refused the key. */
  readonly model: string
  /** The key it refused. */
  readonly field: string

  /** @internal */
  constructor(message: string, model: string, field: string) {
    super('unknown_field', message)
    this.model = model
    this.field = field
  }

  /** `new Model({ field })` where `field` is not a column or assignable relationship of `model` (those are `known`). */
  static inConstructor(model: string, field: string, known: readonly string[]): UnknownFieldError {
    return new UnknownFieldError(
      `new ${model}() was given "${field}", which is not a field of ${model} (its fields: ${known.join(', ')}). ` +
        'If the schema has it, the generated models are older than the code using them: regenerate them (npx gen-models); otherwise remove the key.',
      model,
      field,
    )
  }
}

/** A relationship's loading strategy forbids the requested access. */
export class LoaderStrategyError extends OrmError {
  override readonly name = 'LoaderStrategyError'

  /** @internal */
  constructor(message: string) {
    super('loader_strategy', message)
  }

  /** The runtime has no strategy registered under `name`. */
  static unknown(name: string, known: readonly string[]): LoaderStrategyError {
    return new LoaderStrategyError(`Unknown loader strategy "${name}". Known strategies: ${known.join(', ')}. Regenerate the models with gen-models.`)
  }
}

/** A `raise` relationship was read before it was loaded (SQLAlchemy's `raiseload`). */
export class RaiseLoadError extends OrmError {
  override readonly name = 'RaiseLoadError'

  /** @internal */
  constructor(message: string) {
    super('raise_load', message)
  }

  /** `model.relationship` would need a lazy load. */
  static of(model: string, relationship: string): RaiseLoadError {
    return new RaiseLoadError(
      `${model}.${relationship} is not loaded and its strategy forbids lazy loading. Load it up front (@lazy(selectin) in the schema) or assign it.`,
    )
  }
}

/** The same lazy load ran more often in one session than the N+1 check allows. */
export class NPlusOneError extends OrmError {
  override readonly name = 'NPlusOneError'
  /** `Model.relationship` that kept being lazy-loaded. */
  readonly relationship: string

  /** @internal */
  constructor(message: string, relationship: string) {
    super('n_plus_one', message)
    this.relationship = relationship
  }

  /** `relationship` (as `Model.name`) was lazy-loaded `count` times. */
  static of(relationship: string, count: number): NPlusOneError {
    return new NPlusOneError(nPlusOneMessage(relationship, count), relationship)
  }
}

/** The N+1 check's message, shared by the warning and the error. */
export function nPlusOneMessage(relationship: string, count: number): string {
  const attribute = relationship.slice(relationship.indexOf('.') + 1)
  return (
    `N+1 queries: ${relationship} was lazy-loaded ${count} times in one session. Load it with its owners instead: ` +
    `declare it /// @lazy(selectin) in the schema, or start the loads together ` +
    `(await Promise.all(items.map((item) => item.${attribute}))) so they share one SELECT.`
  )
}

/** Base of errors raised by the database driver, with the driver's error as `cause`. */
export class DatabaseError extends OrmError {
  override readonly name: string = 'DatabaseError'
  /** The SQL statement that failed, when known. */
  readonly sql: string | undefined

  /** @internal */
  constructor(code: string, message: string, options: { cause?: unknown; sql?: string }) {
    super(code, message, { cause: options.cause })
    this.sql = options.sql
  }

  /** Any driver failure that has no more specific class. */
  static fromDriver(cause: unknown, sql?: string): DatabaseError {
    const reason = cause instanceof Error ? cause.message : String(cause)
    return new DatabaseError('database_error', `The database rejected a statement: ${reason}`, { cause, sql })
  }

  /**
   * The server stopped the statement because it ran longer than its time limit (MariaDB's
   * `max_statement_time`, error 1969, which the URL's `queryTimeout` sets; MySQL's `max_execution_time`,
   * error 3024). Only the statement failed: the transaction stays open. Code `statement_timeout`.
   */
  static statementTimeout(cause: unknown, sql?: string): DatabaseError {
    const reason = cause instanceof Error ? ` (${cause.message})` : ''
    return new DatabaseError(
      'statement_timeout',
      `The database stopped the statement because it ran longer than the statement time limit${reason}. ` +
        'Only this statement was undone; the transaction is still open. Make the statement cheaper (an index, a narrower filter) or raise the limit.',
      { cause, sql },
    )
  }

  /**
   * PostgreSQL said a named prepared statement does not exist (SQLSTATE 26000) or already exists
   * (42P05) on a connection where the engine prepared it: the sign of a pooler in transaction mode
   * (PgBouncer before 1.21) that switched server connections under `preparedStatements: true`.
   * Code `prepared_statement_lost`.
   */
  static preparedStatementLost(cause: unknown, sql?: string): DatabaseError {
    const reason = cause instanceof Error ? cause.message : String(cause)
    return new DatabaseError(
      'prepared_statement_lost',
      `A named prepared statement failed (${reason}): a connection pooler in transaction mode, such as PgBouncer before 1.21, ` +
        "ran this connection's statements on another server connection. Turn preparedStatements off and add ?pgbouncer=true to the URL, or use PgBouncer >= 1.21 with max_prepared_statements > 0.",
      { cause, sql },
    )
  }
}

/** A UNIQUE or PRIMARY KEY constraint was violated. */
export class UniqueViolationError extends DatabaseError {
  override readonly name = 'UniqueViolationError'
  /** The constraint, as the database names it: an index name (PostgreSQL) or the list of columns (SQLite). */
  readonly constraint: string
  /** The table the constraint belongs to, when the database says. */
  readonly table: string | undefined
  /** The constraint's columns as the database names them, when it says (SQLite does; PostgreSQL names the constraint). */
  readonly columns: readonly string[] | undefined
  /**
   * The model whose row broke the constraint, when the statement belonged to one (a flush, `insertMany`,
   * a bulk update); undefined for raw SQL.
   */
  readonly model: string | undefined
  /**
   * The constraint's fields as the model names them (not the `@map`ped column names), in the
   * constraint's order, on every database: `['authorId', 'title']` for `@@unique([authorId, title])`.
   * Undefined when the model is unknown (raw SQL) or the constraint cannot be matched to its columns
   * (a PostgreSQL constraint renamed with `map:` or cut to 63 characters).
   */
  readonly fields: readonly string[] | undefined

  /** @internal */
  constructor(
    message: string,
    constraint: string,
    table: string | undefined,
    cause: unknown,
    sql?: string,
    facts: { columns?: readonly string[]; model?: string; fields?: readonly string[] } = {},
  ) {
    super('unique_violation', message, { cause, sql })
    this.constraint = constraint
    this.table = table
    this.columns = facts.columns
    this.model = facts.model
    this.fields = facts.fields
  }

  /** Build from the driver's facts; `columns` when the database names them. */
  static of(constraint: string, table: string | undefined, cause: unknown, sql?: string, columns?: readonly string[]): UniqueViolationError {
    return new UniqueViolationError(
      `Unique constraint failed on ${table ? `"${table}" ` : ''}(${constraint}): a row with the same value already exists. Change the value or update the existing row.`,
      constraint,
      table,
      cause,
      sql,
      { columns },
    )
  }

  /** `error` (from the driver) once its constraint is known to be model `model`'s fields `fields` (Prisma's P2002 wording). */
  static onFields(error: UniqueViolationError, model: string, fields: readonly string[]): UniqueViolationError {
    const named = fields.map((field) => `\`${field}\``).join(', ')
    return new UniqueViolationError(
      `Unique constraint failed on the fields: (${named}) of ${model} (constraint ${error.constraint}): a row with the same value already exists. Change the value or update the existing row.`,
      error.constraint,
      error.table,
      error.cause,
      error.sql,
      { columns: error.columns, model, fields },
    )
  }
}

/** A FOREIGN KEY constraint was violated. */
export class ForeignKeyViolationError extends DatabaseError {
  override readonly name = 'ForeignKeyViolationError'
  /** The constraint, when the database names it. */
  readonly constraint: string | undefined

  /** @internal */
  constructor(message: string, constraint: string | undefined, cause: unknown, sql?: string) {
    super('foreign_key_violation', message, { cause, sql })
    this.constraint = constraint
  }

  /** Build from the driver's facts. */
  static of(constraint: string | undefined, cause: unknown, sql?: string): ForeignKeyViolationError {
    return new ForeignKeyViolationError(
      `Foreign key constraint failed${constraint ? ` (${constraint})` : ''}: the referenced row does not exist or is still referenced.`,
      constraint,
      cause,
      sql,
    )
  }
}

/** A NOT NULL constraint was violated. */
export class NotNullViolationError extends DatabaseError {
  override readonly name = 'NotNullViolationError'
  /** The column, when the database names it. */
  readonly column: string | undefined

  /** @internal */
  constructor(message: string, column: string | undefined, cause: unknown, sql?: string) {
    super('not_null_violation', message, { cause, sql })
    this.column = column
  }

  /** Build from the driver's facts. */
  static of(column: string | undefined, cause: unknown, sql?: string): NotNullViolationError {
    return new NotNullViolationError(
      `NOT NULL constraint failed${column ? ` on ${column}` : ''}: set a value for every required field before flushing.`,
      column,
      cause,
      sql,
    )
  }
}

/** What a {@link SchemaMismatchError} message tells the user to do. */
const SCHEMA_MISMATCH_FIX =
  'The database and the generated models come from different versions of the schema: apply the migrations ' +
  '(npx prisma migrate deploy; migrate dev in development), or regenerate the models from the schema the database has (npx gen-models).'

/**
 * The database's tables differ from the generated models: a table or a column the models use is
 * missing, or a table has a required column (NOT NULL, no default) that no field maps. `model` and
 * `field` name the generated code's side when the failing statement belonged to a model.
 */
export class SchemaMismatchError extends DatabaseError {
  override readonly name = 'SchemaMismatchError'
  /** The table as the database names it, when known. */
  readonly table: string | undefined
  /** The column, when the mismatch is about one. */
  readonly column: string | undefined
  /** The generated model whose table differs, when known. */
  readonly model: string | undefined
  /** The model's field whose column is missing, when the mismatch is about one. */
  readonly field: string | undefined

  /** @internal */
  constructor(message: string, facts: { table?: string; column?: string; model?: string; field?: string }, cause: unknown, sql?: string) {
    super('schema_mismatch', message, { cause, sql })
    this.table = facts.table
    this.column = facts.column
    this.model = facts.model
    this.field = facts.field
  }

  /** The database has no table `table` (found by the driver; no model known yet). */
  static missingTable(table: string, cause: unknown, sql?: string): SchemaMismatchError {
    return new SchemaMismatchError(`The database has no table "${table}". ${SCHEMA_MISMATCH_FIX}`, { table }, cause, sql)
  }

  /** The database has no column `column` (in `table`, when the driver says; no model known yet). */
  static missingColumn(column: string, table: string | undefined, cause: unknown, sql?: string): SchemaMismatchError {
    const where = table === undefined ? '' : ` in table "${table}"`
    return new SchemaMismatchError(`The database has no column "${column}"${where}. ${SCHEMA_MISMATCH_FIX}`, { table, column }, cause, sql)
  }

  /** Model `model` is mapped to table `table`, which the database lacks. */
  static modelTable(model: string, table: string, cause: unknown, sql?: string): SchemaMismatchError {
    return new SchemaMismatchError(`Model ${model} is mapped to table "${table}", which the database does not have. ${SCHEMA_MISMATCH_FIX}`, { table, model }, cause, sql)
  }

  /** The join table of many-to-many relationship `model.field` is missing. */
  static joinTable(model: string, field: string, table: string, cause: unknown, sql?: string): SchemaMismatchError {
    return new SchemaMismatchError(
      `${model}.${field} is a many-to-many relationship through table "${table}", which the database does not have. ${SCHEMA_MISMATCH_FIX}`,
      { table, model, field },
      cause,
      sql,
    )
  }

  /** Field `model.field` is mapped to column `column` of `table`, which the database lacks. */
  static modelField(model: string, field: string, table: string, column: string, cause: unknown, sql?: string): SchemaMismatchError {
    const mapped = column === field ? '' : ` (column "${column}")`
    return new SchemaMismatchError(
      `${model}.${field}${mapped} has no column in table "${table}" of the database. ${SCHEMA_MISMATCH_FIX}`,
      { table, column, model, field },
      cause,
      sql,
    )
  }

  /** Table `table` of model `model` has a required column `column` (NOT NULL, no default) that no field of the model maps, so no INSERT can fill it. */
  static unmappedRequiredColumn(model: string, table: string, column: string, cause: unknown, sql?: string): SchemaMismatchError {
    return new SchemaMismatchError(
      `Table "${table}" has a required column "${column}" (NOT NULL, no default) that model ${model} has no field for, so its INSERTs cannot fill it. ${SCHEMA_MISMATCH_FIX}`,
      { table, column, model },
      cause,
      sql,
    )
  }
}

/** SQLite reported the database locked (SQLITE_BUSY) for longer than the busy timeout, or a row lock was not granted in time (MySQL/MariaDB's 1205). */
export class DatabaseLockedError extends DatabaseError {
  override readonly name = 'DatabaseLockedError'

  /**
   * MySQL/MariaDB waited `innodb_lock_wait_timeout` (50 s by default) for a row lock another
   * transaction holds (error 1205). Only the statement was rolled back: the transaction stays open,
   * with what it did before. Code `lock_wait_timeout`.
   */
  static lockWaitTimeout(cause: unknown, sql?: string): DatabaseLockedError {
    return new DatabaseLockedError(
      'lock_wait_timeout',
      'A row this statement needs is locked by another transaction, which did not release it within innodb_lock_wait_timeout. ' +
        'Only this statement was undone; the transaction is still open. Retry the statement, or roll back and retry the transaction; keep write transactions short.',
      { cause, sql },
    )
  }

  /** Build from the driver's error. */
  static of(cause: unknown, sql?: string): DatabaseLockedError {
    return new DatabaseLockedError(
      'database_locked',
      'The database is locked by another connection. Keep write transactions short, raise the busy timeout, or retry the transaction.',
      { cause, sql },
    )
  }
}

/** The connection to the database was lost (server restart, network failure, terminated backend). */
export class ConnectionLostError extends DatabaseError {
  override readonly name = 'ConnectionLostError'

  /** The server refused a new connection because it has too many (PostgreSQL's 53300). */
  static tooManyConnections(cause: unknown, sql?: string): ConnectionLostError {
    return new ConnectionLostError(
      'connection_lost',
      'The database refused a new connection: it has too many (max_connections). Lower poolSize + maxOverflow times the number of processes, ' +
        'put a connection pooler in front of the server, or raise max_connections.',
      { cause, sql },
    )
  }

  /** Build from the driver's error. */
  static of(cause: unknown, sql?: string): ConnectionLostError {
    return new ConnectionLostError(
      'connection_lost',
      'The connection to the database was lost (server restart or network failure); the transaction on it was rolled back. ' +
        'Call rollback() (request scopes do this for you) and retry: the next session checks out a fresh connection.',
      { cause, sql },
    )
  }

  /** The pool's pre-ping failed on a pooled connection and again on a fresh one opened in its place. */
  static prePingFailed(cause: unknown): ConnectionLostError {
    const reason = cause instanceof Error ? cause.message : String(cause)
    return new ConnectionLostError(
      'connection_lost',
      `The pool's pre-ping failed twice: on a pooled connection and on a fresh one opened in its place (${reason}). ` +
        'The database is unreachable or refusing connections; check that it is up and retry.',
      { cause },
    )
  }
}

/** Where a database server is, as the engine's URL says (never the password). */
export interface DatabaseAddress {
  /** Host name or address; absent for SQLite. */
  readonly host?: string
  /** TCP port; absent for SQLite. */
  readonly port?: number
  /** Database name on the server, or the SQLite file's path. */
  readonly database?: string
  /** User name the engine signs in as; absent for SQLite. */
  readonly user?: string
}

/** `host:port` as Prisma's messages print a server. */
function serverLabel(address: DatabaseAddress): string {
  return address.port === undefined ? (address.host ?? '(unknown host)') : `${address.host ?? '(unknown host)'}:${address.port}`
}

/** What the driver said, for the end of a message. */
function driverReason(cause: unknown): string {
  const detail = (cause as { cause?: { originalMessage?: unknown } } | null)?.cause?.originalMessage
  if (typeof detail === 'string') return detail
  return cause instanceof Error ? cause.message : String(cause)
}

/**
 * The database could not be opened at all: its server refused the engine's first connection (not
 * running, wrong host or port, wrong password, no such database, access denied), or a SQLite file
 * cannot be created where its URL points. Unlike {@link ConnectionLostError}, retrying will not help
 * until the configuration or the server is fixed: the message names the server and the cause.
 * `prismaCode` is the code PrismaClient gives the same failure (P1000, P1001, P1003, P1010).
 */
export class DatabaseUnavailableError extends DatabaseError {
  override readonly name = 'DatabaseUnavailableError'
  /** Host the engine tried; absent for SQLite. */
  readonly host: string | undefined
  /** Port the engine tried; absent for SQLite. */
  readonly port: number | undefined
  /** Database name on the server, or the SQLite file's path. */
  readonly database: string | undefined
  /** User name the engine signed in as; absent for SQLite. */
  readonly user: string | undefined
  /** PrismaClient's code for the same failure, when it has one. */
  readonly prismaCode: string | undefined

  /** @internal */
  constructor(code: string, message: string, address: DatabaseAddress, prismaCode: string | undefined, cause: unknown) {
    super(code, message, { cause })
    this.host = address.host
    this.port = address.port
    this.database = address.database
    this.user = address.user
    this.prismaCode = prismaCode
  }

  /** Nothing accepts connections at the server's host and port (ECONNREFUSED: not running, or the wrong port). Code `database_unreachable`. */
  static unreachable(address: DatabaseAddress, cause: unknown): DatabaseUnavailableError {
    const server = serverLabel(address)
    return new DatabaseUnavailableError(
      'database_unreachable',
      `Can't reach database server at ${server}: the connection was refused (nothing listens there). ` +
        `Please make sure your database server is running at ${server}, and that the URL's host and port are the server's.`,
      address,
      'P1001',
      cause,
    )
  }

  /**
   * A pooler refused the connection's startup parameters: PgBouncer (1.18, Debian 12's, for one)
   * answers pg's `options=-c TimeZone=UTC` with "unsupported startup parameter: options" unless
   * `ignore_startup_parameters` lists `options`. Retrying cannot help.
   * Code `pooler_startup_parameter`.
   */
  static poolerStartupParameter(address: DatabaseAddress, cause: unknown): DatabaseUnavailableError {
    return new DatabaseUnavailableError(
      'pooler_startup_parameter',
      `The server at ${serverLabel(address)} refused the connection's startup parameters (${driverReason(cause)}): it is a connection pooler such as PgBouncer, ` +
        'and prismalchemy sends options=-c TimeZone=UTC. Add ignore_startup_parameters = options to pgbouncer.ini and set the zone there instead ' +
        '(timezone=UTC on the [databases] entry), or ALTER DATABASE ... SET timezone = \'UTC\' on the server.',
      address,
      undefined,
      cause,
    )
  }

  /** The server's host name does not resolve (ENOTFOUND, EAI_AGAIN). Code `database_host_not_found`. */
  static hostNotFound(address: DatabaseAddress, cause: unknown): DatabaseUnavailableError {
    return new DatabaseUnavailableError(
      'database_host_not_found',
      `Can't reach database server at ${serverLabel(address)}: the host name "${address.host ?? ''}" does not resolve (${(cause as { code?: string } | null)?.code ?? 'ENOTFOUND'}). ` +
        'Check the host in the database URL (a typo, or a name that resolves only inside a container network or VPN).',
      address,
      'P1001',
      cause,
    )
  }

  /** The server rejected the URL's user name or password (PostgreSQL's 28P01). Code `database_authentication_failed`. */
  static authenticationFailed(address: DatabaseAddress, cause: unknown): DatabaseUnavailableError {
    return new DatabaseUnavailableError(
      'database_authentication_failed',
      `Authentication failed against the database server at ${serverLabel(address)}, the provided database credentials for \`${address.user ?? '(not available)'}\` are not valid. ` +
        'Check the user name and password in the database URL (special characters in the password must be percent-encoded).',
      address,
      'P1000',
      cause,
    )
  }

  /** The URL's database does not exist on the server (PostgreSQL's 3D000, MySQL's 1049). Code `database_not_found`. */
  static databaseNotFound(address: DatabaseAddress, cause: unknown, system: 'postgresql' | 'mysql' = 'postgresql'): DatabaseUnavailableError {
    const database = address.database ?? '(not available)'
    const create = system === 'mysql' ? `CREATE DATABASE \`${database.replaceAll('`', '``')}\`` : `CREATE DATABASE "${database}"`
    return new DatabaseUnavailableError(
      'database_not_found',
      `Database \`${database}\` does not exist on the database server at ${serverLabel(address)}. ` +
        `Create it (${create}, or prisma migrate dev in development), or fix the database name in the URL.`,
      address,
      'P1003',
      cause,
    )
  }

  /**
   * The server let the user sign in but not into this database (PostgreSQL's 28000: no pg_hba.conf
   * entry, no CONNECT privilege; MySQL's 1044: no privilege on the database). Code `database_access_denied`.
   */
  static accessDenied(address: DatabaseAddress, cause: unknown, system: 'postgresql' | 'mysql' = 'postgresql'): DatabaseUnavailableError {
    const fix =
      system === 'mysql'
        ? `Grant the user privileges on it (GRANT ALL ON \`${(address.database ?? 'database').replaceAll('`', '``')}\`.* TO '${address.user ?? 'user'}'@'%').`
        : 'Grant the user CONNECT on the database, or allow it in the server\'s pg_hba.conf.'
    return new DatabaseUnavailableError(
      'database_access_denied',
      `User \`${address.user ?? '(not available)'}\` was denied access on the database \`${address.database ?? '(not available)'}\` at ${serverLabel(address)} (${driverReason(cause)}). ` +
        fix,
      address,
      'P1010',
      cause,
    )
  }

  /** A SQLite URL whose file is in folder `folder`, which does not exist. Code `database_folder_missing`. */
  static folderMissing(file: string, folder: string, cause: unknown): DatabaseUnavailableError {
    return new DatabaseUnavailableError(
      'database_folder_missing',
      `Cannot open the SQLite database ${file}: its folder ${folder} does not exist. SQLite creates the database file but not its folder: ` +
        `create the folder (mkdir -p ${folder}) or fix the path in the URL (a relative file: path is resolved against the working directory, ${process.cwd()}).`,
      { database: file },
      'P1003',
      cause,
    )
  }

  /** SQLite could not open or create `file` (SQLITE_CANTOPEN): the path is a folder, or the process may not write to its folder. Code `database_cannot_open`. */
  static cannotOpen(file: string, folder: string, cause: unknown): DatabaseUnavailableError {
    return new DatabaseUnavailableError(
      'database_cannot_open',
      `Cannot open the SQLite database ${file} (${driverReason(cause)}). Check that the path names a file, not a folder, and that this process may ` +
        `create and write files in ${folder} (SQLite writes the -wal and -shm files next to the database).`,
      { database: file },
      undefined,
      cause,
    )
  }
}

/** PostgreSQL refuses every statement after one failed inside the transaction (SQLSTATE 25P02). */
export class TransactionAbortedError extends DatabaseError {
  override readonly name = 'TransactionAbortedError'

  /** Build from the driver's error. */
  static of(cause: unknown, sql?: string): TransactionAbortedError {
    return new TransactionAbortedError(
      'transaction_aborted',
      'An earlier statement of this transaction failed, so the database ignores the rest of it. Call rollback() and start again.',
      { cause, sql },
    )
  }

  /**
   * A statement sent after the database itself rolled the transaction back (MySQL/MariaDB after a
   * deadlock, whose connection then runs each statement in autocommit): refused before it is sent.
   */
  static rolledBackByDatabase(cause: unknown, sql?: string): TransactionAbortedError {
    const reason = cause instanceof Error ? ` (${cause.message})` : ''
    return new TransactionAbortedError(
      'transaction_aborted',
      `The database rolled this transaction back${reason}, so nothing more runs in it. Call rollback() and start again.`,
      { cause, sql },
    )
  }
}

/**
 * PostgreSQL aborted the transaction to resolve a conflict with a concurrent one: a deadlock
 * (SQLSTATE 40P01) or a serialization failure (40001). Retrying the whole transaction usually succeeds.
 */
export class WriteConflictError extends DatabaseError {
  override readonly name = 'WriteConflictError'

  /** Build from the driver's error. */
  static of(cause: unknown, sql?: string): WriteConflictError {
    const reason = cause instanceof Error ? ` (${cause.message})` : ''
    return new WriteConflictError(
      'write_conflict',
      `The database aborted this transaction because it conflicted with a concurrent one${reason}. ` +
        'Call rollback() and retry the whole transaction; touching rows in one order everywhere avoids deadlocks.',
      { cause, sql },
    )
  }
}

/** Owner labels named in a {@link PoolTimeoutError} message; the full list stays on `checkedOutBy`. */
const OWNERS_SHOWN = 10

/** `["GET /a", "GET /a", "job"]` as `2 × GET /a, job`, most frequent first, at most {@link OWNERS_SHOWN} groups. */
function describeOwners(owners: readonly string[]): string {
  const counts = new Map<string, number>()
  for (const owner of owners) counts.set(owner, (counts.get(owner) ?? 0) + 1)
  const groups = [...counts].sort((a, b) => b[1] - a[1]).map(([owner, count]) => (count > 1 ? `${count} × ${owner}` : owner))
  const rest = groups.length - OWNERS_SHOWN
  return groups.slice(0, OWNERS_SHOWN).join(', ') + (rest > 0 ? `, and ${rest} more` : '')
}

/** No connection could be checked out of the pool within `poolTimeout`. */
export class PoolTimeoutError extends OrmError {
  override readonly name = 'PoolTimeoutError'
  /**
   * Who held the pool's connections when the wait timed out, one entry per checked-out connection:
   * `"GET /orders"` for a request scope, `"db.scope(nightlyExport)"` (its function's name; with
   * createDb's `scopeSites`, `"db.scope() at file:line:column"`), `"Session #3"`, or `"unnamed"` for
   * `engine.connect()` without an owner.
   */
  readonly checkedOutBy: readonly string[]

  /** @internal */
  constructor(message: string, checkedOutBy: readonly string[], cause?: unknown) {
    super('pool_timeout', message, { cause })
    this.checkedOutBy = checkedOutBy
  }

  /** Waited `timeoutMs` with `inUse` of `size` connections checked out, by `owners` (one label per connection). */
  static exhausted(timeoutMs: number, inUse: number, size: number, owners: readonly string[] = [], cause?: unknown): PoolTimeoutError {
    const by = owners.length > 0 ? ` (by ${describeOwners(owners)})` : ''
    // A db.scope() named by its function only (createDb's scopeSites is off): say how to find where it was opened.
    const sites = owners.some((owner) => /^db\.scope\([^)]*\)$/.test(owner)) ? " To name each db.scope() by the line that opened it, pass scopeSites: true to createDb (or db.scope's owner option)." : ''
    return new PoolTimeoutError(
      `Timed out after ${timeoutMs} ms waiting for a connection: ${inUse} of ${size} connections are checked out${by}. ` +
        `Close or commit sessions sooner, or raise poolSize / maxOverflow / poolTimeout.${sites}`,
      owners,
      cause,
    )
  }

  /** Waited `timeoutMs` for room in a connection budget shared by several engines (an `EngineRegistry`'s), with `open` of `max` open. */
  static budgetExhausted(timeoutMs: number, open: number, max: number): PoolTimeoutError {
    return new PoolTimeoutError(
      `Timed out after ${timeoutMs} ms waiting for a connection: ${open} of the ${max} connections the engines' shared budget allows are open, and none is idle. ` +
        'Close or commit sessions sooner (a task holding a connection on one engine while it waits for another can wait for itself), or raise maxConnections / poolTimeout.',
      [],
    )
  }
}

/** An engine URL or option that cannot be used. */
export class ConfigurationError extends OrmError {
  override readonly name = 'ConfigurationError'

  /** @internal */
  constructor(message: string, code = 'configuration', options?: { cause?: unknown }) {
    super(code, message, options)
  }

  /**
   * `feature` needs optional packages (`specs`, each `name@range`), and `missing` is not installed;
   * the message gives the npm command that installs them all. Code `missing_package`.
   */
  static missingPackage(feature: string, specs: readonly string[], missing: string, dev: boolean, cause: unknown): ConfigurationError {
    const names = specs.map((spec) => spec.slice(0, spec.lastIndexOf('@')))
    const needs = names.length === 1 ? `${missing}, which is not installed` : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}, and ${missing} is not installed`
    const command = `npm install ${dev ? '-D ' : ''}${specs.map((spec) => `"${spec}"`).join(' ')}`
    return new ConfigurationError(`${feature} need ${needs}. Install with: ${command}`, 'missing_package', { cause })
  }

  /** The URL's scheme names no supported database. */
  static unsupportedUrl(url: string): ConfigurationError {
    return new ConfigurationError(
      `Cannot create an engine for "${url}": supported URLs are file:<path> (SQLite, e.g. file:./dev.db), postgresql://user:password@host:port/database and mysql://user:password@host:port/database (MySQL, MariaDB). ` +
        'Pass the URL to createDb({ url }) or set DATABASE_URL.',
    )
  }

  /** Bind `bind` (used by `models`, maybe none) has no engine (in a session) or URL (in a db) configured. */
  static unknownBind(bind: string, models: readonly string[], where: 'session' | 'db'): ConfigurationError {
    const fix =
      where === 'session'
        ? `Pass binds: { ${JSON.stringify(bind)}: engine } to the Session (or its sessionmaker)`
        : `Add binds: { ${JSON.stringify(bind)}: 'file:./${bind}.db' } (any database URL) to createDb() or db.configure()`
    const users = models.length === 0 ? '' : `${models.length === 1 ? 'Model' : 'Models'} ${models.join(', ')} ${models.length === 1 ? 'is' : 'are'} in bind "${bind}" (/// @bind(${bind})), but n`
    return new ConfigurationError(`${users || 'N'}o database is configured for bind "${bind}". ${fix}.`)
  }

  /** A read replica speaks another SQL dialect than its primary. */
  static replicaDialect(bind: string, primary: string, replica: string): ConfigurationError {
    return new ConfigurationError(`A read replica of ${bind} is a ${replica} database, but its primary is ${primary}: replicas must be copies of their primary.`)
  }

  /** `db.configure()` after the engine was created. */
  static alreadyStarted(): ConfigurationError {
    return new ConfigurationError('db.configure() must be called before the engine is first used; call db.dispose() first to reconfigure.')
  }

  /** A database URL carries parameter `parameter`, which the engine does not take: `advice` says what to do instead. */
  static urlParameter(parameter: string, database: string, advice: string): ConfigurationError {
    return new ConfigurationError(`The ${database} URL parameter "${parameter}" is not taken: ${advice}.`, 'url_parameter')
  }

  /** Engine option `option` has no meaning on `database`: `advice` says why, and what to use instead. */
  static optionUnsupported(option: string, database: string, advice: string): ConfigurationError {
    return new ConfigurationError(`Option "${option}" is not available on ${database}: ${advice}.`, 'option_unsupported')
  }

  /** A MySQL URL without a database (an empty path) given to `operation`, which needs one (createAll, dropAll). Code `url_without_database`. */
  static urlWithoutDatabase(operation: string): ConfigurationError {
    return new ConfigurationError(
      `${operation} needs the MySQL URL to name a database: put it in the path (mysql://user:password@host:3306/<database>); createAll() creates it when it does not exist.`,
      'url_without_database',
    )
  }

  /** An option has a value outside its domain. */
  static badOption(option: string, value: unknown, expected: string): ConfigurationError {
    return new ConfigurationError(`Option "${option}" has the value ${JSON.stringify(value)}; expected ${expected}.`)
  }

  /**
   * `preparedStatements: true` on a URL with `?pgbouncer=true`: PgBouncer in transaction mode before
   * 1.21 hands each transaction any server connection, where a named statement prepared on another
   * does not exist. Code `pgbouncer_prepared_statements`.
   */
  static preparedStatementsBehindPgBouncer(): ConfigurationError {
    return new ConfigurationError(
      'preparedStatements: true cannot be used with ?pgbouncer=true: PgBouncer in transaction mode before 1.21 gives each transaction any server connection, ' +
        'where a named prepared statement made on another one does not exist. Remove preparedStatements, or use PgBouncer >= 1.21 with max_prepared_statements > 0 and drop ?pgbouncer=true from the URL.',
      'pgbouncer_prepared_statements',
    )
  }
}

/** How a bind key reads in messages. */
function bindLabel(key: string | null): string {
  return key === null ? 'the default bind' : `bind "${key}"`
}

/**
 * Committing a session that wrote to several databases (binds) failed on one of them. There is no
 * two-phase commit: the binds committed before it stay committed, the rest were rolled back.
 */
export class BindCommitError extends OrmError {
  override readonly name = 'BindCommitError'
  /** The bind whose COMMIT failed (null: the default bind). */
  readonly bind: string | null
  /** Binds committed before the failure, whose changes are permanent. */
  readonly committed: readonly (string | null)[]
  /** Binds rolled back after the failure, besides the one that failed. */
  readonly rolledBack: readonly (string | null)[]

  /** @internal */
  constructor(message: string, bind: string | null, committed: readonly (string | null)[], rolledBack: readonly (string | null)[], cause: unknown) {
    super('bind_commit_failed', message, { cause })
    this.bind = bind
    this.committed = committed
    this.rolledBack = rolledBack
  }

  /** The COMMIT of `bind` failed with `cause` after `committed` went through; `rolledBack` were then rolled back. */
  static partial(bind: string | null, committed: readonly (string | null)[], rolledBack: readonly (string | null)[], cause: unknown): BindCommitError {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
    const list = (keys: readonly (string | null)[]) => (keys.length === 0 ? 'none' : keys.map(bindLabel).join(', '))
    return new BindCommitError(
      `Commit failed on ${bindLabel(bind)} (${reason}). Committed before it, and not undone (there is no two-phase commit): ${list(committed)}. ` +
        `Rolled back: ${[bindLabel(bind), ...rolledBack.map(bindLabel)].join(', ')}. ` +
        'Call session.rollback(): objects of the rolled-back binds return to their database state, those of committed binds stay as committed; then repair or retry the failed part.',
      bind,
      committed,
      rolledBack,
      cause,
    )
  }
}

/** Creating or dropping tables through Prisma's schema engine failed or would lose data. */
export class SchemaPushError extends OrmError {
  override readonly name = 'SchemaPushError'
  /** Data-loss warnings the schema engine raised, if any. */
  readonly warnings: readonly string[]
  /** Steps the schema engine could not execute, if any. */
  readonly unexecutable: readonly string[]

  /** @internal */
  constructor(message: string, warnings: readonly string[], unexecutable: readonly string[], cause?: unknown) {
    super('schema_push', message, { cause })
    this.warnings = warnings
    this.unexecutable = unexecutable
  }

  /** The engine refused to apply changes that would lose data. */
  static dataLoss(warnings: readonly string[], unexecutable: readonly string[]): SchemaPushError {
    const lines = [...warnings, ...unexecutable].map((line) => `  - ${line}`).join('\n')
    return new SchemaPushError(
      `createAll() stopped: applying the schema would lose data or cannot be done automatically. Nothing was changed.\n${lines}\n` +
        'Migrate the data yourself, or call createAll({ force: true }) to accept the loss.',
      warnings,
      unexecutable,
    )
  }

  /** The engine itself failed (invalid schema, unreachable database). */
  static engineFailed(operation: string, cause: unknown): SchemaPushError {
    const reason = cause instanceof Error ? cause.message : String(cause)
    return new SchemaPushError(`${operation} failed in Prisma's schema engine: ${reason}`, [], [], cause)
  }

  /** Prisma's schema validation rejected the schema (on a database whose DDL is rendered without the schema engine: MySQL). */
  static invalidSchema(operation: string, cause: unknown): SchemaPushError {
    const reason = cause instanceof Error ? cause.message : String(cause)
    return new SchemaPushError(`${operation} failed: Prisma's schema validation rejected the schema: ${reason}`, [], [], cause)
  }

  /**
   * Tables that already exist differ from the schema, on a database where createAll() creates missing
   * tables but alters none (MySQL: Prisma's schema engine has no MySQL connector). Each difference is
   * in `unexecutable`.
   */
  static existingTablesDiffer(differences: readonly string[]): SchemaPushError {
    const lines = differences.map((line) => `  - ${line}`).join('\n')
    return new SchemaPushError(
      `createAll() stopped: existing tables differ from the schema, and on MySQL createAll() creates missing tables but never alters existing ones. Nothing was changed.\n${lines}\n` +
        'Apply the changes with `prisma db push` (or a `prisma migrate` migration), or drop the tables with dropAll() and call createAll() again.',
      [],
      differences,
    )
  }
}

/** `db.session` was used where no scope is open. */
export class NoScopeError extends OrmError {
  override readonly name = 'NoScopeError'

  /** @internal */
  constructor(message: string) {
    super('no_scope', message)
  }

  /** Used outside any request, job or `db.scope()`. */
  static outsideScope(): NoScopeError {
    return new NoScopeError(
      'db.session was used outside any scope. Run the code inside `await db.scope(async () => ...)`, behind the framework ' +
        'middleware (prismalchemy/express, /fastify, /koa, /hono), or, in scripts, REPLs and tests, opt in with db.enableGlobalScope().',
    )
  }

  /** Used after the scope's teardown (e.g. from a timer that outlived its request). */
  static scopeEnded(): NoScopeError {
    return new NoScopeError(
      'db.session was used after its scope ended (the request finished or db.scope() returned). ' +
        'Finish database work before the response is sent, or open a new scope with db.scope() for background work.',
    )
  }
}

/** A lookup that must find something found nothing: frameworks answer it with HTTP 404. */
export class NotFoundError extends OrmError {
  override readonly name = 'NotFoundError'
  /** HTTP status, read by Express, Fastify and Koa error handling. */
  readonly status = 404
  /** HTTP status, read by Express, Fastify and Koa error handling. */
  readonly statusCode = 404
  /** Koa shows the message of errors marked `expose`. */
  readonly expose = true

  /** @internal */
  constructor(message: string) {
    super('not_found', message)
  }

  /** `getOr404`, `firstOr404`, `oneOr404` or `paginate` found nothing; `description` overrides the message. */
  static of(what: string, description?: string): NotFoundError {
    return new NotFoundError(description ?? `${what} was not found.`)
  }
}
