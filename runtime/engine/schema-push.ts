/** What createAll/dropAll hand a database's schema push and what a push returns, whichever way the database is reached (Prisma's schema engine or DDL rendered here). */

/** One file of a Prisma schema, as the generator embeds it in generated code. */
export interface SchemaSource {
  readonly path: string
  readonly content: string
}

/** What a push did. */
export interface PushResult {
  /** Number of migration steps executed (0 when the database already matched). */
  readonly executedSteps: number
  /** Data-loss warnings raised and accepted by `force: true`. */
  readonly warnings: readonly string[]
}

/** A push of a schema's tables to one database. */
export interface PushRequest {
  readonly url: string
  /** The schema's files, with the target's provider in their datasource block. */
  readonly sources: readonly SchemaSource[]
  /** Accept data loss (`createAll({ force: true })`). */
  readonly force: boolean
  /** Tables the schema declares that live in another database (another bind's models): left alone, never created. */
  readonly externalTables: readonly string[]
}

/** A drop of a schema's tables from one database. */
export interface DropRequest {
  readonly url: string
  /** The schema's files, with the target's provider in their datasource block. */
  readonly sources: readonly SchemaSource[]
  /** Tables the schema declares that live in another database (another bind's models): never dropped here. */
  readonly externalTables: readonly string[]
}
