/** The generator pipeline, top to bottom: read schema -> DMMF -> describe -> emit -> write or check. */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { loadSchema, readSchemaFiles } from './dmmf/load-schema.js'
import { emitDbFile } from './emit/db-file.js'
import { emitErDiagram } from './emit/er-diagram.js'
import { emitModelsFile } from './emit/models-file.js'
import type { GeneratedFile } from './emit/project.js'
import { describeSchema } from './model/describe.js'
import type { SchemaDescription } from './model/description.js'
import type { SchemaFile } from './dmmf/load-schema.js'
import { SchemaError, type Diagnostic } from './errors.js'
import { lintSchema } from './model/lints.js'

/** What to generate, beyond the schema itself. */
export interface EmitOptions {
  /** Module specifier generated code imports the runtime from. Default `prismalchemy`. */
  readonly runtimeModule?: string
  /** Also emit `schema.md`, a Mermaid ER diagram. */
  readonly erDiagram?: boolean
}

/** Options of {@link generate}. */
export interface GenerateOptions extends EmitOptions {
  /** A .prisma file or a folder of them. */
  readonly schema: string
  /** Output folder. */
  readonly out: string
}

/** The files a schema produces, in memory, and the lint warnings it raised. */
export interface GenerationResult {
  readonly description: SchemaDescription
  readonly files: readonly GeneratedFile[]
  /** Legal but likely wrong: reported, never fatal. */
  readonly warnings: readonly Diagnostic[]
}

/** Runs `describe`; a SchemaError it throws also carries the warnings loading raised (what a Prisma 6 schema had ignored). */
function withWarnings<T>(warnings: readonly Diagnostic[], describe: () => T): T {
  try {
    return describe()
  } catch (error) {
    if (!(error instanceof SchemaError) || warnings.length === 0) throw error
    throw new SchemaError(error.code, [...error.diagnostics, ...warnings], error.cause)
  }
}

/** Runs the pipeline on schema files already in memory (no disk access): the unit tests' entry point. */
export async function generateFromFiles(files: readonly SchemaFile[], schemaRoot: string, options: EmitOptions = {}): Promise<GenerationResult> {
  const loaded = await loadSchema(files)
  const description = withWarnings(loaded.warnings, () => describeSchema(loaded, schemaRoot))
  const runtimeModule = options.runtimeModule ?? 'prismalchemy'
  const generated = [emitModelsFile(description, runtimeModule), emitDbFile(description, runtimeModule, { urlVariable: loaded.urlVariable })]
  if (options.erDiagram) generated.push(emitErDiagram(description))
  return { description, files: generated, warnings: [...loaded.warnings, ...lintSchema(loaded, description)] }
}

/** Reads the schema at `options.schema` and returns what it generates. */
export async function generateInMemory(options: GenerateOptions): Promise<GenerationResult> {
  const files = readSchemaFiles(options.schema)
  const root = statSync(options.schema).isDirectory() ? options.schema : path.dirname(options.schema)
  return generateFromFiles(files, root.split(path.sep).join('/'), options)
}

/** Writes generated files into `out`; only files whose content changed are rewritten. Returns their paths. */
export function writeOutput(files: readonly GeneratedFile[], out: string): string[] {
  mkdirSync(out, { recursive: true })
  return files.map((file) => {
    const target = path.join(out, file.name)
    let current: string | undefined
    try {
      current = readFileSync(target, 'utf8')
    } catch {
      current = undefined
    }
    if (current !== file.content) writeFileSync(target, file.content)
    return target
  })
}

/** Generates and writes the files. Returns their paths. */
export async function generate(options: GenerateOptions): Promise<string[]> {
  const { files } = await generateInMemory(options)
  return writeOutput(files, options.out)
}
