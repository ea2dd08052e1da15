/** Generates prismalchemy models for a schema given as text, at run time, and loads them under plain node (transpiled to .js beside the .ts). */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'
import type { ModelRegistry } from 'prismalchemy/internal'
import { generateFromFiles } from 'prismalchemy/generator'

/**
 * Runs the generator on `schema` (in memory, `generateFromFiles`), writes the emitted files into
 * `dir` (emptied first), transpiles each `.ts` file to `.js` beside it (`transpileModule`: no type
 * check, ES modules) and imports `models.js`.
 *
 * The emitted code imports `'prismalchemy'`; that specifier resolves to this package through its
 * own `package.json` exports (self-reference), so `dir` must lie inside the repository, e.g. under
 * `.tmp/`, and the package must be built (`npm run build`).
 *
 * @param schema The Prisma schema text, `///` loading annotations included.
 * @param dir Output folder, inside the repository.
 * @returns The registry of the generated models (`registry.classes.Role`, ...).
 */
export async function loadInlineModels(schema: string, dir: string): Promise<ModelRegistry> {
  const { files } = await generateFromFiles([{ path: 'schema/schema.prisma', content: schema }], 'schema')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  for (const file of files) {
    writeFileSync(join(dir, file.name), file.content)
    if (!file.name.endsWith('.ts')) continue
    const { outputText } = ts.transpileModule(file.content, {
      fileName: file.name,
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    })
    writeFileSync(join(dir, file.name.replace(/\.ts$/, '.js')), outputText)
  }
  const models = (await import(pathToFileURL(join(dir, 'models.js')).href)) as { registry: ModelRegistry }
  return models.registry
}
