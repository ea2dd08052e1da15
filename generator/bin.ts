#!/usr/bin/env node
/**
 * The `prismalchemy` executable (alias `gen-models`); when `prisma generate` spawns it
 * (PRISMA_GENERATOR_INVOCATION), a Prisma generator. The generator's packages are the application's
 * devDependencies, installed only where code is generated: when one is missing, it says how to install it.
 */

/**
 * The generator's packages and the ranges it works with (test/package checks them against the versions
 * this repository tests). package.json does not declare them, not even as optional peers: npm keeps a
 * declared peer that the application installs with `-D` in an `npm install --omit=dev`.
 */
const GENERATOR_PACKAGES = {
  '@prisma/internals': '^7.10.0',
  '@prisma/generator-helper': '^7.10.0',
  'ts-morph': '^28.0.0',
  yargs: '^18.0.0',
  diff: '^9.0.0',
} as const

/** Exit code when the generator cannot run as installed; the command line exits with 2 on usage errors too. */
const EXIT_NOT_INSTALLED = 2

/** The generator's packages that do not resolve from this file (as the generator's own imports would). */
function missingGeneratorPackages(): string[] {
  return Object.keys(GENERATOR_PACKAGES).filter((name) => {
    try {
      import.meta.resolve(name)
      return false
    } catch (error) {
      return (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND'
    }
  })
}

const missing = missingGeneratorPackages()
if (missing.length > 0) {
  const specs = missing.map((name) => `"${name}@${GENERATOR_PACKAGES[name as keyof typeof GENERATOR_PACKAGES]}"`)
  process.stderr.write(
    `prismalchemy's code generator needs ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed ` +
      '(a production install leaves the generator out). Install in the project that generates code:\n' +
      `  npm install -D ${specs.join(' ')}\n`,
  )
  process.exitCode = EXIT_NOT_INSTALLED
} else if (process.env.PRISMA_GENERATOR_INVOCATION) {
  ;(await import('./prisma-generator.js')).servePrismaGenerator()
} else {
  process.exitCode = await (await import('./cli.js')).main(process.argv.slice(2))
}
