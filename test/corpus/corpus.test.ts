// The schema corpus: each published schema and each of ours generates, compiles strictly, passes --check, creates its tables and round-trips rows with a real PrismaClient.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { DMMF } from '@prisma/generator-helper'
import internals from '@prisma/internals'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from 'prismalchemy'
import type { ModelRegistry } from 'prismalchemy/internal'
import { main } from '../../generator/cli.js'
import { generateInMemory, type GenerationResult } from '../../generator/generate.js'
import { scratchDatabase, type ScratchDatabase } from '../helpers/database.js'
import { DIALECTS, type TestDialect } from '../helpers/dialects.js'
import { loadPrismaClient, type PrismaClientLike } from '../helpers/prisma-client.js'
import { STRICT_OPTIONS, writeGenerated } from '../helpers/type-check.js'
import { typeCheckInWorker } from './type-check-worker.js'
import { CORPUS, REAL_SCHEMAS_DIR, REAL_SCHEMAS_PRESENT, type CorpusSchema } from './corpus-schemas.js'
import { prismaToSession, sessionToPrisma, type RoundTripContext, type RoundTripReport } from './round-trip.js'
import { prismaClientText, providerOf, readCorpusFiles, withProvider, writeSchemaFolder } from './schema-copies.js'

const WORK_ROOT = fileURLToPath(new URL('../../.tmp/corpus', import.meta.url))

/** One schema on one database, and what its stages produced so far. */
interface CorpusCase {
  readonly schema: CorpusSchema
  readonly dialect: TestDialect
  readonly label: string
  /** The label of the database stages: says how the schema was edited for them, if it was. */
  readonly databaseLabel: string
  readonly dir: string
  /** The schema as generated (the original, or a copy with the provider swapped). */
  source?: string
  generated?: GenerationResult
  /** Generated .ts files, type-checked together with every other case's. */
  files?: string[]
  /** Set once createAll() succeeded. */
  live?: LiveDatabase
}

/** A case's databases with its tables, its `db`, and Prisma's view of the same schema. */
interface LiveDatabase {
  readonly db: Db
  readonly databases: ReadonlyMap<string | null, ScratchDatabase>
  readonly provider: string
  readonly prismaSchemaPath: string
  readonly datamodel: DMMF.Datamodel
}

const all: CorpusCase[] = CORPUS.flatMap((schema) =>
  schema.dialects
    .filter((dialect) => DIALECTS.includes(dialect))
    .map((dialect) => ({
      schema,
      dialect,
      label: `${schema.name} on ${dialect}`,
      databaseLabel: `${schema.name} on ${dialect}${schema.runtimeEdit ? `, ${schema.runtimeEdit.reason}` : ''}`,
      dir: path.join(WORK_ROOT, `${schema.name}-${dialect}`),
    })),
)
/** The cases that go through every stage. */
const cases = all.filter((corpusCase) => corpusCase.schema.refusedUntilSupported === undefined)
/** Schemas using a feature gen-models refuses for now: the refusal must be clear and located. */
const refused = all.filter((corpusCase) => corpusCase.schema.refusedUntilSupported !== undefined)

/** The case's schema files as they run on its database: the provider swapped when the schema is written for the other. */
function filesFor(corpusCase: CorpusCase, edit?: (text: string) => string) {
  const files = readCorpusFiles(corpusCase.schema.location)
  const swapped = providerOf(files) === corpusCase.dialect ? files : withProvider(files, corpusCase.dialect)
  return { files: edit ? swapped.map((file) => ({ ...file, content: edit(file.content) })) : swapped, changed: swapped !== files || edit !== undefined }
}

/** Generated output of a case, or the test's failure when an earlier stage left none. */
function generatedOf(corpusCase: CorpusCase): GenerationResult {
  if (corpusCase.generated === undefined) throw new Error(`${corpusCase.label}: nothing to check, generation failed (see "generates")`)
  return corpusCase.generated
}

/** The query listing a database's tables, on each database. */
const TABLE_NAMES: Readonly<Record<TestDialect, string>> = {
  sqlite: "SELECT name FROM sqlite_master WHERE type = 'table'",
  postgresql: "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'",
  mysql: 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()',
}

/** The option sets the generated code must compile under. */
const COMPILER_OPTION_SETS = {
  strict: STRICT_OPTIONS,
  exact: { ...STRICT_OPTIONS, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true },
} satisfies Record<string, ts.CompilerOptions>

