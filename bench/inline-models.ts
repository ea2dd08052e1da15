/** Generates prismalchemy models for a schema given as text, at run time, and loads them under plain node (transpiled to .js beside the .ts); creates their tables and runs sessions on them. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'
import { createDb, Session, type Engine } from 'prismalchemy'
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
  await writeInlineModels(schema, dir)
  const models = (await import(pathToFileURL(join(dir, 'models.js')).href)) as { registry: ModelRegistry }
  return models.registry
}

/** The first half of {@link loadInlineModels}: generates the models of `schema` into `dir` (emptied first), `.ts` and transpiled `.js`, for another process to import. */
export async function writeInlineModels(schema: string, dir: string): Promise<void> {
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
}

/** Creates the tables of `registry`'s models in the database at `url` (`db.createAll()` through Prisma's schema engine), then lets the db go. */
export async function createInlineTables(registry: ModelRegistry, url: string): Promise<void> {
  const db = createDb(registry)
  db.configure({ url })
  await db.createAll()
  await db.dispose()
}

/** Runs `work` in a fresh Session on `engine` (as a request handler has one) and closes it, whatever happens. */
export async function inSession<T>(engine: Engine, work: (session: Session) => Promise<T>): Promise<T> {
  const session = new Session({ bind: engine })
  try {
    return await work(session)
  } finally {
    await session.close()
  }
}
