/** The Prisma generator: `generator models { provider = "gen-models" }` makes `prisma generate` run our pipeline. */
import path from 'node:path'
import helper from '@prisma/generator-helper'
import { generate } from './generate.js'

/** Speaks Prisma's generator protocol (JSON-RPC on stdin/stderr); `bin.ts` calls it when Prisma spawns us. */
export function servePrismaGenerator(): void {
  helper.generatorHandler({
    // Prisma resolves `output` (else `defaultOutput`) against the folder of the file holding the generator block.
    onManifest: () => ({ prettyName: 'prismalchemy models', defaultOutput: '../generated', requiresGenerators: [] }),
    onGenerate: async ({ schemaPath, generator: { output, config } }) => {
      // `schemaPath` is the absolute .prisma file or schema folder; read it from disk, as the CLI does, for the same bytes.
      const relative = path.relative(process.cwd(), schemaPath)
      const schema = relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : schemaPath
      const runtimeModule = config.runtimeModule ?? 'prismalchemy'
      if (typeof runtimeModule !== 'string') throw new Error('generator config runtimeModule must be a string')
      await generate({ schema, out: output?.value ?? path.resolve(path.dirname(schemaPath), '../generated'), runtimeModule })
    },
  })
}
