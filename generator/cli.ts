/** The command line (yargs), `prismalchemy generate` or its alias `gen-models`: configuration and flags, the schema's location, the pipeline, diagnostics, exit codes. */
import { existsSync, readFileSync, watch } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import yargs, { type Argv } from 'yargs'
import { checkOutput, type StaleFile } from './check.js'
import { loadConfig } from './config.js'
import { GeneratorError, SchemaError, type Diagnostic } from './errors.js'
import { generateInMemory, writeOutput, type GenerateOptions } from './generate.js'
import { FORMATS, formatReport, type Format } from './report.js'
import { DEFAULT_SCHEMA_LOCATIONS, findSchema } from './schema-location.js'

/** Exit codes: success, schema or annotation errors (and stale output under --check), usage errors. */
export const EXIT = { ok: 0, schema: 1, usage: 2 } as const

/** Where the CLI writes; replaceable in tests. */
export interface CliOutput {
  out(text: string): void
  err(text: string): void
}

const processOutput: CliOutput = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
}

/** The version in this package's package.json (found upwards from this module: source or dist). */
function packageVersion(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json')
    if (!existsSync(file)) continue
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string }
    if (manifest.name === 'prismalchemy') return manifest.version
  }
  return 'unknown'
}

/** One generation (or check): returns the exit code and prints the report. */
async function runOnce(options: GenerateOptions, check: boolean, format: Format, output: CliOutput): Promise<number> {
  let diagnostics: Diagnostic[] = []
  let stale: StaleFile[] = []
  let written: string[] = []
  let code: number = EXIT.ok
  try {
    const result = await generateInMemory(options)
    diagnostics = [...result.warnings]
    if (check) stale = checkOutput(result.files, options.out)
    else written = writeOutput(result.files, options.out)
    if (stale.length > 0) code = EXIT.schema
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error
    diagnostics = [...error.diagnostics]
    code = EXIT.schema
  }
  const lines = formatReport({ diagnostics, stale, written }, format)
  const print = format === 'json' || code === EXIT.ok ? output.out : output.err
  for (const line of lines) print(line)
  if (check && code === EXIT.ok && format === 'human') output.out(`gen-models: ${options.out} is up to date with ${options.schema}.`)
  return code
}

/** Regenerates whenever a file under the schema location changes, until the process is stopped. */
async function watchSchema(options: GenerateOptions, format: Format, output: CliOutput): Promise<number> {
  await runOnce(options, false, format, output)
  output.out(`gen-models: watching ${options.schema} for changes (Ctrl-C to stop)`)
  let timer: NodeJS.Timeout | undefined
  let running = Promise.resolve()
  const watcher = watch(options.schema, { recursive: true }, (_event, file) => {
    if (file !== null && !String(file).endsWith('.prisma')) return
    clearTimeout(timer)
    // Editors write a file in several steps: regenerate once the burst is over.
    timer = setTimeout(() => {
      running = running.then(() => runOnce(options, false, format, output).then(() => undefined))
    }, 100)
  })
  await new Promise<void>((resolve) => {
    const stop = () => {
      watcher.close()
      clearTimeout(timer)
      void running.then(resolve)
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  return EXIT.ok
}

/** What the generate command does. */
const GENERATE_DESCRIPTION =
  'Generate typed model classes and a `db` object from a Prisma schema.\n' +
  'Defaults come from gen-models.config.json or the "prismalchemy" key of package.json; flags override them'

/** How `--schema` is found when no flag names it, for --help. */
const SCHEMA_DEFAULT = `gen-models.config.json or package.json "prismalchemy", else where Prisma looks: prisma.config.ts, package.json "prisma.schema", ${DEFAULT_SCHEMA_LOCATIONS.join(', ')}`

/**
 * Runs the command line with `argv` (without the node and script paths) and returns the exit code:
 * `prismalchemy generate [options]`, or `[options]` alone (the `gen-models` bin, and the default command).
 */
export async function main(argv: readonly string[], output: CliOutput = processOutput, cwd = process.cwd()): Promise<number> {
  let usageError: string | undefined
  let config
  try {
    config = loadConfig(cwd)
  } catch (error) {
    if (!(error instanceof GeneratorError)) throw error
    output.err(`gen-models: ${error.message}`)
    return EXIT.usage
  }
  const generateOptions = (command: Argv) =>
    command
      .option('schema', { type: 'string', describe: `Prisma schema file, or a folder of .prisma files [default: ${SCHEMA_DEFAULT}]` })
      .option('out', { type: 'string', default: config.out ?? 'generated', describe: 'Output folder' })
      .option('check', { type: 'boolean', describe: 'Write nothing; exit 1 with a diff when the output is stale' })
      .option('format', { choices: FORMATS, default: config.format ?? 'human', describe: 'How to print diagnostics' })
      .option('er-diagram', { type: 'boolean', default: config.erDiagram ?? false, describe: 'Also write schema.md, a Mermaid ER diagram' })
      .option('watch', { type: 'boolean', describe: 'Regenerate whenever the schema changes' })
      .option('runtime-module', { type: 'string', default: config.runtimeModule ?? 'prismalchemy', describe: 'Module the generated code imports the runtime from (and <module>/internal)' })
      .conflicts('watch', 'check')
  const parser = yargs([...argv])
    .scriptName('prismalchemy')
    .usage(`$0 generate [options]   (or: gen-models [options])\n\n${GENERATE_DESCRIPTION}.`)
    .command('generate', 'Generate models.ts and db.ts from the Prisma schema (the `gen-models` bin runs it too)', generateOptions)
    // No command: the options alone generate, which is how the `gen-models` bin is run.
    .command('$0', false, generateOptions)
    .version(packageVersion())
    .help()
    .alias('h', 'help')
    .strict()
    .exitProcess(false)
    .fail((message, error) => {
      usageError = message ?? error?.message ?? 'invalid arguments'
    })
  let args: Awaited<ReturnType<typeof parser.parseAsync>>
  let printed = ''
  try {
    args = await parser.parseAsync([...argv], {}, (_error, _argv, text) => {
      printed = text
    })
  } catch (error) {
    usageError ??= error instanceof Error ? error.message : String(error)
    args = {} as typeof args
  }
  if (usageError !== undefined) {
    output.err(`gen-models: ${usageError}\nRun prismalchemy generate --help (or gen-models --help) for usage.`)
    return EXIT.usage
  }
  if (argv.includes('--help') || argv.includes('-h') || argv.includes('--version')) {
    if (printed) output.out(printed)
    return EXIT.ok
  }
  let schema = (args.schema as string | undefined) ?? config.schema
  try {
    schema ??= (await findSchema(cwd)).schema
  } catch (error) {
    if (!(error instanceof GeneratorError)) throw error
    output.err(`gen-models: ${error.message}`)
    return EXIT.usage
  }
  const options: GenerateOptions = {
    schema,
    out: args.out as string,
    runtimeModule: args['runtime-module'] as string,
    erDiagram: args['er-diagram'] as boolean,
  }
  const format = args.format as Format
  try {
    if (args.watch) return await watchSchema(options, format, output)
    return await runOnce(options, args.check === true, format, output)
  } catch (error) {
    if (error instanceof GeneratorError) {
      output.err(`gen-models: ${error.message}`)
      return EXIT.usage
    }
    throw error
  }
}
