/** What the runtime knows about one database: which URLs name it, its dialect, how to build its driver, and how createAll/dropAll reach it. */
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils'
import type { Dialect } from '../dialect/dialect.js'
import type { ConnectionBudget } from '../engine/connection-budget.js'
import type { Driver, StatementReporter } from '../engine/driver.js'
import type { OptionalFeature } from '../engine/optional-package.js'
import type { DropRequest, PushRequest, PushResult } from '../engine/schema-push.js'

/** The engine options every database takes, checked by `createEngine`, plus the database-specific ones as given (each database checks its own). */
export interface DriverSettings {
  /** Connections kept open (SQLAlchemy's pool_size). */
  readonly poolSize: number
  /** Extra connections under load (SQLAlchemy's max_overflow). */
  readonly maxOverflow: number
  /** Milliseconds to wait for a free connection before `PoolTimeoutError`. */
  readonly poolTimeoutMs: number
  /** Milliseconds after which a connection is replaced (SQLAlchemy's pool_recycle); negative: never. */
  readonly recycleMs: number
  /** Milliseconds after which an idle connection is closed (`poolIdleTimeout`); negative: never. */
  readonly idleTimeoutMs: number
  /** Test connections at checkout (SQLAlchemy's pool_pre_ping). */
  readonly prePing: boolean
  /** `EngineOptions.busyTimeout`, in seconds, unchecked. */
  readonly busyTimeout: number | undefined
  /** `EngineOptions.statementCacheSize`, unchecked. */
  readonly statementCacheSize: number | undefined
  /** `EngineOptions.preparedStatements`. */
  readonly preparedStatements: boolean | undefined
  /** `EngineOptions.connectionBudget`. */
  readonly connectionBudget: ConnectionBudget | undefined
  /** `EngineOptions.singleStatementCommits` as given: undefined for the database's default. */
  readonly singleStatementCommits: boolean | undefined
}

/** Builds a database's driver once the engine that receives its statements exists. */
export type DriverFactory = (reporter: StatementReporter) => Driver

/** A plain connection for dropAll: lists tables and enums and runs a multi-statement script. */
export interface ScriptConnection {
  tableNames(): string[] | Promise<string[]>
  /** Enum types (PostgreSQL's; SQLite has none). */
  enumNames(): string[] | Promise<string[]>
  exec(script: string): void | Promise<void>
  close(): void | Promise<void>
}

/** A database's schema-push pieces, loaded (with their optional packages) only when a schema is pushed to it. */
export interface SchemaPushConnector {
  /** The driver-adapter factory Prisma's schema engine connects through. */
  adapterFactory(url: string): SqlMigrationAwareDriverAdapterFactory | Promise<SqlMigrationAwareDriverAdapterFactory>
  /** A plain connection for drop scripts, or undefined when the database does not exist (so there is nothing to drop). */
  openScriptConnection(url: string): Promise<ScriptConnection | undefined>
}

/** How createAll/dropAll push a schema to a database through Prisma's schema engine (wasm). */
export interface SchemaEnginePush {
  /** Tells this kind of push from a {@link RenderedSchemaPush}. */
  readonly kind: 'prisma-schema-engine'
  /** The database as a datasource block's `provider` names it. */
  readonly provider: string
  /** The optional packages a push loads, as the missing-package error names them. */
  readonly feature: OptionalFeature
  /** Table and enum names as the engine's filters take them. */
  filterName(name: string): string
  /** The schema's text adjusted for what the engine mishandles on this database; identity when nothing is. */
  adjustSource(content: string): string
  /** Imports the connector on first use. */
  load(): Promise<SchemaPushConnector>
}

/**
 * How createAll/dropAll reach a database Prisma's wasm schema engine has no connector for: the database
 * renders and runs Prisma's DDL itself. Same contract as the engine's push: `SchemaPushError` when the
 * push cannot be done, `DatabaseError` when a statement fails, missing tables are no error on drop.
 */
export interface RenderedSchemaPush {
  /** Tells this kind of push from a {@link SchemaEnginePush}. */
  readonly kind: 'rendered-ddl'
  /** The database as a datasource block's `provider` names it. */
  readonly provider: string
  /** Creates the schema's missing tables. */
  push(request: PushRequest): Promise<PushResult>
  /** Drops the schema's existing tables, and nothing else. */
  drop(request: DropRequest): Promise<void>
}

/** How createAll/dropAll reach a database: through Prisma's schema engine, or by DDL the database renders. */
export type SchemaPushSupport = SchemaEnginePush | RenderedSchemaPush

/** One database the runtime supports: a row of the table in `registry.ts`. Adding a database is adding a folder with one of these. */
export interface DatabaseDefinition {
  /** The dialect's name, e.g. `sqlite`. */
  readonly name: string
  /** True for the URLs that name this database. */
  matches(url: string): boolean
  /** The SQL dialect. */
  readonly dialect: Dialect
  /** `EngineOptions.singleStatementCommits` when not given: whether the engine may send a commit's lone write alone (its driver may still decline one). */
  readonly singleStatementCommitsByDefault: boolean
  /** Checks the database's own options and returns how to build its driver for `url`; throws `ConfigurationError` for a bad URL or option. */
  driver(url: string, settings: DriverSettings): DriverFactory
  /** How createAll/dropAll reach the database. */
  readonly schemaPush: SchemaPushSupport
}
