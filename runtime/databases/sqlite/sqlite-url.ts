/** SQLite's URLs: `file:path` (Prisma's form) or `sqlite:path`, resolved to a file path. */
import path from 'node:path'
import { ConfigurationError } from '../../errors.js'

const SQLITE_URL = /^(?:file:|sqlite:(?:\/\/)?)(.+)$/

/** True for `file:` and `sqlite:` URLs. */
export function isSqliteUrl(url: string): boolean {
  return SQLITE_URL.test(url)
}

/** Resolves a `file:` (or `sqlite:`) URL to a file path, relative to the working directory; `ConfigurationError` for `:memory:` or query parameters. */
export function sqliteFilename(url: string): string {
  const match = SQLITE_URL.exec(url)
  if (!match) throw ConfigurationError.unsupportedUrl(url)
  const location = match[1]
  if (location === ':memory:' || location.includes('?')) throw ConfigurationError.unsupportedUrl(url)
  return path.resolve(location)
}
