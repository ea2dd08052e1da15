// Every schema feature a Prisma user writes is either generated, type-checked under strict and (where cheap) run on a
// real SQLite file, or refused with a located SchemaError that says what to do. Never silently mis-generated.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { createEngine, Session, UniqueViolationError, type Engine, type Model } from 'prismalchemy'
import type { ModelRegistry } from 'prismalchemy/internal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SchemaFile } from '../../generator/dmmf/load-schema.js'
import { SchemaError, type Diagnostic } from '../../generator/errors.js'
import { generateFromFiles, generateInMemory, type GenerationResult } from '../../generator/generate.js'
import { pushSchema } from '../../runtime/engine/schema-engine.js'
import { readRows } from '../helpers/database.js'
import { capturedSql } from '../helpers/sql-recorder.js'
import { typeCheck, writeGenerated } from '../helpers/type-check.js'

const SQLITE = 'datasource db {\n  provider = "sqlite"\n}\n'
const POSTGRES = 'datasource db {\n  provider = "postgresql"\n}\n'
const FILE = 'schema/test.prisma'

/** A schema that must generate, and a module using its output that must type-check with it (`@ts-expect-error` pins what must not). */
interface Feature {
  readonly schema: string
  readonly usage: string
}

const FEATURES = {
  'composite-keys': {
    schema: `${SQLITE}
model Tenant {
  id      Int      @id @default(autoincrement())
  slug    String
  region  String
  members Member[]

  @@unique([slug, region])
}

model Member {
  tenantId Int
  login    String
  name     String
  tenant   Tenant @relation(fields: [tenantId], references: [id])

  @@id([tenantId, login])
  @@unique([tenantId, name])
}
`,
    usage: `import type { Session } from 'prismalchemy'
import { Member, Tenant } from './models.js'
export async function use(session: Session): Promise<string | undefined> {
  const member: Member | null = await session.get(Member, { tenantId: 1, login: 'ann' })
  // @ts-expect-error a composite key needs every field
  await session.get(Member, { tenantId: 1 })
  // @ts-expect-error a composite key is an object, not one value
  await session.get(Member, 1)
  const tenant: Tenant | null = await session.get(Tenant, 1)
  return member?.name ?? tenant?.slug
}
`,
  },
  enums: {
    schema: `${SQLITE}
/// Whether an account may sign in.
enum Status {
  ACTIVE
  SUSPENDED
}

model Account {
  id       Int     @id @default(autoincrement())
  status   Status  @default(ACTIVE)
  previous Status?
}
`,
    usage: `import { Account, Status } from './models.js'
export const statuses: Status[] = [Status.ACTIVE, 'SUSPENDED']
export const account = new Account({ status: Status.SUSPENDED, previous: null })
export const status: Status = account.status
// @ts-expect-error not a value of the enum
new Account({ status: 'DELETED' })
`,
  },
  'enums-postgresql': {
    schema: `${POSTGRES}
enum Status {
  ACTIVE
  SUSPENDED

  @@map("account_status")
}

model Account {
  id     String @id @default(uuid()) @db.Uuid
  status Status @default(ACTIVE)
}
`,
    usage: `import { Account, Status } from './models.js'
export const account = new Account({ status: Status.SUSPENDED })
`,
  },
  'scalar-lists': {
    schema: `${POSTGRES}
enum Role {
  ADMIN @map("admin")
  USER  @map("user")
}

model Post {
  id    Int        @id @default(autoincrement())
  tags  String[]   @default([])
  roles Role[]     @default([ADMIN])
  days  DateTime[] @db.Date
  money Decimal    @db.Money
}
`,
    usage: `import type { Session, WhereInput } from 'prismalchemy'
import { Post, Role, type PostColumns } from './models.js'
export const post = new Post({ tags: ['a'], roles: [Role.USER], days: [new Date()] })
export const tags: string[] = post.tags
export const roles: Role[] = post.roles
// @ts-expect-error a list is never null
post.tags = null
// @ts-expect-error elements are the enum's values
post.roles = ['admin']
export const where: WhereInput<PostColumns> = { tags: { has: 'a' }, roles: { hasSome: [Role.ADMIN] }, days: { isEmpty: false } }
// @ts-expect-error contains is a string filter, not a list filter
export const wrong: WhereInput<PostColumns> = { tags: { contains: 'a' } }
export function find(session: Session) {
  return session.query(Post).where({ tags: { hasEvery: ['a', 'b'] } }).all()
}
`,
  },
  'self-relations': {
    schema: `${SQLITE}
model Employee {
  id        Int        @id @default(autoincrement())
  name      String
  managerId Int?
  /// @lazy(select)
  manager   Employee?  @relation("Reports", fields: [managerId], references: [id])
  /// @lazy(dynamic)
  reports   Employee[] @relation("Reports")
  mentorId  Int?       @unique
  mentor    Employee?  @relation("Mentoring", fields: [mentorId], references: [id])
  mentee    Employee?  @relation("Mentoring")
}
`,
    usage: `import { Employee } from './models.js'
export async function use(employee: Employee): Promise<string> {
  const manager: Employee | null = await employee.manager
  const reports: number = await employee.reports.count()
  const mentee: Employee | null = await employee.mentee
  employee.mentor = manager
  // @ts-expect-error the side without the foreign key is read-only
  employee.mentee = manager
  return mentee?.name ?? String(reports)
}
`,
  },
  'one-to-one': {
    schema: `${SQLITE}
model User {
  id      Int      @id @default(autoincrement())
  email   String   @unique
  profile Profile?
}

model Profile {
  id     Int    @id @default(autoincrement())
  bio    String
  userId Int    @unique
  user   User   @relation(fields: [userId], references: [id], onDelete: Cascade)
}
`,
    usage: `import { Profile, User } from './models.js'
export async function use(user: User): Promise<string | undefined> {
  const profile: Profile | null = await user.profile
  const owner: User = await new Profile({ bio: '', user }).user
  // @ts-expect-error a required to-one relationship is never null
  new Profile({ user: null })
  return profile?.bio ?? owner.email
}
`,
  },
  'explicit-many-to-many': {
    schema: `${SQLITE}
model Post {
  id    Int       @id @default(autoincrement())
  title String
  /// @lazy(dynamic)
  tags  PostTag[]
}

model Tag {
  id    Int       @id @default(autoincrement())
  name  String    @unique
  posts PostTag[]
}

/// The join model: one row per tag on a post.
model PostTag {
  postId     Int
  tagId      Int
  assignedAt DateTime @default(now())
  post       Post     @relation(fields: [postId], references: [id], onDelete: Cascade)
  tag        Tag      @relation(fields: [tagId], references: [id], onDelete: Cascade)

  @@id([postId, tagId])
}
`,
    usage: `import type { Session } from 'prismalchemy'
import { Post, PostTag, Tag } from './models.js'
export async function use(session: Session, post: Post): Promise<string[]> {
  const link: PostTag | null = await session.get(PostTag, { postId: 1, tagId: 2 })
  const tags: Tag[] = await Promise.all((await post.tags.all()).map((tagging) => tagging.tag))
  post.tags.append(new PostTag({ tag: tags[0] }))
  return [...tags.map((tag) => tag.name), String(link?.assignedAt.getTime())]
}
`,
  },
  defaults: {
    schema: `${SQLITE}
model Token {
  id        String   @id @default(cuid())
  cuid2     String   @default(cuid(2))
  uuid4     String   @default(uuid())
  uuid7     String   @default(uuid(7))
  createdAt DateTime @default(now())
  code      String   @default(dbgenerated("(lower(hex(randomblob(4))))"))
  uses      Int      @default(3)
  label     String   @default("new")
}

model Counter {
  id   Int     @id @default(autoincrement())
  note String?
}
`,
    usage: `import { Token } from './models.js'
export const token = new Token({})
export const id: string = token.id
export const created: Date = token.createdAt
`,
  },
  'updated-at': {
    schema: `${SQLITE}
model Doc {
  id        Int      @id @default(autoincrement())
  title     String
  updatedAt DateTime @updatedAt
}
`,
    usage: `import { Doc } from './models.js'
export const updated: Date = new Doc({ title: 'a' }).updatedAt
`,
  },
  ignore: {
    schema: `${SQLITE}
model Customer {
  id     Int     @id @default(autoincrement())
  name   String
  legacy String? @ignore
  audits Audit[] @ignore
}

/// Kept in the database; invisible to Prisma Client and to the session.
model Audit {
  id         Int      @id @default(autoincrement())
  customerId Int
  customer   Customer @relation(fields: [customerId], references: [id])

  @@ignore
}
`,
    usage: `import { Customer, type CustomerColumns } from './models.js'
export const customer = new Customer({ name: 'ann' })
// @ts-expect-error an @ignore field is not generated
export const legacy: CustomerColumns['legacy'] = null
`,
  },
} satisfies Record<string, Feature>

