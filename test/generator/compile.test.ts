// Generated code type-checks under `strict` (TypeScript compiler API, `prismalchemy` mapped to runtime/index.ts) with zero diagnostics.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateFromFiles, generateInMemory, type GenerationResult } from '../../generator/generate.js'
import { RUNTIME_INDEX, typeCheck, writeGenerated } from '../helpers/type-check.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const DATASOURCE = 'datasource db {\n  provider = "sqlite"\n}\n'

/** Small schemas exercising what schema/ does not: composite keys, required and one-to-one relations, self-relations, declared collection orders. */
const INLINE_SCHEMAS: Record<string, string> = {
  'composite-key': `${DATASOURCE}
/// A group of users.
model Group {
  id      Int          @id @default(autoincrement())
  name    String
  /// @lazy(dynamic)
  /// @orderBy(joinedAt: desc, userId)
  members Membership[]
}

/// Joins a user to a group; the key is the pair.
model Membership {
  groupId  Int
  userId   String
  joinedAt DateTime @default(now())
  /// @lazy(select)
  group    Group    @relation(fields: [groupId], references: [id])
  /// @orderBy(label: asc)
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

let root: string

/** Writes a generation result into `root/<folder>` (an ES-module package) and returns the paths of its .ts files. */
function writeOutput(folder: string, result: GenerationResult): string[] {
  return writeGenerated(path.join(root, folder), result)
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
    const broken = models.replace('type Decimal as $Decimal, ', '')
    expect(broken).not.toBe(models)
    writeFileSync(path.join(copy, 'models.ts'), broken)
    const { errors } = typeCheck([path.join(copy, 'models.ts')], checked.program)
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((error) => error.startsWith(path.join(copy, 'models.ts')))).toBe(true)
    expect(errors.join('\n')).toContain("TS2304: Cannot find name '$Decimal'")
  })
})
