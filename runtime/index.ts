/** prismalchemy's runtime: the public API for applications, as explicit named exports (generated code also imports `prismalchemy/internal`). */
export { createDb, Db, DEFAULT_DATABASE_URL, type DbOptions } from './db.js'
export { createEngine, Engine, formatStatement, type EngineOptions, type StatementLogger, type StatementLogRecord } from './engine/engine.js'
export { ConnectionBudget, type BudgetStatus } from './engine/connection-budget.js'
export type { ConnectionOwner, DisposeOptions, ExecutedStatement, IsolationLevel, PoolStatus, StatementListener } from './engine/driver.js'
export { ExternalTransaction } from './engine/external-transaction.js'
export { EngineRegistry, type EngineRegistryOptions, type EngineRegistryStats } from './engine/engine-registry.js'
export type { PushResult, SchemaSource } from './engine/schema-engine.js'
export type { BindConfig, BindOptions, BindSelection } from './binds.js'
export {
  BindCommitError,
  ConfigurationError,
  ConnectionLostError,
  DatabaseError,
  DatabaseUnavailableError,
  type DatabaseAddress,
  DatabaseLockedError,
  DeferredColumnError,
  DetachedInstanceError,
  ExpiredAttributeError,
  FlushError,
  ForeignKeyViolationError,
  IllegalStateChangeError,
  InvalidRequestError,
  LoaderStrategyError,
  MultipleResultsFoundError,
  NoResultFoundError,
  NoScopeError,
  NotFoundError,
  NPlusOneError,
  NotNullViolationError,
  OrmError,
  PendingRollbackError,
  PoolTimeoutError,
  RaiseLoadError,
  SchemaMismatchError,
  SchemaPushError,
  StaleDataError,
  TransactionAbortedError,
  UniqueViolationError,
  UnknownFieldError,
  UnmappedError,
  WriteConflictError,
} from './errors.js'
export { DynamicRelationship } from './loading/dynamic-loader.js'
export { joinedload, lazyload, noload, raiseload, selectinload, type LoaderOption } from './loading/loader-options.js'
export { defer, loadOnly, type ColumnOption } from './loading/column-options.js'
export type { LoaderStrategyName } from './loading/strategy-names.js'
export { History, inspect, type AttributeInspection, type InstanceInspection } from './orm/inspect.js'
export { listen, type ModelEventName, type ModelEvents, type SessionEventName, type SessionEvents } from './orm/events.js'
export { makeTransient, makeTransientToDetached } from './orm/make-transient.js'
export { NestedTransaction, Transaction } from './orm/transaction/transaction-handles.js'
export { Model, type ColumnsOf, type KeyOf, type ModelClass, type RelatedModel, type RelationNameOf, type RelationsOf } from './orm/model.js'
export type { RecordedQuery } from './orm/scope-registry.js'
export { ScopedSession, type ScopeHandle } from './orm/scoping.js'
export type { BindTarget, ReplicatedEngine } from './orm/routing.js'
export { Session, type GetOptions, type NPlusOneOptions, type SessionConnection, type SessionOptions } from './orm/session.js'
export { sessionmaker, type SessionFactory } from './orm/sessionmaker.js'
export type { BulkWriteOptions, SynchronizeSession } from './orm/synchronize.js'
export type { InsertManyOptions, InsertRow } from './orm/insert-many.js'
export type { NumberOperation, UpdateInput, UpdateValue } from './query/update-values.js'
export type { ObjectState } from './orm/state.js'
export type { JSONColumn, JSONInclude, JSONRelationName, ModelJSON, ToJSONOptions } from './orm/model-json-types.js'
export { paginate, Pagination, type IterPagesOptions, type PageInput, type PaginateOptions } from './query/pagination.js'
export { Query, type OrderByInput, type SortOrder } from './query/query.js'
export type { AggregateArgs, AggregateResult, AvgOf, CountSelect, NoExtraKeys, NumericKeys, OrderedKeys, SumOf } from './query/aggregate.js'
export type { AggregateFilters, GroupByArgs, GroupByResult, GroupOrderByInput, HavingInput } from './query/group-by.js'
export type { ToManyRelationNameOf, WithCount } from './query/relationship-counts.js'
export type { StreamOptions } from './query/stream.js'
export type {
  FilterOf,
  ListFilter,
  ModelWhereInput,
  NullableToOneFilter,
  RelationFilterOf,
  ScalarFilter,
  StringFilter,
  ToManyFilter,
  ToOneFilter,
  WhereInput,
} from './query/where.js'
export type { OrderByObject, RelationPath } from './query/joins.js'
export type { JsonValue } from './json-value.js'
export { RawSql, Result, sql } from './sql/raw-sql.js'
export { Decimal } from 'decimal.js'
