/** Prisma 6 schemas under Prisma 7: blanks what Prisma 7 moved out of schema files (datasource URLs) or removed (preview features), line for line. */
import type { Diagnostic } from '../errors.js'
import type { SchemaFile } from './schema-file.js'

/** Datasource properties Prisma 7 reads from `prisma.config.ts` (and the driver adapter) instead of the schema. */
export const MOVED_DATASOURCE_PROPERTIES = ['url', 'directUrl', 'shadowDatabaseUrl'] as const

/**
 * Preview features a Prisma 6 schema may name that Prisma 7.10's validator rejects as unknown (found by
 * validating each of Prisma 6's preview features; the others are accepted, deprecated ones silently).
 */
export const REMOVED_PREVIEW_FEATURES = ['metrics', 'esm'] as const

/** The schema files as Prisma 7 accepts them, what was ignored, and the environment variable `url = env("...")` named. */
export interface CompatibleSchema {
  /** The same files, each line where it was: ignored properties commented out, removed preview features blanked. */
  readonly files: readonly SchemaFile[]
  /** One warning at the first ignored property, naming all of them; absent when nothing was ignored. */
  readonly warning?: Diagnostic
  /** `NAME` of the datasource's `url = env("NAME")`, if it has one. */
  readonly urlVariable?: string
}

interface Ignored {
  readonly file: string
  readonly line: number
  readonly column: number
  readonly what: string
}

const BLOCK_START = /^\s*(datasource|generator)\s+\w+\s*\{/
const BLOCK_END = /^\s*\}/
const PROPERTY = new RegExp(`^(\\s*)(${MOVED_DATASOURCE_PROPERTIES.join('|')})\\s*=\\s*(.*)$`)
const ENV_CALL = /^env\(\s*"([^"]+)"\s*\)/
const PREVIEW_FEATURES = /^\s*previewFeatures\s*=\s*\[/

/**
 * Blanks the removed features of a `previewFeatures` array's interior (the text between its brackets): only the kept
 * names and the commas between them stay, every other character keeps its column.
 */
function blankFeatures(interior: string, onRemoved: (name: string, offset: number) => void): string {
  const names = [...interior.matchAll(/"([^"]*)"/g)]
  const removed = names.filter((match) => (REMOVED_PREVIEW_FEATURES as readonly string[]).includes(match[1].toLowerCase()))
  if (removed.length === 0) return interior
  for (const match of removed) onRemoved(match[1], match.index)
  const kept = names.filter((match) => !removed.includes(match))
  const chars: string[] = interior.split('').map(() => ' ')
  kept.forEach((match, position) => {
    const end = match.index + match[0].length
    chars.splice(match.index, match[0].length, ...match[0])
    const comma = interior.indexOf(',', end)
    if (position < kept.length - 1 && comma >= 0) chars[comma] = ','
  })
  return chars.join('')
}

/** Rewrites one file; reports each ignored property through `ignored`. */
function compatibleFile(file: SchemaFile, ignored: Ignored[], urlVariables: string[]): SchemaFile {
  const lines = file.content.split('\n')
  let block: string | undefined
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]
    if (block === undefined) {
      block = BLOCK_START.exec(line)?.[1]
      continue
    }
    if (BLOCK_END.test(line)) {
      block = undefined
      continue
    }
    const property = block === 'datasource' ? PROPERTY.exec(line) : null
    if (property !== null) {
      const [, indent, name, value] = property
      const variable = name === 'url' ? ENV_CALL.exec(value)?.[1] : undefined
      if (variable !== undefined) urlVariables.push(variable)
      ignored.push({ file: file.path, line: index + 1, column: indent.length + 1, what: `datasource \`${name}\`` })
      lines[index] = `${indent}// ${line.slice(indent.length)}`
      continue
    }
    const features = block === 'generator' ? PREVIEW_FEATURES.exec(line) : null
    // Prisma's schema language writes an array on one line.
    if (features !== null && line.indexOf(']', features[0].length) >= 0) {
      const open = features[0].length
      const close = line.indexOf(']', open)
      const interior = blankFeatures(line.slice(open, close), (name, offset) =>
        ignored.push({ file: file.path, line: index + 1, column: open + offset + 1, what: `preview feature "${name}"` }),
      )
      lines[index] = line.slice(0, open) + interior + line.slice(close)
    }
  }
  return { path: file.path, content: lines.join('\n') }
}

/** What the warning says: everything ignored, where, and where Prisma 7 wants it. */
function warningMessage(ignored: readonly Ignored[], urlVariable: string | undefined): string {
  const list = ignored.map((item) => `${item.what} (${item.file === ignored[0].file ? `line ${item.line}` : `${item.file}:${item.line}`})`).join(', ')
  const parts = [`Prisma 6 schema: ignored ${list}, which Prisma 7 (the version gen-models validates with) refuses in a schema file.`]
  if (ignored.some((item) => item.what.startsWith('datasource'))) {
    parts.push('Prisma 7 takes connection URLs from prisma.config.ts (`datasource.url`, `shadowDatabaseUrl`) and PrismaClient from its driver adapter.')
  }
  if (urlVariable !== undefined) parts.push(`The generated db.ts reads its default URL from ${urlVariable}, as \`url = env("${urlVariable}")\` says.`)
  if (ignored.some((item) => item.what.startsWith('preview feature'))) parts.push('Prisma 7 removed those preview features.')
  return parts.join(' ')
}

/** Makes a Prisma 6 schema acceptable to Prisma 7's validator without moving any line; Prisma 7 schemas come back unchanged. */
export function compatibleSchema(files: readonly SchemaFile[]): CompatibleSchema {
  const ignored: Ignored[] = []
  const urlVariables: string[] = []
  const compatible = files.map((file) => compatibleFile(file, ignored, urlVariables))
  const urlVariable = urlVariables[0]
  const first = ignored[0]
  if (first === undefined) return { files }
  const warning: Diagnostic = { file: first.file, line: first.line, column: first.column, message: warningMessage(ignored, urlVariable), severity: 'warning' }
  return { files: compatible, warning, ...(urlVariable !== undefined ? { urlVariable } : {}) }
}
