/** gen-models configuration: defaults from package.json ("prismalchemy") or gen-models.config.json, validated in one place. */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { UsageError } from './errors.js'
import { FORMATS, type Format } from './report.js'

/** Settings a project can fix in its configuration; command-line flags override them. */
export interface GenModelsConfig {
  /** Prisma schema file or folder. Default `schema`. */
  readonly schema?: string
  /** Output folder. Default `generated`. */
  readonly out?: string
  /** Module the generated code imports the runtime from. Default `prismalchemy`. */
  readonly runtimeModule?: string
  /** Also write a Mermaid ER diagram (`schema.md`) into the output folder. Default false. */
  readonly erDiagram?: boolean
  /** Diagnostics format. Default `human`. */
  readonly format?: Format
}

/** The configuration file read before package.json. */
export const CONFIG_FILE = 'gen-models.config.json'

const CHECKS: { [K in keyof Required<GenModelsConfig>]: [expected: string, valid: (value: unknown) => boolean] } = {
  schema: ['a path string', (value) => typeof value === 'string' && value !== ''],
  out: ['a path string', (value) => typeof value === 'string' && value !== ''],
  runtimeModule: ['a module specifier string', (value) => typeof value === 'string' && value !== ''],
  erDiagram: ['true or false', (value) => typeof value === 'boolean'],
  format: [FORMATS.join(' | '), (value) => (FORMATS as readonly unknown[]).includes(value)],
}

/** Validates raw configuration; the error names the source and the option. */
export function parseConfig(raw: unknown, source: string): GenModelsConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw UsageError.badConfig(source, '(root)', 'an object')
  for (const [option, value] of Object.entries(raw)) {
    const check = (CHECKS as Record<string, [string, (value: unknown) => boolean] | undefined>)[option]
    if (check === undefined) throw UsageError.badConfig(source, option, `one of the known options: ${Object.keys(CHECKS).join(', ')}`)
    if (!check[1](value)) throw UsageError.badConfig(source, option, check[0])
  }
  return raw as GenModelsConfig
}

/** Reads the configuration of the project in `cwd`: gen-models.config.json, else package.json's "prismalchemy" key. */
export function loadConfig(cwd: string): GenModelsConfig {
  const file = path.join(cwd, CONFIG_FILE)
  if (existsSync(file)) return parseConfig(readJson(file), CONFIG_FILE)
  const manifest = path.join(cwd, 'package.json')
  if (!existsSync(manifest)) return {}
  const section = (readJson(manifest) as { prismalchemy?: unknown }).prismalchemy
  return section === undefined ? {} : parseConfig(section, 'package.json "prismalchemy"')
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new UsageError(`Cannot read ${file}: ${(error as Error).message}`)
  }
}
