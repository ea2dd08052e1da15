#!/usr/bin/env node
/** The `gen-models` executable; when `prisma generate` spawns it (PRISMA_GENERATOR_INVOCATION), a Prisma generator. */
if (process.env.PRISMA_GENERATOR_INVOCATION) (await import('./prisma-generator.js')).servePrismaGenerator()
else process.exitCode = await (await import('./cli.js')).main(process.argv.slice(2))