type FeatureName = keyof typeof FEATURES | 'multi-file'

/** The multi-file schema folder: the datasource, a model and an enum in three files, relations across them. */
const MULTI_FILE: Readonly<Record<string, string>> = {
  'schema.prisma': `${SQLITE}
model User {
  id    Int    @id @default(autoincrement())
  name  String
  /// @lazy(dynamic)
  posts Post[]
}
`,
  'enums.prisma': 'enum Visibility {\n  PUBLIC\n  PRIVATE\n}\n',
  'models/post.prisma': `model Post {
  id         Int        @id @default(autoincrement())
  title      String
  visibility Visibility @default(PUBLIC)
  authorId   Int
  /// @lazy(select)
  author     User       @relation(fields: [authorId], references: [id])
}
`,
}

// Integration tests load generated code at run time, so its classes are typed loosely here; their real types are
// what the compile checks above pin.
type Entity = Model<Record<string, any>, Record<string, unknown>, any> & Record<string, any>
type EntityClass = new (init?: Record<string, unknown>) => Entity

let root: string
const results = new Map<FeatureName, GenerationResult>()
let errors: string[] = []
const engines: Engine[] = []

/** Writes `files` into a new folder under `root` and returns the folder. */
function writeFolder(name: string, files: Readonly<Record<string, string>>): string {
  const dir = path.join(root, name)
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    writeFileSync(path.join(dir, file), content)
  }
  return dir
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'prismalchemy-features-'))
  const roots: string[] = []
  for (const [name, feature] of Object.entries(FEATURES) as [keyof typeof FEATURES, Feature][]) {
    const result = await generateFromFiles([{ path: `schema/${name}.prisma`, content: feature.schema }], 'schema')
    results.set(name, result)
    roots.push(...writeGenerated(path.join(root, name), result, { 'usage.ts': feature.usage }))
  }
  const multi = await generateInMemory({ schema: writeFolder('multi-file-schema', MULTI_FILE), out: 'unused' })
  results.set('multi-file', multi)
  roots.push(...writeGenerated(path.join(root, 'multi-file'), multi))
  errors = typeCheck(roots).errors
}, 120_000)

