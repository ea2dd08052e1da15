/** prismalchemy models of the example schema with `Role.users` loaded lazily (`@lazy(select)`, awaited per role) instead of `@lazy(dynamic)`, for the loading workloads: written by the parent process, imported by the peer's. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ModelRegistry } from 'prismalchemy/internal'
import type { Role, User } from '../generated/models.js'
import { REPO_ROOT, TMP_DIR } from './paths.js'

/** Where {@link writeLazyModels} puts them (inside the repository: the generated code imports `prismalchemy`). */
const DIR = join(TMP_DIR, 'bench-models', 'lazy-select')

/**
 * The variant's classes, typed as the generated ones (same columns, same tables); only `Role.users`
 * differs, which {@link lazyUsers} reads.
 */
export interface LazyModels {
  readonly Role: typeof Role
  readonly User: typeof User
}

/** `role.users` of a variant `Role`: a lazily loaded list (a promise, settled after its first load), not a dynamic query. */
export function lazyUsers(role: Role): Promise<User[]> {
  return role.users as unknown as Promise<User[]>
}

/** schema/schema.prisma with `Role.users` annotated `@lazy(select)`; the tables stay the same. */
function lazySchema(): string {
  const schema = readFileSync(join(REPO_ROOT, 'schema', 'schema.prisma'), 'utf8')
  const variant = schema.replace(/\/\/\/ @lazy\(dynamic\)(\s+users\s+User\[\])/, '/// @lazy(select)$1')
  if (variant === schema) throw new Error('schema/schema.prisma: Role.users is no longer annotated @lazy(dynamic); update bench/lazy-models.ts')
  return variant
}

/** Generates the variant (in the parent process: the generator is not loaded where peers are measured). */
export async function writeLazyModels(): Promise<void> {
  const { writeInlineModels } = await import('./inline-models.js')
  await writeInlineModels(lazySchema(), DIR)
}

/** Imports the variant {@link writeLazyModels} generated. */
export async function importLazyModels(): Promise<LazyModels> {
  const { registry } = (await import(pathToFileURL(join(DIR, 'models.js')).href)) as { registry: ModelRegistry }
  return registry.classes as unknown as LazyModels
}
