// Prisma 6 schemas generate: datasource URLs and removed preview features are ignored with one located warning, line numbers kept, env("NAME") becomes db's URL variable.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import internals from '@prisma/internals'
import { createDb } from 'prismalchemy'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../generator/cli.js'
import { generateFromFiles } from '../../generator/generate.js'
import { DIALECTS } from '../helpers/dialects.js'
import { importInlineModels, inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { located, schemaErrorOf } from '../helpers/schema-errors.js'

const FILE = 'schema/schema.prisma'

/** A Prisma 6 schema: every datasource property Prisma 7 moved, and removed preview features around a kept one. */
const PRISMA6 = `generator client {
  provider        = "prisma-client-js"
  previewFeatures = ["metrics", "relationJoins", "esm"]
}


datasource db {
  provider          = "sqlite"
  url               = env("APP_DATABASE_URL") // pooled
  directUrl         = env("APP_DIRECT_URL")
  shadowDatabaseUrl = env("APP_SHADOW_URL")
}

model Note {
  id   Int    @id @default(autoincrement())
  text String
  url  String @default("https://example.com")
}
`

/** Prisma 7's own verdict on schema text: its validation errors, none when it accepts the text. */
async function prismaErrors(content: string): Promise<string> {
  try {
    await internals.getDMMF({ datamodel: [[FILE, content]] })
    await internals.getConfig({ datamodel: [[FILE, content]] })
    return ''
  } catch (error) {
    return (error as Error).message
  }
}

describe('a Prisma 6 schema', () => {
  it('is refused by Prisma 7 as written, but generates with one warning at the first ignored property naming them all', async () => {
    expect(await prismaErrors(PRISMA6)).toContain('The datasource property `url` is no longer supported in schema files')
    expect(await prismaErrors(PRISMA6)).toContain('The preview feature "metrics" is not known')
    const result = await generateFromFiles([{ path: FILE, content: PRISMA6 }], 'schema')
    const warnings = result.warnings.filter((warning) => warning.message.startsWith('Prisma 6 schema'))
    expect(warnings.map(({ file, line, column, severity }) => ({ file, line, column, severity }))).toEqual([{ file: FILE, line: 3, column: 22, severity: 'warning' }])
    const message = warnings[0].message
    for (const part of ['preview feature "metrics" (line 3)', 'preview feature "esm" (line 3)', 'datasource `url` (line 9)', 'datasource `directUrl` (line 10)', 'datasource `shadowDatabaseUrl` (line 11)']) {
      expect(message).toContain(part)
    }
    expect(message).toContain('prisma.config.ts')
    expect(message).toContain('APP_DATABASE_URL')
  })

  it('embeds, for createAll(), text Prisma 7 accepts, with every line where it was and the model field named url untouched', async () => {
    const { description } = await generateFromFiles([{ path: FILE, content: PRISMA6 }], 'schema')
    const [source] = description.sources
    expect(await prismaErrors(source.content)).toBe('')
    expect(source.content.split('\n').length).toBe(PRISMA6.split('\n').length)
    const lines = source.content.split('\n')
    expect(lines[2]).toBe('  previewFeatures = [           "relationJoins"       ]')
    expect(lines[8]).toBe('  // url               = env("APP_DATABASE_URL") // pooled')
    expect(lines[15]).toBe(PRISMA6.split('\n')[15])
  })

  it('generates a db whose default URL is the env() variable of the schema, documented', async () => {
    const { files } = await generateFromFiles([{ path: FILE, content: PRISMA6 }], 'schema')
    const db = files.find((file) => file.name === 'db.ts')!.content
    expect(db).toContain("export const db = createDb(registry, { urlVariable: 'APP_DATABASE_URL' })")
    expect(db).toContain('at `APP_DATABASE_URL` (the schema\'s `url = env("APP_DATABASE_URL")`) or `file:./dev.db`')
  })

  it('keeps every other diagnostic at its line, and reports the warning with the errors', async () => {
    // Line 16 of the text as written (and as Prisma 7 validated it, every line kept in place).
    const broken = PRISMA6.replace('  text String\n', '  text Strin\n')
    const error = await schemaErrorOf([{ path: FILE, content: broken }])
    expect(located(error)).toEqual([
      { file: FILE, line: 16, column: 8, severity: 'error' },
      { file: FILE, line: 3, column: 22, severity: 'warning' },
    ])
    expect(error.diagnostics[0].message).toContain('Type "Strin" is neither a built-in type')
  })

  it('passes --check after generating, the warning printed both times', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-prisma6-'))
    try {
      mkdirSync(path.join(dir, 'prisma'))
      writeFileSync(path.join(dir, 'prisma', 'schema.prisma'), PRISMA6)
      const run = async (...argv: string[]) => {
        const lines: string[] = []
        const code = await main([...argv, '--out', path.join(dir, 'generated')], { out: (text) => lines.push(text), err: (text) => lines.push(text) }, dir)
        return { code, output: lines.join('\n') }
      }
      const generated = await run()
      expect(generated.code).toBe(0)
      expect(generated.output).toMatch(/prisma\/schema\.prisma:3:22: warning: Prisma 6 schema: ignored/)
      const checked = await run('--check')
      expect(checked.output).toContain('warning: Prisma 6 schema')
      expect(checked.code).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('urlVariable', () => {
  const variable = 'PRISMALCHEMY_TEST_PRISMA6_URL'
  let dir: string

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-url-variable-'))
  })

  afterAll(() => {
    delete process.env[variable]
    rmSync(dir, { recursive: true, force: true })
  })

  it('makes the db read its URL from that variable instead of DATABASE_URL, and createAll() accept the embedded schema', async () => {
    const { registry, classes, dir: modelsDir } = await importInlineModels('prisma6-url', PRISMA6)
    try {
      const file = path.join(dir, 'notes.db')
      process.env[variable] = `file:${file}`
      const db = createDb(registry, { urlVariable: variable })
      expect(db.url).toBe(`file:${file}`)
      expect(createDb(registry).url).toBe(process.env.DATABASE_URL ?? 'file:./dev.db')
      try {
        await db.createAll()
        await db.Session.begin(async (session) => {
          session.add(new classes.Note({ text: 'kept' }))
        })
        const notes = await db.Session.begin(async (session) => session.query(registry.classes.Note).all())
        expect(notes.map((note) => (note as unknown as { text: string; url: string }).text)).toEqual(['kept'])
      } finally {
        await db.dispose()
      }
    } finally {
      rmSync(modelsDir, { recursive: true, force: true })
    }
  })
})

describe.each(DIALECTS)('on %s, a Prisma 6 schema', (dialect) => {
  let models: InlineModels

  beforeAll(async () => {
    models = await inlineModels('prisma6', PRISMA6, dialect)
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  it('creates its tables from the embedded text and round-trips a row', async () => {
    const id = await models.inSession(async (session) => {
      const note = new models.classes.Note({ text: 'hello' })
      session.add(note)
      await session.commit()
      return note.id as number
    })
    const rows = await models.readRows<{ id: number; text: string; url: string }>('SELECT "id", "text", "url" FROM "Note"')
    expect(rows).toEqual([{ id, text: 'hello', url: 'https://example.com' }])
  })
})