afterAll(async () => {
  for (const engine of engines) await engine.dispose()
  rmSync(root, { recursive: true, force: true })
})

/** The type errors of one feature's output and usage module (none expected). */
function compileErrors(name: FeatureName): string[] {
  return errors.filter((error) => error.startsWith(path.join(root, name) + path.sep) || !error.startsWith(root))
}

function modelNames(name: FeatureName): string[] {
  return results.get(name)!.description.models.map((model) => model.name)
}

/** Imports a feature's generated models, pushes its tables into a fresh SQLite file and opens an engine on it. */
async function openDatabase(name: FeatureName): Promise<{ classes: Record<string, EntityClass>; session: () => Session; filename: string; engine: Engine }> {
  const dir = path.join(root, name)
  const models = (await import(pathToFileURL(path.join(dir, 'models.ts')).href)) as { registry: ModelRegistry }
  const filename = path.join(dir, `test-${engines.length}.db`)
  await pushSchema({ url: `file:${filename}`, sources: models.registry.schema.sources })
  const engine = createEngine(`file:${filename}`)
  engines.push(engine)
  return { classes: models.registry.classes as Record<string, EntityClass>, session: () => new Session({ bind: engine }), filename, engine }
}

async function schemaErrorOf(files: readonly SchemaFile[] | string): Promise<SchemaError> {
  const input = typeof files === 'string' ? [{ path: FILE, content: files }] : files
  const error: unknown = await generateFromFiles(input, 'schema').then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(SchemaError)
  return error as SchemaError
}

function located(error: SchemaError): Omit<Diagnostic, 'message' | 'severity'>[] {
  return error.diagnostics.map(({ file, line, column }) => ({ file, line, column }))
}