let typeCheck: Promise<Record<string, string[]>> | undefined

/**
 * Starts type-checking every generated case in one program per option set, in a worker thread
 * (once, after generation): the database stages run meanwhile, and the compile stages, which come
 * last, read the result.
 */
function startTypeCheck(): Promise<Record<string, string[]>> {
  typeCheck ??= typeCheckInWorker(
    cases.flatMap((corpusCase) => corpusCase.files ?? []),
    COMPILER_OPTION_SETS,
  )
  return typeCheck
}

/** Diagnostics located in the case's generated files, paths relative to its output folder. */
async function compileErrors(corpusCase: CorpusCase, optionSet: keyof typeof COMPILER_OPTION_SETS): Promise<string[]> {
  generatedOf(corpusCase)
  const errors = (await startTypeCheck())[optionSet] ?? []
  const outDir = path.join(corpusCase.dir, 'out') + path.sep
  return errors.filter((error) => error.startsWith(outDir) || error.startsWith('TS')).map((error) => error.replace(outDir, ''))
}

/** The live database of a case, or the test's failure when createAll() did not succeed. */
function liveOf(corpusCase: CorpusCase): LiveDatabase {
  if (corpusCase.live === undefined) throw new Error(`${corpusCase.label}: no database, createAll() failed (see "creates its tables")`)
  return corpusCase.live
}

const openClients: PrismaClientLike[] = []

/** Both clients on a case's databases, for the round trips. */
async function roundTripContext(corpusCase: CorpusCase): Promise<RoundTripContext> {
  const live = liveOf(corpusCase)
  const open = await loadPrismaClient(live.prismaSchemaPath, corpusCase.dialect)
  const clients = new Map<string | null, PrismaClientLike>()
  return {
    registry: live.db.registry as ModelRegistry,
    datamodel: live.datamodel,
    provider: live.provider,
    session: () => live.db.Session({ expireOnCommit: false }),
    clientFor: (bind) => {
      let client = clients.get(bind)
      if (client === undefined) {
        const database = live.databases.get(bind)
        if (database === undefined) throw new Error(`no database for bind ${String(bind)}`)
        client = open(database.url)
        clients.set(bind, client)
        openClients.push(client)
      }
      return client
    },
  }
}

/** Fails with every problem of a round trip, one per line, naming the model, row and field. */
function expectNoProblems(report: RoundTripReport): void {
  if (report.problems.length > 0) {
    const passed = report.passed.join(', ') || 'none'
    throw new Error(`${report.problems.length} problem(s) (models that passed: ${passed}):\n${report.problems.join('\n')}`)
  }
  expect(report.passed.length).toBeGreaterThan(0)
}

afterAll(async () => {
  await Promise.all(openClients.map((client) => client.$disconnect()))
  for (const corpusCase of cases) {
    if (corpusCase.live === undefined) continue
    await corpusCase.live.db.dispose()
    for (const database of corpusCase.live.databases.values()) await database.drop()
  }
})

