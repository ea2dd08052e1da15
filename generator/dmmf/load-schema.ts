/** Reads a schema file or folder and parses it with Prisma's own DMMF; Prisma's errors become SchemaError diagnostics. */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import type { DMMF } from '@prisma/generator-helper'
import internals from '@prisma/internals'
import { SchemaError, UsageError, type Diagnostic } from '../errors.js'
import { compatibleSchema } from './prisma6-compat.js'
import type { SchemaFile } from './schema-file.js'

export type { SchemaFile } from './schema-file.js'

/** A parsed schema: its files, Prisma's DMMF and the datasource provider. */
export interface LoadedSchema {
  /** The files as Prisma 7 validated them: a Prisma 6 schema's datasource URLs and removed preview features blanked, lines unmoved. */
  readonly files: readonly SchemaFile[]
  readonly datamodel: DMMF.Datamodel
  readonly provider: string
  /** What was ignored to accept a Prisma 6 schema (one warning), else empty. */
  readonly warnings: readonly Diagnostic[]
  /** `NAME` of a Prisma 6 datasource's `url = env("NAME")`: the generated db's default URL variable. */
  readonly urlVariable?: string
}

/** Reads `location` (a .prisma file, or a folder whose .prisma files form one schema), sorted by path. */
export function readSchemaFiles(location: string): SchemaFile[] {
  let stats
  try {
    stats = statSync(location)
  } catch {
    throw UsageError.schemaNotFound(location)
  }
  const paths = stats.isDirectory()
    ? readdirSync(location, { recursive: true, encoding: 'utf8' })
        .filter((name) => name.endsWith('.prisma'))
        .map((name) => path.join(location, name))
        .sort()
    : [location]
  if (paths.length === 0) throw UsageError.schemaNotFound(location)
  return paths.map((file) => ({ path: file.split(path.sep).join('/'), content: readFileSync(file, 'utf8') }))
}

// Prisma's message reads "error: <text>\n  -->  <file>:<line>" followed by a code frame. It gives no column, so the
// column is that of the quoted token the message names, or else the line's first non-blank character.
const DIAGNOSTIC = /(error|warning): ([^\n]+)\n\s*-->\s+(.+?):(\d+)/g

/** Turns Prisma's validation message into located diagnostics. */
export function parsePrismaErrors(message: string, files: readonly SchemaFile[]): Diagnostic[] {
  const text = message.replace(/\u001b\[[0-9;]*m/g, '')
  const diagnostics: Diagnostic[] = []
  for (const match of text.matchAll(DIAGNOSTIC)) {
    const [, severity, detail, file, lineText] = match
    const line = Number(lineText)
    const source = files.find((f) => f.path === file)?.content.split('\n')[line - 1] ?? ''
    const token = /"([^"]+)"/.exec(detail)?.[1]
    const at = token ? source.indexOf(token) : -1
    const column = at >= 0 ? at + 1 : source.length - source.trimStart().length + 1
    diagnostics.push({ file, line, column, message: detail.trim(), severity: severity as 'error' | 'warning' })
  }
  return diagnostics
}

/**
 * Parses schema files through Prisma's DMMF, as Prisma 7 validates them; a Prisma 6 schema is accepted once what
 * Prisma 7 moved or removed is blanked (see {@link compatibleSchema}). Throws {@link SchemaError} with every diagnostic.
 */
export async function loadSchema(original: readonly SchemaFile[]): Promise<LoadedSchema> {
  const { files, warning, urlVariable } = compatibleSchema(original)
  const warnings = warning === undefined ? [] : [warning]
  const datamodel: [string, string][] = files.map((file) => [file.path, file.content])
  try {
    const [dmmf, config] = await Promise.all([internals.getDMMF({ datamodel }), internals.getConfig({ datamodel })])
    const provider = config.datasources[0]?.activeProvider ?? 'sqlite'
    return { files, datamodel: dmmf.datamodel, provider, warnings, ...(urlVariable !== undefined ? { urlVariable } : {}) }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const diagnostics = parsePrismaErrors(message, files)
    if (diagnostics.length === 0) {
      diagnostics.push({ file: files[0]?.path ?? 'schema.prisma', line: 1, column: 1, message: message.split('\n')[0], severity: 'error' })
    }
    throw SchemaError.prismaValidation([...diagnostics, ...warnings], error)
  }
}