describe('composite @@id and @@unique (supported)', () => {
  it('generates a class keyed by an object of every key field, and compiles under strict', () => {
    expect(results.get('composite-keys')!.description.models.find((model) => model.name === 'Member')?.primaryKey).toEqual(['tenantId', 'login'])
    expect(compileErrors('composite-keys')).toEqual([])
  })

  it('gets a row by its composite key (identity map first), and a composite unique violation is a UniqueViolationError', async () => {
    const { classes, session } = await openDatabase('composite-keys')
    const { Tenant, Member } = classes
    const s = session()
    const acme = new Tenant({ slug: 'acme', region: 'eu' })
    const ann = new Member({ login: 'ann', name: 'Ann', tenant: acme })
    s.addAll([ann, acme, new Member({ login: 'bob', name: 'Bob', tenant: acme })])
    await s.commit()
    expect(await s.get(Member, { tenantId: acme.id, login: 'ann' })).toBe(ann)
    const other = session()
    const bob = await other.get(Member, { tenantId: acme.id, login: 'bob' })
    expect(bob?.name).toBe('Bob')
    expect(await other.get(Member, { tenantId: acme.id, login: 'nobody' })).toBeNull()
    other.add(new Tenant({ slug: 'acme', region: 'eu' }))
    await expect(other.flush()).rejects.toBeInstanceOf(UniqueViolationError)
    await Promise.all([s.close(), other.close()])
  })
})

describe('enums (supported)', () => {
  it('generates a const object and a union type, and compiles under strict (SQLite and PostgreSQL)', () => {
    expect(results.get('enums')!.description.enums).toEqual([{ name: 'Status', values: ['ACTIVE', 'SUSPENDED'], documentation: 'Whether an account may sign in.' }])
    expect(compileErrors('enums')).toEqual([])
    expect(compileErrors('enums-postgresql')).toEqual([])
  })

  it('stores the enum default and values as their names, and filters by them', async () => {
    const { classes, session, filename } = await openDatabase('enums')
    const s = session()
    s.addAll([new classes.Account({}), new classes.Account({ status: 'SUSPENDED', previous: 'ACTIVE' })])
    await s.commit()
    expect(readRows(filename, 'SELECT status, previous FROM Account ORDER BY id')).toEqual([
      { status: 'ACTIVE', previous: null },
      { status: 'SUSPENDED', previous: 'ACTIVE' },
    ])
    expect(await s.query(classes.Account).where({ status: 'SUSPENDED' }).count()).toBe(1)
    await s.close()
  })
})

