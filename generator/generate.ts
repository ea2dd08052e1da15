/** The generator pipeline, top to bottom: read schema -> DMMF -> describe -> emit -> write or check. */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { loadSchema, readSchemaFiles } from './dmmf/load-schema.js'
import { emitDbFile } from './emit/db-file.js'
import { emitModelsFile } from './emit/models-file.js'
import type { GeneratedFile } from './emit/project.js'
import { describeSchema } from './model/describe.js'
import type { SchemaDescription } from './model/description.js'
import type { SchemaFile } from './dmmf/load-schema.js'

/** Options of {@link generate}. */
export interface GenerateOptions {
  /** A .prisma file or a folder of them. */
  readonly schema: string
  /** Output folder. */
  readonly out: string
  /** Module specifier generated code imports the runtime from. Default `prismalchemy`. */
  readonly runtimeModule?: string
}

/** The files a schema produces, in memory. */
export interface GenerationResult {
  readonly description: SchemaDescription
  readonly files: readonly GeneratedFile[]
}

/** Runs the pipeline on schema files already in memory (no disk access): the unit tests' entry point. */
export async function generateFromFiles(files: readonly SchemaFile[], schemaRoot: string, runtimeModule = 'prismalchemy'): Promise<GenerationResult> {
  const loaded = await loadSchema(files)
  const description = describeSchema(loaded, schemaRoot)
  return { description, files: [emitModelsFile(description, runtimeModule), emitDbFile(description, runtimeModule)] }
}

/** Reads the schema at `options.schema` and returns what it generates. */
export async function generateInMemory(options: GenerateOptions): Promise<GenerationResult> {
  const files = readSchemaFiles(options.schema)
  const root = statSync(options.schema).isDirectory() ? options.schema : path.dirname(options.schema)
  return generateFromFiles(files, root.split(path.sep).join('/'), options.runtimeModule)
}

/** Generates and writes the files; only files whose content changed are rewritten. Returns their paths. */
export async function generate(options: GenerateOptions): Promise<string[]> {
  const { files } = await generateInMemory(options)
  mkdirSync(options.out, { recursive: true })
  const written: string[] = []
  for (const file of files) {
    const target = path.join(options.out, file.name)
    let current: string | undefined
    try {
      current = readFileSync(target, 'utf8')
    } catch {
      current = undefined
    }
    if (current !== file.content) writeFileSync(target, file.content)
    written.push(target)
  }
  return written
}
