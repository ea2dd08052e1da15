/** The `gen-models` command line (yargs): parse flags, run the pipeline, print diagnostics, return the exit code. */
import { readFileSync } from 'node:fs'
import yargs from 'yargs'
import { checkOutput } from './check.js'
import { GeneratorError, SchemaError } from './errors.js'
import { generate, generateInMemory } from './generate.js'

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

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return manifest.version
}

/** Runs `gen-models` with `argv` (without the node and script paths) and returns the exit code. */
export async function main(argv: readonly string[], output: CliOutput = processOutput): Promise<number> {
  let usageError: string | undefined
  const parser = yargs([...argv])
    .scriptName('gen-models')
    .usage('$0 [options]\n\nGenerate typed model classes and a `db` object from a Prisma schema.')
    .option('schema', { type: 'string', default: 'schema', describe: 'Prisma schema file, or a folder of .prisma files' })
    .option('out', { type: 'string', default: 'generated', describe: 'Output folder' })
    .option('check', { type: 'boolean', default: false, describe: 'Write nothing; exit 1 with a diff when the output is stale' })
    .option('runtime-module', { type: 'string', default: 'prismalchemy', describe: 'Module the generated code imports the runtime from' })
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
    output.err(`gen-models: ${usageError}\nRun gen-models --help for usage.`)
    return EXIT.usage
  }
  if (argv.includes('--help') || argv.includes('-h') || argv.includes('--version')) {
    if (printed) output.out(printed)
    return EXIT.ok
  }
  const options = { schema: args.schema as string, out: args.out as string, runtimeModule: args['runtime-module'] as string }
  try {
    if (args.check) {
      const { files } = await generateInMemory(options)
      const stale = checkOutput(files, options.out)
      if (stale.length === 0) {
        output.out(`gen-models: ${options.out} is up to date with ${options.schema}.`)
        return EXIT.ok
      }
      for (const file of stale) output.err(file.diff)
      output.err(`gen-models: ${stale.map((file) => file.path).join(', ')} out of date; run \`npx gen-models\` and commit the result.`)
      return EXIT.schema
    }
    const written = await generate(options)
    output.out(`gen-models: wrote ${written.join(', ')}`)
    return EXIT.ok
  } catch (error) {
    if (error instanceof SchemaError) {
      output.err(error.message)
      return EXIT.schema
    }
    if (error instanceof GeneratorError) {
      output.err(`gen-models: ${error.message}`)
      return EXIT.usage
    }
    throw error
  }
}