describe('scalar lists (refused)', () => {
  it('are Prisma validation errors on SQLite (schema_invalid), at the field', async () => {
    const error = await schemaErrorOf(`${SQLITE}\nmodel Post {\n  id   Int      @id\n  tags String[]\n}\n`)
    expect(error.code).toBe('schema_invalid')
    expect(located(error)).toEqual([{ file: FILE, line: 7, column: 3 }])
    expect(error.diagnostics[0].message).toMatch(/Field "tags" in model "Post" can't be a list/)
  })

  it('are generated on PostgreSQL as arrays of the element type, with their defaults, native type and stored enum names', () => {
    const { description, files } = results.get('scalar-lists')!
    const fields = description.models[0].fields
    expect(fields.find((field) => field.name === 'tags')).toMatchObject({ type: 'String', list: true, nullable: false, default: { kind: 'value', value: [] } })
    expect(fields.find((field) => field.name === 'roles')).toMatchObject({
      type: 'Enum',
      list: true,
      default: { kind: 'value', value: ['ADMIN'] },
      enumValues: { ADMIN: 'admin', USER: 'user' },
    })
    expect(fields.find((field) => field.name === 'days')).toMatchObject({ type: 'DateTime', list: true, nativeType: 'Date' })
    expect(fields.find((field) => field.name === 'money')).toMatchObject({ type: 'Decimal', list: false, nativeType: 'Money' })
    const models = files.find((file) => file.name === 'models.ts')!.content
    expect(models).toContain('tags: string[]')
    expect(models).toContain('roles: Role[]')
    expect(models).toMatch(/enumValues: \{\s*ADMIN: 'admin',\s*USER: 'user',\s*\}/)
  })
})

describe('self-relations (supported)', () => {
  it('generates both sides of a one-to-many and a one-to-one self-relation, and compiles under strict', () => {
    const relations = results.get('self-relations')!.description.models[0].relations
    expect(relations.map((r) => [r.name, r.direction, r.ownsForeignKey])).toEqual([
      ['manager', 'many-to-one', true],
      ['mentee', 'one-to-one', false],
      ['mentor', 'one-to-one', true],
      ['reports', 'one-to-many', false],
    ])
    expect(compileErrors('self-relations')).toEqual([])
  })

  it('inserts a management chain added in reverse in one flush, managers first, and loads it back', async () => {
    const { classes, session, filename, engine } = await openDatabase('self-relations')
    const { Employee } = classes
    const s = session()
    const ceo = new Employee({ name: 'ceo' })
    const vp = new Employee({ name: 'vp', manager: ceo })
    const dev = new Employee({ name: 'dev', manager: vp, mentor: ceo })
    s.addAll([dev, vp, ceo])
    const statements = await capturedSql(engine, () => s.commit())
    expect(statements.filter((sql) => sql.startsWith('INSERT'))).toHaveLength(3)
    expect(readRows(filename, 'SELECT name, managerId, mentorId FROM Employee ORDER BY id')).toEqual([
      { name: 'ceo', managerId: null, mentorId: null },
      { name: 'vp', managerId: ceo.id, mentorId: null },
      { name: 'dev', managerId: vp.id, mentorId: ceo.id },
    ])
    const other = session()
    const boss = (await other.get(Employee, ceo.id))!
    expect(await boss.reports.count()).toBe(1)
    expect((await boss.mentee)?.name).toBe('dev')
    await Promise.all([s.close(), other.close()])
  })
})

describe('one-to-one (supported)', () => {
  it('generates an awaitable, read-only side without the foreign key, and compiles under strict', () => {
    const user = results.get('one-to-one')!.description.models.find((model) => model.name === 'User')!
    expect(user.relations).toMatchObject([{ name: 'profile', direction: 'one-to-one', uselist: false, ownsForeignKey: false }])
    expect(compileErrors('one-to-one')).toEqual([])
  })

  it('inserts both sides in one flush, loads each from the other, and a second profile violates the unique key', async () => {
    const { classes, session } = await openDatabase('one-to-one')
    const { User, Profile } = classes
    const s = session()
    const ann = new User({ email: 'ann@example.com' })
    s.add(new Profile({ bio: 'hello', user: ann }))
    await s.commit()
    const other = session()
    const user = (await other.get(User, ann.id))!
    const profile = await user.profile
    expect(profile?.bio).toBe('hello')
    expect(await profile.user).toBe(user)
    other.add(new Profile({ bio: 'again', user }))
    await expect(other.flush()).rejects.toBeInstanceOf(UniqueViolationError)
    await Promise.all([s.close(), other.close()])
  })
})

describe('many-to-many', () => {
  it('explicit, through a join model (supported): generates and compiles under strict', () => {
    expect(modelNames('explicit-many-to-many')).toEqual(['Post', 'PostTag', 'Tag'])
    expect(compileErrors('explicit-many-to-many')).toEqual([])
  })

  it('explicit: writes a post, its tags and the join rows in one flush, and walks post -> join -> tag', async () => {
    const { classes, session, filename } = await openDatabase('explicit-many-to-many')
    const { Post, Tag, PostTag } = classes
    const s = session()
    const post = new Post({ title: 'hello' })
    const [orm, sql] = [new Tag({ name: 'orm' }), new Tag({ name: 'sql' })]
    s.addAll([new PostTag({ post, tag: orm }), new PostTag({ post, tag: sql })])
    await s.commit()
    // Which tag is inserted first follows the save-update cascade's walk; the rows are what matters.
    expect(readRows(filename, 'SELECT postId, tagId FROM PostTag ORDER BY tagId')).toEqual(
      [orm.id, sql.id].sort((a, b) => a - b).map((tagId) => ({ postId: post.id, tagId })),
    )
    const other = session()
    const loaded = (await other.get(Post, post.id))!
    const links = await loaded.tags.orderBy({ tagId: 'asc' }).all()
    expect((await Promise.all(links.map(async (link: Entity) => (await link.tag).name))).sort()).toEqual(['orm', 'sql'])
    expect(await other.get(PostTag, { postId: post.id, tagId: sql.id })).toBe(links.find((link: Entity) => link.tagId === sql.id))
    expect((await (await other.get(Tag, orm.id))!.posts).map((link: Entity) => link.postId)).toEqual([post.id])
    await Promise.all([s.close(), other.close()])
  })
})

describe('defaults (supported: autoincrement, now, uuid, uuid(7), cuid, cuid(2), dbgenerated, constants; nanoid and ulid in id-generator-defaults.test.ts)', () => {
  it('generates each as a column default, and compiles under strict', () => {
    const token = results.get('defaults')!.description.models.find((model) => model.name === 'Token')!
    expect(Object.fromEntries(token.fields.map((field) => [field.name, field.default]))).toEqual({
      id: { kind: 'cuid', version: 1 },
      cuid2: { kind: 'cuid', version: 2 },
      uuid4: { kind: 'uuid', version: 4 },
      uuid7: { kind: 'uuid', version: 7 },
      createdAt: { kind: 'now' },
      code: { kind: 'dbgenerated' },
      uses: { kind: 'value', value: 3 },
      label: { kind: 'value', value: 'new' },
    })
    expect(compileErrors('defaults')).toEqual([])
  })

  it('fills client-side defaults at flush as Prisma Client does, and reads back database-generated ones', async () => {
    const { classes, session, filename } = await openDatabase('defaults')
    const s = session()
    const tokens = [new classes.Token({}), new classes.Token({})]
    const counters = [new classes.Counter({}), new classes.Counter({})]
    s.addAll([...tokens, ...counters])
    await s.flush()
    for (const token of tokens) {
      expect(token.id).toMatch(/^c[0-9a-z]{24}$/) // cuid v1 (@bugsnag/cuid, as Prisma Client)
      expect(token.cuid2).toMatch(/^[a-z][0-9a-z]{23}$/) // cuid2 (@paralleldrive/cuid2, as Prisma Client)
      expect(token.uuid4).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(token.uuid7).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(token.code).toMatch(/^[0-9a-f]{8}$/)
      expect(token.createdAt).toBeInstanceOf(Date)
      expect([token.uses, token.label]).toEqual([3, 'new'])
    }
    expect(new Set(tokens.flatMap((token) => [token.id, token.cuid2, token.uuid4, token.uuid7])).size).toBe(8)
    expect(counters.map((counter) => counter.id)).toEqual([1, 2])
    await s.commit()
    expect(readRows(filename, 'SELECT id, cuid2, code FROM Token ORDER BY id')).toEqual(
      tokens.map((token) => ({ id: token.id, cuid2: token.cuid2, code: token.code })).sort((a, b) => (a.id < b.id ? -1 : 1)),
    )
    await s.close()
  })
})

describe('@updatedAt (supported)', () => {
  it('generates a Date column, and compiles under strict', () => {
    expect(results.get('updated-at')!.description.models[0].fields.find((field) => field.name === 'updatedAt')).toMatchObject({ type: 'DateTime', updatedAt: true })
    expect(compileErrors('updated-at')).toEqual([])
  })

  it('is set on insert and moved forward by every UPDATE', async () => {
    const { classes, session } = await openDatabase('updated-at')
    const s = session()
    const doc = new classes.Doc({ title: 'draft' })
    s.add(doc)
    await s.commit()
    const inserted = (doc.updatedAt as Date).getTime()
    await new Promise((resolve) => setTimeout(resolve, 5))
    doc.title = 'final'
    await s.commit()
    expect((doc.updatedAt as Date).getTime()).toBeGreaterThan(inserted)
    await s.close()
  })
})

describe('@ignore and @@ignore (supported: left out, as Prisma Client leaves them out)', () => {
  it('generates neither the ignored field nor a class for the ignored model, and compiles under strict', () => {
    const { description, files } = results.get('ignore')!
    expect(description.models.map((model) => [model.name, model.fields.map((field) => field.name), model.relations.length])).toEqual([['Customer', ['id', 'name'], 0]])
    // The schema text is embedded for createAll(), so look for declarations, not names.
    const models = files.find((file) => file.name === 'models.ts')!.content
    expect(models).not.toMatch(/(class|interface) Audit|\blegacy\??:|name: 'Audit'/)
    expect(compileErrors('ignore')).toEqual([])
  })

  it('still creates the ignored column and table, and inserts rows without them', async () => {
    const { classes, session, filename } = await openDatabase('ignore')
    const s = session()
    s.add(new classes.Customer({ name: 'ann' }))
    await s.commit()
    expect(readRows(filename, "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('Audit', 'Customer') ORDER BY name")).toHaveLength(2)
    expect(readRows(filename, 'SELECT name, legacy FROM Customer')).toEqual([{ name: 'ann', legacy: null }])
    await s.close()
  })

  it('refuses a relation whose opposite side is @ignore, at the remaining side', async () => {
    const content = `${SQLITE}\nmodel Shop {\n  id    Int    @id\n  items Item[]\n}\n\nmodel Item {\n  id     Int   @id\n  shopId Int?\n  shop   Shop? @relation(fields: [shopId], references: [id]) @ignore\n}\n`
    const error = await schemaErrorOf(content)
    expect(error.code).toBe('schema_unsupported')
    expect(located(error)).toEqual([{ file: FILE, line: 7, column: 3 }])
    expect(error.diagnostics[0].message).toBe(
      'Relation "Shop.items" has no opposite field on "Item" (it is marked @ignore). Mark "Shop.items" with @ignore too, or stop ignoring the opposite side.',
    )
  })
})

describe('views without a unique (refused; views with one: test/integration/views.test.ts)', () => {
  it('refuses a view block (preview feature "views") with no unique at its declaration', async () => {
    const content = `generator client {\n  provider        = "prisma-client-js"\n  previewFeatures = ["views"]\n}\n\n${SQLITE}\nmodel User {\n  id   Int    @id\n  name String\n}\n\nview UserName {\n  id   Int\n  name String\n}\n`
    const error = await schemaErrorOf(content)
    expect(error.code).toBe('schema_unsupported')
    expect(located(error)).toEqual([{ file: FILE, line: 15, column: 1 }])
    expect(error.diagnostics[0].message).toMatch(/^View "UserName" has no unique whose fields are all required, so the session cannot identify its rows\./)
  })
})

describe('database schemas (@@schema, refused)', () => {
  it('refuses a model in a named PostgreSQL schema instead of dropping the schema name', async () => {
    const content = 'datasource db {\n  provider = "postgresql"\n  schemas  = ["auth", "public"]\n}\n\nmodel User {\n  id Int @id\n\n  @@schema("auth")\n}\n'
    const error = await schemaErrorOf(content)
    expect(error.code).toBe('schema_unsupported')
    expect(located(error)).toEqual([{ file: FILE, line: 6, column: 1 }])
    expect(error.diagnostics[0].message).toMatch(/^Model "User" is in database schema "auth" \(@@schema\); .* Remove @@schema/)
  })
})

describe('multi-file schema folders (supported)', () => {
  it('generates from every .prisma file of the folder, relations and enums across files, and compiles under strict', () => {
    const { description } = results.get('multi-file')!
    expect(description.sources.map((source) => source.path)).toEqual(['enums.prisma', 'models/post.prisma', 'schema.prisma'])
    expect(modelNames('multi-file')).toEqual(['Post', 'User'])
    expect(description.enums.map((enumeration) => enumeration.name)).toEqual(['Visibility'])
    expect(compileErrors('multi-file')).toEqual([])
  })

  it('creates the tables from the embedded files and writes across the files in one flush', async () => {
    const { classes, session } = await openDatabase('multi-file')
    const s = session()
    const ann = new classes.User({ name: 'ann' })
    s.add(new classes.Post({ title: 'hello', author: ann }))
    await s.commit()
    const other = session()
    const post = (await other.query(classes.Post).one()) as Entity
    expect([post.visibility, (await post.author).name]).toEqual(['PUBLIC', 'ann'])
    expect(await (await other.get(classes.User, ann.id))!.posts.count()).toBe(1)
    await Promise.all([s.close(), other.close()])
  })

  it('names the right file of the folder in each refusal', async () => {
    const files = writeFolder('multi-file-refused', {
      'schema.prisma': `${SQLITE}\nmodel User {\n  id          Int     @id\n  constructor String\n}\n`,
      'models/group.prisma': '// Groups.\nmodel Group {\n  id          Int    @id\n  constructor String\n}\n',
    })
    const error = await generateInMemory({ schema: files, out: 'unused' }).then(
      () => undefined,
      (caught: unknown) => caught as SchemaError,
    )
    expect(error?.code).toBe('schema_unsupported')
    expect(located(error!)).toEqual([
      { file: `${files}/models/group.prisma`, line: 4, column: 3 },
      { file: `${files}/schema.prisma`, line: 7, column: 3 },
    ])
  })
})
