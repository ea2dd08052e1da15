/** Emits generated/db.ts: the `db` object bound to this schema's models. */
import type { SchemaDescription } from '../model/description.js'
import { literal } from './literal.js'
import { createProject, docComment, preamble, printFile, type GeneratedFile } from './project.js'

/** The doc lines naming each bind's models and how to configure it; none when every model uses the default bind. */
function bindDocs(schema: SchemaDescription): string[] {
  const binds = new Map<string, string[]>()
  for (const model of schema.models) if (model.bind !== undefined) binds.set(model.bind, [...(binds.get(model.bind) ?? []), model.name])
  if (binds.size === 0) return []
  const keys = [...binds.keys()].sort()
  return [
    '',
    `Binds (other databases, \`/// @bind(...)\`): ${keys.map((key) => `${key} (${binds.get(key)!.join(', ')})`).join('; ')}. Give each a URL before`,
    `first use: \`db.configure({ binds: { ${keys.map((key) => `${/^[A-Za-z_]\w*$/.test(key) ? key : `'${key}'`}: url`).join(', ')} } })\`.`,
  ]
}

/** What db.ts needs beyond the description. */
export interface DbFileOptions {
  /** The environment variable of the default URL (a Prisma 6 schema's `url = env("NAME")`); default `DATABASE_URL`. */
  readonly urlVariable?: string | undefined
}

/** Emits `db.ts` for a described schema. */
export function emitDbFile(schema: SchemaDescription, runtimeModule: string, options: DbFileOptions = {}): GeneratedFile {
  const names = schema.models.map((model) => model.name).join(', ')
  const variable = options.urlVariable ?? 'DATABASE_URL'
  const where =
    options.urlVariable === undefined
      ? `at \`${variable}\` or \`file:./dev.db\``
      : `at \`${variable}\` (the schema's \`url = env("${variable}")\`) or \`file:./dev.db\``
  return printFile(createProject(), 'db.ts', [
    preamble(schema.sources),
    `import { createDb } from '${runtimeModule}'`,
    `import { registry } from './models.js'`,
    [
      docComment(
        [
          `The database of this schema (models: ${names}).`,
          '',
          `The engine opens on first use, ${where}; call \`db.configure({ url })\` before that to`,
          'choose another. `db.Session()` makes a session, `db.Session.begin(fn)` runs one unit of work, `db.createAll()`',
          'creates the tables.',
          ...bindDocs(schema),
        ].join('\n'),
      ),
      options.urlVariable === undefined ? 'export const db = createDb(registry)' : `export const db = createDb(registry, { urlVariable: ${literal(variable)} })`,
    ].join('\n'),
  ])
}
