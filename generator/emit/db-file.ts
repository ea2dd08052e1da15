/** Emits generated/db.ts: the `db` object bound to this schema's models. */
import type { SchemaDescription } from '../model/description.js'
import { createProject, docComment, preamble, printFile, type GeneratedFile } from './project.js'

/** Emits `db.ts` for a described schema. */
export function emitDbFile(schema: SchemaDescription, runtimeModule: string): GeneratedFile {
  const names = schema.models.map((model) => model.name).join(', ')
  return printFile(createProject(), 'db.ts', [
    preamble(schema.sources),
    `import { createDb } from '${runtimeModule}'`,
    `import { registry } from './models.js'`,
    [
      docComment(
        [
          `The database of this schema (models: ${names}).`,
          '',
          'The engine opens on first use, at `DATABASE_URL` or `file:./dev.db`; call `db.configure({ url })` before that to',
          'choose another. `db.Session()` makes a session, `db.Session.begin(fn)` runs one unit of work, `db.createAll()`',
          'creates the tables.',
        ].join('\n'),
      ),
      'export const db = createDb(registry)',
    ].join('\n'),
  ])
}
