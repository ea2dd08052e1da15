// Test copies of corpus schemas: the provider swapped for the other database, a runtime edit applied, or one Prisma 7 text for PrismaClient.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { readSchemaFiles, type SchemaFile } from '../../generator/dmmf/load-schema.js'
import { compatibleSchema } from '../../generator/dmmf/prisma6-compat.js'
import type { TestDialect } from '../helpers/dialects.js'

const DATASOURCE = /datasource\s+\w+\s*\{[^}]*\}/
const PROVIDER = /(\bprovider\s*=\s*")[^"]+(")/
const VIEW_BLOCK = /^view\s+\w+\s*\{[\s\S]*?^\}/gm
const GENERATOR_BLOCK = /^\s*generator\s+\w+\s*\{[\s\S]*?^\s*\}/gm

/** The schema's files (a file, or every .prisma file of a folder), paths relative to the schema root. */
export function readCorpusFiles(location: string): SchemaFile[] {
  const root = location.endsWith('.prisma') ? path.dirname(location) : location
  return readSchemaFiles(location).map((file) => ({ path: path.relative(root, file.path), content: file.content }))
}

/** The provider the schema's datasource names. */
export function providerOf(files: readonly SchemaFile[]): string {
  for (const file of files) {
    const block = DATASOURCE.exec(file.content)?.[0]
    const provider = block === undefined ? undefined : PROVIDER.exec(block)
    if (provider) return provider[0].slice(provider[1].length, -1)
  }
  throw new Error('the schema has no datasource provider')
}

/** The files with the datasource's provider set to `dialect`'s. */
export function withProvider(files: readonly SchemaFile[], dialect: TestDialect): SchemaFile[] {
  return files.map((file) => ({
    ...file,
    content: file.content.replace(DATASOURCE, (block) => block.replace(PROVIDER, `$1${dialect}$2`)),
  }))
}

/** Writes `files` into `dir` (emptied first) and returns `dir`, a schema folder. */
export function writeSchemaFolder(dir: string, files: readonly SchemaFile[]): string {
  rmSync(dir, { recursive: true, force: true })
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file.path)), { recursive: true })
    writeFileSync(path.join(dir, file.path), file.content)
  }
  return dir
}

/**
 * One Prisma 7 schema text for a real PrismaClient and for Prisma's DMMF: the files made acceptable to
 * Prisma 7 as our generator makes them (Prisma 6 datasource URLs set aside) and concatenated, the
 * generator blocks removed, and views removed (their preview flag rides in a generator block; the
 * corpus reads tables only).
 */
export function prismaClientText(files: readonly SchemaFile[]): string {
  return compatibleSchema(files)
    .files.map((file) => file.content)
    .join('\n')
    .replace(GENERATOR_BLOCK, '')
    .replace(VIEW_BLOCK, '')
}
