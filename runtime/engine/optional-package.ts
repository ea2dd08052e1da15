/** Loads the runtime's optional packages (database drivers, the schema engine) on first use, naming the install command when one is missing. */
import { ConfigurationError } from '../errors.js'

/**
 * The packages the runtime loads only when a feature needs them, with the version range each takes.
 * The drivers and `@opentelemetry/api` (tracing) are optional peer dependencies in package.json, with
 * these ranges (test/package checks that they agree): an application installs its database's. The schema engine's packages, needed by
 * createAll()/dropAll() only, are not declared at all: npm keeps a declared peer that an application
 * installs with `-D` in an `npm install --omit=dev` (it flags it devOptional), and they belong in
 * development.
 */
export const OPTIONAL_PACKAGES = {
  'better-sqlite3': '^12.6.0',
  '@prisma/adapter-pg': '^7.10.0',
  pg: '^8.16.3',
  '@prisma/adapter-mariadb': '^7.10.0',
  mariadb: '^3.5.4',
  '@prisma/adapter-better-sqlite3': '^7.10.0',
  '@prisma/schema-engine-wasm': '7.10.0-7.561d7b42579a2459cc8edf3788918b626c640023',
  '@prisma/prisma-schema-wasm': '7.10.0-4.0edf323efd1d98336f3f0a68684b56f689b900d3',
  '@opentelemetry/api': '^1.3.0',
} as const

/** The name of an optional peer dependency. */
export type OptionalPackage = keyof typeof OPTIONAL_PACKAGES

/** What needs a set of optional packages: named in the error when one of them is missing. */
export interface OptionalFeature {
  /** The feature, as the message names it, e.g. `SQLite databases (file: URLs)`. */
  readonly feature: string
  /** Every package the feature loads, directly or through another one of them. */
  readonly packages: readonly OptionalPackage[]
  /** Whether the packages belong in devDependencies (`npm install -D`). */
  readonly dev: boolean
}

/** SQLite engines: the driver. */
export const SQLITE_DRIVER: OptionalFeature = { feature: 'SQLite databases (file: URLs)', packages: ['better-sqlite3'], dev: false }

/** PostgreSQL engines: Prisma's adapter, which brings pg. */
export const POSTGRES_DRIVER: OptionalFeature = { feature: 'PostgreSQL databases (postgresql:// URLs)', packages: ['@prisma/adapter-pg'], dev: false }

/** MySQL and MariaDB engines: Prisma's adapter, and the mariadb driver it brings, which the engine also uses itself. */
export const MYSQL_DRIVER: OptionalFeature = { feature: 'MySQL and MariaDB databases (mysql:// URLs)', packages: ['@prisma/adapter-mariadb', 'mariadb'], dev: false }

/** createAll()/dropAll() on SQLite: Prisma's schema engine and its SQLite adapter. */
export const SQLITE_SCHEMA_ENGINE: OptionalFeature = {
  feature: 'createAll() and dropAll() on SQLite',
  packages: ['@prisma/schema-engine-wasm', '@prisma/adapter-better-sqlite3', 'better-sqlite3'],
  dev: true,
}

/** createAll()/dropAll() on PostgreSQL: Prisma's schema engine, adapter-pg and pg itself. */
export const POSTGRES_SCHEMA_ENGINE: OptionalFeature = {
  feature: 'createAll() and dropAll() on PostgreSQL',
  packages: ['@prisma/schema-engine-wasm', '@prisma/adapter-pg', 'pg'],
  dev: true,
}

/**
 * createAll()/dropAll() on MySQL: Prisma's schema validator (the schema engine has no MySQL connector,
 * so the DDL is rendered here) and the mariadb driver.
 */
export const MYSQL_SCHEMA_PUSH: OptionalFeature = {
  feature: 'createAll() and dropAll() on MySQL',
  packages: ['@prisma/prisma-schema-wasm', 'mariadb'],
  dev: true,
}

/** The one of `packages` that Node's "cannot find" error (ESM's ERR_MODULE_NOT_FOUND, CommonJS's MODULE_NOT_FOUND) names, if any. */
function missingPackage(error: unknown, packages: readonly string[]): string | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined
  return packages.find((name) => String(message).includes(`'${name}'`) || String(message).includes(`'${name}/`))
}

/**
 * Runs `load` (a dynamic `import()` of optional packages); when one of `feature`'s packages is not
 * installed, throws `ConfigurationError.missingPackage` with the command that installs them. Other
 * failures pass through. Only the first call loads the packages: later `import()`s of them are answered
 * from Node's module cache.
 */
export async function importOptional<T>(feature: OptionalFeature, load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  } catch (error) {
    const missing = missingPackage(error, feature.packages)
    if (missing === undefined) throw error
    const specs = feature.packages.map((name) => `${name}@${OPTIONAL_PACKAGES[name]}`)
    throw ConfigurationError.missingPackage(feature.feature, specs, missing, feature.dev, error)
  }
}

/**
 * Runs `load` (a dynamic `import()` of the optional package `name`) for a feature that is simply off
 * without it (tracing): resolves to undefined when `name` is not installed. Other failures pass through.
 */
export async function importIfInstalled<T>(name: OptionalPackage, load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await load()
  } catch (error) {
    if (missingPackage(error, [name]) === undefined) throw error
    return undefined
  }
}
