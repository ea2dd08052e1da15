// Generated code type-checks under `strict` (TypeScript compiler API, `prismalchemy` mapped to runtime/index.ts) with zero diagnostics.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateFromFiles, generateInMemory, type GenerationResult } from '../../generator/generate.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const RUNTIME_INDEX = path.join(REPO_ROOT, 'runtime', 'index.ts')
const DATASOURCE = 'datasource db {\n  provider = "sqlite"\n}\n'

/** Small schemas exercising what schema/ does not: composite keys, required and one-to-one relations, self-relations. */
const INLINE_SCHEMAS: Record<string, string> = {
  'composite-key': `${DATASOURCE}
/// A group of users.
model Group {
  id      Int          @id @default(autoincrement())
  name    String
  /// @lazy(dynamic)
  members Membership[]
}

/// Joins a user to a group; the key is the pair.
model Membership {
  groupId  Int
  userId   String
  joinedAt DateTime @default(now())
  /// @lazy(select)
  group    Group    @relation(fields: [groupId], references: [id])
  badges   Badge[]

  @@id([groupId, userId])
}

model Badge {
  id      Int        @id
  groupId Int
  userId  String
  label   String?
  member  Membership @relation(fields: [groupId, userId], references: [groupId, userId])
}
`,
  'required-to-one': `${DATASOURCE}
enum Kind {
  PERSON
  ROBOT
}

model Account {
  id        String   @id @default(uuid())
  kind      Kind     @default(PERSON)
  /// Contains "quotes", 'apostrophes', a back\\slash and a */ comment end.
  motto     String   @default("it's \\"fine\\"")
  bytes     Bytes?
  data      Json     @default("{}")
  big       BigInt?
  price     Decimal?
  ratio     Float    @default(1.5)
  profile   Profile?
  managerId String?
  /// @lazy(select)
  manager   Account?  @relation("Reports", fields: [managerId], references: [id])
  /// @lazy(dynamic)
  reports   Account[] @relation("Reports")
}

/// Exactly one per account.
model Profile {
  id        Int     @id @default(autoincrement())
  accountId String  @unique
  account   Account @relation(fields: [accountId], references: [id], onDelete: Cascade)
}
`,
}

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts'],
  types: ['node'],
  typeRoots: [path.join(REPO_ROOT, 'node_modules', '@types')],
  skipLibCheck: true,
  isolatedModules: true,
  verbatimModuleSyntax: true,
  noImplicitOverride: true,
  esModuleInterop: true,
  paths: { prismalchemy: [RUNTIME_INDEX] },
}

let root: string

/** Writes a generation result into `root/<folder>` (an ES-module package) and returns the paths of its .ts files. */
function writeOutput(folder: string, result: GenerationResult): string[] {
  const dir = path.join(root, folder)
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n')
  return result.files.map((file) => {
    const target = path.join(dir, file.name)
    writeFileSync(target, file.content)
    return target
  })
}

function typeCheck(rootNames: readonly string[], oldProgram?: ts.Program): { program: ts.Program; errors: string[] } {
  const program = ts.createProgram({ rootNames, options: OPTIONS, oldProgram })
  const errors = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
    if (diagnostic.file === undefined || diagnostic.start === undefined) return `TS${diagnostic.code}: ${message}`
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
    return `${diagnostic.file.fileName}:${line + 1}:${character + 1}: TS${diagnostic.code}: ${message}`
  })
  return { program, errors }
}

describe('generated code under tsc --strict', () => {
  const roots: string[] = []
  let checked: ReturnType<typeof typeCheck>

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'prismalchemy-compile-'))
    roots.push(...writeOutput('schema', await generateInMemory({ schema: path.join(REPO_ROOT, 'schema'), out: 'generated' })))
    for (const [name, content] of Object.entries(INLINE_SCHEMAS)) {
      roots.push(...writeOutput(name, await generateFromFiles([{ path: `schema/${name}.prisma`, content }], 'schema')))
    }
    checked = typeCheck(roots)
  })

  afterAll(() => {
    rmSync(root, { recursive: true, force: true })
  })

  it('resolves `prismalchemy` to the runtime sources, so the runtime types are really checked', () => {
    expect(checked.program.getSourceFile(RUNTIME_INDEX)).toBeDefined()
    const db = checked.program.getSourceFile(path.join(root, 'schema', 'db.ts'))
    expect(db).toBeDefined()
    expect(checked.program.getSourceFile(path.join(root, 'schema', 'models.ts'))).toBeDefined()
  })

  it('reports no diagnostics for schema/, a composite-key schema and a required to-one schema', () => {
    expect(checked.errors).toEqual([])
  })

  it('reports an error once a type error is injected into a copy of the output', () => {
    const copy = path.join(root, 'broken')
    mkdirSync(copy, { recursive: true })
    writeFileSync(path.join(copy, 'package.json'), '{ "type": "module" }\n')
    const models = readFileSync(path.join(root, 'schema', 'models.ts'), 'utf8')
    // A plausible emitter slip: a Decimal column whose type is no longer imported.
    const broken = models.replace('type Decimal, ', '')
    expect(broken).not.toBe(models)
    writeFileSync(path.join(copy, 'models.ts'), broken)
    const { errors } = typeCheck([path.join(copy, 'models.ts')], checked.program)
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((error) => error.startsWith(path.join(copy, 'models.ts')))).toBe(true)
    expect(errors.join('\n')).toContain("TS2304: Cannot find name 'Decimal'")
  })
})