describe('schema corpus', () => {
  it(`has the published schemas at ${REAL_SCHEMAS_DIR} (CI copies ../shared next to the clone)`, () => {
    expect(REAL_SCHEMAS_PRESENT).toBe(true)
  })

  describe('generates', () => {
    it.each(cases)('$label', async (corpusCase) => {
      rmSync(corpusCase.dir, { recursive: true, force: true })
      const { files, changed } = filesFor(corpusCase)
      corpusCase.source = changed ? writeSchemaFolder(path.join(corpusCase.dir, 'schema'), files) : corpusCase.schema.location
      const out = path.join(corpusCase.dir, 'out')
      const generated = await generateInMemory({ schema: corpusCase.source, out })
      expect(generated.files.map((file) => file.name).sort()).toEqual(['db.ts', 'models.ts'])
      corpusCase.files = writeGenerated(out, generated)
      corpusCase.generated = generated
    })
  })


  describe.runIf(refused.length > 0)('refuses, at the schema line, a feature it does not support yet', () => {
    it.each(refused)('$label', async (corpusCase) => {
      const { files, changed } = filesFor(corpusCase)
      const source = changed ? writeSchemaFolder(path.join(corpusCase.dir, 'schema'), files) : corpusCase.schema.location
      await expect(generateInMemory({ schema: source, out: path.join(corpusCase.dir, 'out') })).rejects.toThrow(corpusCase.schema.refusedUntilSupported!)
    })
  })

  describe('passes gen-models --check on the written output', () => {
    // Generation is done: type-check it in a worker while the database stages run (the compile stages at the end report it).
    beforeAll(() => void startTypeCheck().catch(() => undefined))

    it.each(cases)('$label', async (corpusCase) => {
      generatedOf(corpusCase)
      const lines: string[] = []
      const output = { out: (text: string) => lines.push(text), err: (text: string) => lines.push(text) }
      const code = await main(['--check', '--schema', corpusCase.source!, '--out', path.join(corpusCase.dir, 'out')], output)
      // Warnings (a Prisma 6 datasource, lints) may be printed too; a stale file would print a diff and exit 1.
      expect({ code, upToDate: lines.some((line) => line.includes('is up to date')) }, lines.join('\n')).toEqual({ code: 0, upToDate: true })
    })
  })

  describe('creates its tables with db.createAll() on a fresh database', () => {
    it.each(cases)('$databaseLabel', { timeout: 120_000 }, async (corpusCase) => {
      let out = path.join(corpusCase.dir, 'out')
      const edit = corpusCase.schema.runtimeEdit
      const { files } = filesFor(corpusCase, edit?.edit)
      if (edit !== undefined) {
        // Regenerated from the edited copy, so the schema createAll() pushes is the edited one.
        out = path.join(corpusCase.dir, 'out-runtime')
        writeGenerated(out, await generateInMemory({ schema: writeSchemaFolder(path.join(corpusCase.dir, 'schema-runtime'), files), out }))
      } else generatedOf(corpusCase)
      const prismaSchemaPath = path.join(corpusCase.dir, 'prisma-client.prisma')
      const prismaText = prismaClientText(files)
      mkdirSync(corpusCase.dir, { recursive: true })
      writeFileSync(prismaSchemaPath, prismaText)
      const { datamodel } = await internals.getDMMF({ datamodel: prismaText })

      const databases = new Map<string | null, ScratchDatabase>()
      databases.set(null, await scratchDatabase(corpusCase.dialect))
      for (const key of corpusCase.schema.binds ?? []) databases.set(key, await scratchDatabase(corpusCase.dialect))
      try {
        for (const statement of corpusCase.schema.prepareSql ?? []) await databases.get(null)!.execute(statement)
        const { db } = (await import(pathToFileURL(path.join(out, 'db.ts')).href)) as { db: Db }
        const binds = Object.fromEntries([...databases].filter(([key]) => key !== null).map(([key, database]) => [key, database.url]))
        db.configure({ url: databases.get(null)!.url, binds })
        await db.createAll()
        corpusCase.live = { db, databases, provider: corpusCase.dialect, prismaSchemaPath, datamodel: datamodel as DMMF.Datamodel }
      } catch (error) {
        for (const database of databases.values()) await database.drop()
        throw error
      }
      // Every mapped table (join tables included) exists in its database.
      for (const [bind, tables] of corpusCase.live.db.registry.tablesByBind) {
        const database = corpusCase.live.databases.get(bind)!
        const present = await database.readRows<{ name: string }>(TABLE_NAMES[corpusCase.dialect])
        expect(tables.filter((table) => !present.some((row) => row.name === table))).toEqual([])
      }
    })
  })

  describe('round-trips rows: written by a session, read identically by PrismaClient', () => {
    it.each(cases)('$databaseLabel', { timeout: 120_000 }, async (corpusCase) => {
      expectNoProblems(await sessionToPrisma(await roundTripContext(corpusCase)))
    })
  })

  describe('round-trips rows: written by PrismaClient, read identically by a session', () => {
    it.each(cases)('$databaseLabel', { timeout: 120_000 }, async (corpusCase) => {
      expectNoProblems(await prismaToSession(await roundTripContext(corpusCase)))
    })
  })

  describe('compiles under strict', () => {
    it.each(cases)('$label', { timeout: 120_000 }, async (corpusCase) => {
      expect(await compileErrors(corpusCase, 'strict')).toEqual([])
    })
  })

  describe('compiles under strict with exactOptionalPropertyTypes and noUncheckedIndexedAccess', () => {
    it.each(cases)('$label', { timeout: 120_000 }, async (corpusCase) => {
      expect(await compileErrors(corpusCase, 'exact')).toEqual([])
    })
  })
})
