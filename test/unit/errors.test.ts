// Every runtime error is an OrmError with a stable code and a message that says what to do.
import { describe, expect, it } from 'vitest'
import * as runtime from 'prismalchemy'
import { Model, OrmError, UnmappedError } from 'prismalchemy'

const STABLE_CODES: [OrmError, string][] = [
  [runtime.InvalidRequestError.notInSession('User(id=1)', 'expunged'), 'not_in_session'],
  [runtime.InvalidRequestError.attachedElsewhere('User(id=1)'), 'attached_elsewhere'],
  [runtime.InvalidRequestError.identityConflict('User(id=1)'), 'identity_conflict'],
  [runtime.PendingRollbackError.afterFailedFlush(new Error('x')), 'pending_rollback'],
  [runtime.IllegalStateChangeError.notAllowed('commit', 'closed'), 'illegal_state_change'],
  [runtime.DetachedInstanceError.cannotLoad('User(id=1)', 'role'), 'detached_instance'],
  [runtime.ExpiredAttributeError.read('User(id=1)', 'email'), 'expired_attribute'],
  [runtime.NoResultFoundError.forModel('User'), 'no_result_found'],
  [runtime.MultipleResultsFoundError.forModel('User'), 'multiple_results_found'],
  [runtime.StaleDataError.rowCount('UPDATE', 'users', 1, 0), 'stale_data'],
  [runtime.UnmappedError.column('User', 'nope'), 'unmapped'],
  [runtime.LoaderStrategyError.unknown('eager', ['select']), 'loader_strategy'],
  [runtime.DatabaseError.fromDriver(new Error('x')), 'database_error'],
  [runtime.DatabaseError.preparedStatementLost(new Error('prepared statement "pa_x" does not exist')), 'prepared_statement_lost'],
  [runtime.UniqueViolationError.of('name', 'Role', new Error('x')), 'unique_violation'],
  [runtime.UniqueViolationError.onFields(runtime.UniqueViolationError.of('Role_name_key', 'Role', new Error('x')), 'Role', ['name']), 'unique_violation'],
  [runtime.DatabaseUnavailableError.unreachable({ host: 'db', port: 5432, database: 'app' }, new Error('x')), 'database_unreachable'],
  [runtime.DatabaseUnavailableError.hostNotFound({ host: 'db', port: 5432 }, new Error('x')), 'database_host_not_found'],
  [runtime.DatabaseUnavailableError.poolerStartupParameter({ host: 'db', port: 6432 }, new Error('unsupported startup parameter: options')), 'pooler_startup_parameter'],
  [runtime.DatabaseUnavailableError.authenticationFailed({ host: 'db', port: 5432, user: 'app' }, new Error('x')), 'database_authentication_failed'],
  [runtime.DatabaseUnavailableError.databaseNotFound({ host: 'db', port: 5432, database: 'app' }, new Error('x')), 'database_not_found'],
  [runtime.DatabaseUnavailableError.accessDenied({ host: 'db', port: 5432, database: 'app', user: 'app' }, new Error('x')), 'database_access_denied'],
  [runtime.DatabaseUnavailableError.folderMissing('/srv/data/app.db', '/srv/data', new Error('x')), 'database_folder_missing'],
  [runtime.DatabaseUnavailableError.cannotOpen('/srv/data/app.db', '/srv/data', new Error('x')), 'database_cannot_open'],
  [runtime.ForeignKeyViolationError.of(undefined, new Error('x')), 'foreign_key_violation'],
  [runtime.NotNullViolationError.of('users.username', new Error('x')), 'not_null_violation'],
  [runtime.DatabaseLockedError.of(new Error('x')), 'database_locked'],
  [runtime.WriteConflictError.of(new Error('deadlock detected')), 'write_conflict'],
  [runtime.PoolTimeoutError.exhausted(100, 3, 3), 'pool_timeout'],
  [runtime.ConfigurationError.unsupportedUrl('mongodb://x'), 'configuration'],
  [runtime.ConfigurationError.urlParameter('connectionLimit', 'MySQL', 'set the engine options poolSize and maxOverflow instead'), 'url_parameter'],
  [runtime.ConfigurationError.optionUnsupported('poolRecycle', 'MySQL', 'the mariadb pool has no connection lifetime'), 'option_unsupported'],
  [runtime.DatabaseLockedError.lockWaitTimeout(new Error('Lock wait timeout exceeded; try restarting transaction')), 'lock_wait_timeout'],
  [runtime.DatabaseError.statementTimeout(new Error('Query execution was interrupted (max_statement_time exceeded)')), 'statement_timeout'],
  [runtime.SchemaPushError.dataLoss(['drop'], []), 'schema_push'],
  [runtime.SchemaPushError.invalidSchema('createAll()', new Error('Native type Citext is not supported for mysql connector.')), 'schema_push'],
  [runtime.SchemaPushError.existingTablesDiffer(['table `users`: column `nickname` is not in the schema']), 'schema_push'],
  [runtime.ConfigurationError.urlWithoutDatabase('createAll()'), 'url_without_database'],
  [runtime.NoScopeError.outsideScope(), 'no_scope'],
  [runtime.NotFoundError.of('User 1'), 'not_found'],
  [runtime.RaiseLoadError.of('Role', 'guests'), 'raise_load'],
  [runtime.NPlusOneError.of('Role.users', 11), 'n_plus_one'],
  [runtime.InvalidRequestError.deletedObject('User(id=1)'), 'object_deleted'],
  [runtime.BindCommitError.partial('analytics', [null], [], new Error('x')), 'bind_commit_failed'],
  [runtime.ConfigurationError.unknownBind('analytics', ['Event'], 'db'), 'configuration'],
  [runtime.ConfigurationError.replicaDialect('the default bind', 'sqlite', 'postgresql'), 'configuration'],
  [runtime.ConfigurationError.preparedStatementsBehindPgBouncer(), 'pgbouncer_prepared_statements'],
  [runtime.InvalidRequestError.sessionAlreadyInScope(), 'session_already_in_scope'],
  [runtime.InvalidRequestError.notTransient('User(id=1)'), 'not_transient'],
  [runtime.InvalidRequestError.primaryKeyUnset('User(transient)', ['id']), 'primary_key_unset'],
  [runtime.InvalidRequestError.notPersisted('User(pending)'), 'not_persisted'],
  [runtime.InvalidRequestError.refreshedRowGone('User(id=1)'), 'refreshed_row_gone'],
  [runtime.InvalidRequestError.compositeKeyExpected('Membership', ['userId', 'roleId']), 'composite_key_expected'],
  [runtime.InvalidRequestError.keyColumnMissing('Membership', 'roleId'), 'key_column_missing'],
  [runtime.InvalidRequestError.modelClassMissing('User'), 'model_class_missing'],
  [runtime.InvalidRequestError.alreadyMapped('User'), 'already_mapped'],
  [runtime.InvalidRequestError.unknownEvent('beforeSave', 'a session', ['beforeFlush']), 'unknown_event'],
  [runtime.InvalidRequestError.wrongRelatedObject('User', 'role', 'Role'), 'wrong_related_object'],
  [runtime.InvalidRequestError.relationshipNotAssignable('User', 'profile'), 'relationship_not_assignable'],
  [runtime.InvalidRequestError.wrongDynamicMember('User', 'users'), 'wrong_dynamic_member'],
  [runtime.InvalidRequestError.invalidLoaderPath('a..b'), 'invalid_loader_path'],
  [runtime.InvalidRequestError.nestedJoinedLoad('users.posts'), 'nested_joined_load'],
  [runtime.InvalidRequestError.unknownLoaderRelationship('User', 'nope'), 'unknown_loader_relationship'],
  [runtime.InvalidRequestError.loaderOptionOnDynamic('Role', 'users'), 'loader_option_on_dynamic'],
  [runtime.InvalidRequestError.invalidRowCount('limit', -1), 'invalid_row_count'],
  [runtime.InvalidRequestError.invalidSortOrder('username'), 'invalid_sort_order'],
  [runtime.InvalidRequestError.invalidFilterOperand('username', 'in', 'an array'), 'invalid_filter_operand'],
  [runtime.InvalidRequestError.invalidLogicalOperand('OR'), 'invalid_logical_operand'],
  [runtime.InvalidRequestError.invalidListFilter('tags', ['has', 'isEmpty']), 'invalid_list_filter'],
  [runtime.InvalidRequestError.unknownFilterOperator('username', ['startWith'], ['equals', 'startsWith']), 'unknown_filter_operator'],
  [runtime.InvalidRequestError.listValueExpected('String', 'a'), 'list_value_expected'],
  [runtime.DeferredColumnError.read('Post(id=1)', 'body'), 'deferred_column'],
  [runtime.InvalidRequestError.deferredPrimaryKey('Post', 'id'), 'deferred_primary_key'],
  [runtime.InvalidRequestError.deferredWithJoinedLoad('Post', 'author'), 'deferred_with_joined_load'],
  [runtime.InvalidRequestError.distinctOnUnsupported('sqlite'), 'distinct_on_unsupported'],
  [runtime.InvalidRequestError.distinctOrderByUnselected('views'), 'distinct_order_by_unselected'],
  [runtime.InvalidRequestError.unknownJsonRelationship('User', 'nope', ['role', 'posts']), 'unknown_json_relationship'],
  [runtime.InvalidRequestError.dynamicInJson('User', 'posts'), 'dynamic_in_json'],
  [runtime.InvalidRequestError.bulkClauseUnsupported('update', 'limit()'), 'bulk_clause_unsupported'],
  [runtime.InvalidRequestError.invalidUpdateValue('Post', 'title', '"increment" works on number columns only'), 'invalid_update_value'],
  [runtime.InvalidRequestError.unevaluatableCriteria('delete', 'an "exists" condition'), 'unevaluatable_criteria'],
  [runtime.InvalidRequestError.invalidSynchronize('sometimes'), 'invalid_synchronize'],
  [runtime.InvalidRequestError.invalidInsertRow('Role', 0, 'expected an object of column values'), 'invalid_insert_row'],
  [runtime.InvalidRequestError.unknownAggregate('_median', ['_count', '_sum']), 'unknown_aggregate'],
  [runtime.InvalidRequestError.invalidAggregate('_sum', 'User', 'username', 'String'), 'invalid_aggregate'],
  [runtime.InvalidRequestError.notGrouped('views', 'having'), 'not_grouped'],
  [runtime.InvalidRequestError.notGrouped(undefined, 'by'), 'not_grouped'],
  [runtime.InvalidRequestError.notACountableRelationship('Post', 'author', ['comments']), 'not_countable_relationship'],
  [runtime.InvalidRequestError.invalidRelationFilter('User', 'posts', 'Post', true), 'invalid_relation_filter'],
  [runtime.InvalidRequestError.unknownRelationship('User', 'rol', 'join("rol")', ['posts', 'role']), 'unknown_relationship'],
  [runtime.InvalidRequestError.orderByToMany('User', 'posts'), 'order_by_to_many'],
  [runtime.InvalidRequestError.orderByJoinedLoad('Post'), 'order_by_joined_load'],
  [runtime.UnmappedError.whereField('User', 'rol', ['id'], ['role']), 'unmapped'],
  [runtime.InvalidRequestError.invalidBatchSize(0), 'invalid_batch_size'],
  [runtime.InvalidRequestError.joinedCollectionInStream('Post', 'comments'), 'stream_joined_collection'],
  [runtime.InvalidRequestError.toManyJoinInStream('User'), 'stream_to_many_join'],
  [runtime.InvalidRequestError.writeDuringStream('flush'), 'write_during_stream'],
  [runtime.InvalidRequestError.streamClosed('commit'), 'stream_closed'],
]

describe('runtime errors', () => {
  it.each(STABLE_CODES)('%s has its stable code', (error, code) => {
    expect(error).toBeInstanceOf(OrmError)
    expect(error.code).toBe(code)
    expect(error.name).toBe(error.constructor.name)
    expect(error.message.length).toBeGreaterThan(20)
  })

  it('keeps the cause of a failed flush on PendingRollbackError', () => {
    const cause = runtime.UniqueViolationError.of('name', 'Role', new Error('UNIQUE constraint failed: Role.name'))
    const error = runtime.PendingRollbackError.afterFailedFlush(cause)
    expect(error.cause).toBe(cause)
    expect(error.message).toContain('session.rollback()')
  })

  it('says how many connections are checked out when the pool is exhausted', () => {
    expect(runtime.PoolTimeoutError.exhausted(250, 4, 4).message).toMatch(/250 ms.*4 of 4 connections are checked out/)
  })

  it('refuses to construct a model class that no registry mapped', () => {
    class Stray extends Model {}
    expect(() => new Stray()).toThrow(UnmappedError)
    expect(() => new Stray()).toThrow(/Class Stray is not mapped/)
  })
})
