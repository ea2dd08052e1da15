/** Finds the schema where Prisma does when neither a flag nor gen-models' configuration names it: prisma.config.ts, package.json, default paths. */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { UsageError } from './errors.js'

/** A schema found by {@link findSchema}, and what named it. */
export interface SchemaLocation {
  /** The .prisma file or folder: relative to the process's working directory when inside it, else absolute. */
  readonly schema: string
  /** Where it came from, e.g. `prisma.config.ts` or `the default location prisma/schema.prisma`. */
  readonly origin: string
}

/** The part of `@prisma/config` used here (Prisma's own loader of prisma.config.ts). */
interface PrismaConfigModule {
  loadConfigFromFile(input: { configFile?: string; configRoot?: string }): Promise<{
    resolvedPath: string | null
    config?: { schema?: string | undefined }
    error?: { _tag: string; error?: Error }
  }>
}

/** Prisma's config file names, in Prisma 7's order of preference (prisma7.config.* first, then the legacy names). */
const EXTENSIONS = ['.js', '.ts', '.mjs', '.cjs', '.mts', '.cts']
const CONFIG_FILES = [
  ...EXTENSIONS.map((extension) => `prisma7.config${extension}`),
  ...EXTENSIONS.map((extension) => path.join('.config', `prisma7${extension}`)),
  ...['prisma.config', path.join('.config', 'prisma'), path.join('.config', 'prisma.config')].flatMap((base) => [
    ...EXTENSIONS.map((extension) => `${base}${extension}`),
    ...EXTENSIONS.map((extension) => path.join(base, `index${extension}`)),
  ]),
]

/** Prisma's default locations (`schema.prisma`, `prisma/schema.prisma`), Prisma 6's schema folder, then gen-models' legacy `schema/`. */
export const DEFAULT_SCHEMA_LOCATIONS = ['schema.prisma', path.join('prisma', 'schema.prisma'), path.join('prisma', 'schema'), 'schema'] as const

/** `absolute` as messages show it: relative to the working directory when inside it (as Prisma prints paths), else absolute. */
function displayPath(absolute: string): string {
  const relative = path.relative(process.cwd(), absolute)
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute
}

/** Prisma's config loader: the project's own `@prisma/config` (directly or through its `prisma`), else the one installed with us; undefined when none is. */
async function prismaConfigModule(cwd: string): Promise<PrismaConfigModule | undefined> {
  const fromProject = createRequire(path.join(cwd, 'package.json'))
  const attempts: (() => string)[] = [
    () => fromProject.resolve('@prisma/config'),
    () => createRequire(fromProject.resolve('prisma/package.json')).resolve('@prisma/config'),
    () => createRequire(import.meta.url).resolve('@prisma/config'),
  ]
  for (const attempt of attempts) {
    let resolved: string
    try {
      resolved = attempt()
    } catch {
      continue
    }
    const loaded = (await import(pathToFileURL(resolved).href)) as Partial<PrismaConfigModule> & { default?: PrismaConfigModule }
    const module = typeof loaded.loadConfigFromFile === 'function' ? (loaded as PrismaConfigModule) : loaded.default
    if (module !== undefined && typeof module.loadConfigFromFile === 'function') return module
  }
  return undefined
}

/** The `schema: '...'` string literal of a config file's text, for when Prisma's loader is not installed or fails. */
function literalSchemaOf(configFile: string): string | undefined {
  const match = /\bschema\s*:\s*(['"`])([^'"`$]+)\1/.exec(readFileSync(configFile, 'utf8'))
  return match === null ? undefined : path.resolve(path.dirname(configFile), match[2])
}

/** The schema a Prisma config file names (absolute), undefined when it names none; throws when the file cannot be read at all. */
async function schemaOfConfigFile(configFile: string, cwd: string): Promise<string | undefined> {
  const prismaConfig = await prismaConfigModule(cwd)
  if (prismaConfig === undefined) return literalSchemaOf(configFile)
  const result = await prismaConfig.loadConfigFromFile({ configFile, configRoot: cwd })
  if (result.error === undefined) return result.config?.schema
  // gen-models needs no database URL: a config that fails only because, say, env('DATABASE_URL') is unset still names its schema.
  const literal = literalSchemaOf(configFile)
  if (literal !== undefined) return literal
  throw UsageError.prismaConfig(displayPath(configFile), result.error.error?.message ?? result.error._tag)
}

/** The `prisma.schema` key of package.json, resolved against its folder. */
function schemaOfPackageJson(cwd: string): string | undefined {
  const manifest = path.join(cwd, 'package.json')
  if (!existsSync(manifest)) return undefined
  let parsed: { prisma?: { schema?: unknown } }
  try {
    parsed = JSON.parse(readFileSync(manifest, 'utf8')) as typeof parsed
  } catch {
    return undefined
  }
  const schema = parsed.prisma?.schema
  return typeof schema === 'string' && schema !== '' ? path.resolve(cwd, schema) : undefined
}

/**
 * Finds the schema of the project in `cwd` as Prisma does: the `schema` of its Prisma config file (loaded with
 * Prisma's own `@prisma/config` when installed), the `prisma.schema` key of package.json, then
 * {@link DEFAULT_SCHEMA_LOCATIONS}. Throws a {@link UsageError} listing where it looked when none holds a schema.
 */
export async function findSchema(cwd: string): Promise<SchemaLocation> {
  const configFile = CONFIG_FILES.map((name) => path.join(cwd, name)).find((file) => statSync(file, { throwIfNoEntry: false })?.isFile())
  const looked: string[] = []
  if (configFile !== undefined) {
    const schema = await schemaOfConfigFile(configFile, cwd)
    if (schema !== undefined) return { schema: displayPath(schema), origin: displayPath(configFile) }
    looked.push(`${displayPath(configFile)} (names no schema)`)
  } else {
    looked.push('prisma.config.ts (none)')
  }
  const fromPackage = schemaOfPackageJson(cwd)
  if (fromPackage !== undefined) return { schema: displayPath(fromPackage), origin: 'package.json "prisma.schema"' }
  looked.push('package.json "prisma.schema"')
  for (const candidate of DEFAULT_SCHEMA_LOCATIONS) {
    const location = path.join(cwd, candidate)
    if (statSync(location, { throwIfNoEntry: false }) !== undefined) return { schema: displayPath(location), origin: `the default location ${candidate}` }
    looked.push(candidate)
  }
  throw UsageError.noSchemaFound(displayPath(cwd), looked)
}
