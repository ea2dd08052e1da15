// The schema corpus: five published schemas (read from ../shared/real-schemas) and our own, and where each runs.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestDialect } from '../helpers/dialects.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The published schemas, unedited, outside the repository (their licenses allow them as test data only). */
export const REAL_SCHEMAS_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'real-schemas')

/** Our own schemas, which together use every feature of Prisma's schema language for SQLite and PostgreSQL. */
const OWN_SCHEMAS_DIR = fileURLToPath(new URL('./schemas', import.meta.url))

/** A change the corpus makes to a schema before creating its tables, and why (said in the test's name). */
export interface RuntimeEdit {
  readonly reason: string
  readonly edit: (text: string) => string
}

/** One schema of the corpus. */
export interface CorpusSchema {
  readonly name: string
  /** A .prisma file or a schema folder. */
  readonly location: string
  /** The databases it runs on: its own provider; portable schemas also on the other (provider swapped in a copy). */
  readonly dialects: readonly TestDialect[]
  /**
   * Applied to the schema text only for the database stages (createAll and round trips); generation,
   * compilation and --check always see the schema as written.
   */
  readonly runtimeEdit?: RuntimeEdit
  /** SQL run on the fresh database before `createAll()`, as the project's own migrations do first. */
  readonly prepareSql?: readonly string[]
  /** Bind keys (`/// @bind(key)`) that get a database of their own. */
  readonly binds?: readonly string[]
  /**
   * A feature Prisma 7 accepts but gen-models refuses for now (README, "Not yet"): the corpus checks
   * that the refusal names the feature at its schema line, and runs no later stage. Remove it once
   * the feature is supported, and the schema goes through every stage.
   */
  readonly refusedUntilSupported?: RegExp
}

const real = (name: string, dialect: TestDialect, extra: Partial<CorpusSchema> = {}): CorpusSchema => ({
  name,
  location: path.join(REAL_SCHEMAS_DIR, name),
  dialects: [dialect],
  ...extra,
})

const own = (name: string, dialects: readonly TestDialect[], extra: Partial<CorpusSchema> = {}): CorpusSchema => ({
  name,
  location: path.join(OWN_SCHEMAS_DIR, name),
  dialects,
  ...extra,
})

const BOTH: readonly TestDialect[] = ['sqlite', 'postgresql']

/** Every database: MySQL through the provider swapped in a copy, its tables created by the rendered DDL (runtime/databases/mysql). */
const ALL: readonly TestDialect[] = ['sqlite', 'postgresql', 'mysql']

/** Every schema of the corpus. */
export const CORPUS: readonly CorpusSchema[] = [
  // Its Recipient indexes use `gin_trgm_ops`; documenso's migrations create pg_trgm before them.
  real('documenso', 'postgresql', { prepareSql: ['CREATE EXTENSION IF NOT EXISTS pg_trgm'] }),
  real('formbricks', 'postgresql', {
    runtimeEdit: {
      reason: 'without `extensions = [pgvector]`: the embedded PostgreSQL has no vector extension (no field uses the type)',
      edit: (text) => text.replace(/^\s*extensions\s*=\s*\[[^\]]*\]\s*$/m, ''),
    },
  }),
  real('hoppscotch', 'postgresql'),
  real('papermark', 'postgresql'),
  real('teable-sqlite', 'sqlite'),
  own('scalars', ALL),
  own('extra-defaults', ALL),
  // Not on MySQL: its Unsupported("circle") column is a PostgreSQL type (SQLite takes any type name), which MySQL refuses.
  own('relations', BOTH),
  own('relation-mode-prisma', ALL),
  own('self-many-to-many', ALL),
  own('enum-maps', ALL),
  own('reserved-names', ALL),
  own('binds', ALL, { binds: ['analytics'] }),
  own('pg-native-types', ['postgresql']),
  own('pg-lists', ['postgresql']),
  own('pg-views', ['postgresql']),
]

/** True when the published schemas are next to the clone (CI copies ../shared there). */
export const REAL_SCHEMAS_PRESENT = existsSync(REAL_SCHEMAS_DIR)
