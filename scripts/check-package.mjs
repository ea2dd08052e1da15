/**
 * `npm run check:package`: the packed package installed from the registry's point of view into a scratch
 * Prisma 7 project (SQLite), following what the CLI and the errors tell to install, then pruned as
 * `npm install --omit=dev` would leave it.
 * Needs the npm registry and takes minutes (better-sqlite3 may compile), so it is not part of `npm test`
 * (test/package/package.test.ts checks the tarball itself quickly). Set PRISMA_VERSION to try another release,
 * KEEP_SCRATCH=1 to keep the scratch project for a look.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const MANIFEST = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
const PRISMA_VERSION = process.env.PRISMA_VERSION ?? MANIFEST.devDependencies.prisma
const GENERATOR_PACKAGES = ['@prisma/internals', '@prisma/generator-helper', 'ts-morph', 'yargs', 'diff']

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model Author {
  id    Int    @id @default(autoincrement())
  name  String @unique
  books Book[]
}

model Book {
  id       Int    @id @default(autoincrement())
  title    String
  authorId Int
  author   Author @relation(fields: [authorId], references: [id])
}
`

const SEED = `import { db } from './generated/db.js'
import { Author, Book } from './generated/models.js'
db.configure({ url: 'file:./app.db' })
try {
  await db.createAll()
  await db.Session.begin(async (session) => {
    const ann = new Author({ name: 'Ann' })
    session.addAll([ann, new Book({ title: 'First', author: ann }), new Book({ title: 'Second', author: ann })])
  })
  console.log('seeded')
} catch (error) {
  console.log(JSON.stringify({ name: (error as Error).name, code: (error as { code?: string }).code, message: (error as Error).message }))
} finally {
  await db.dispose()
}
`

const READ = `import { db } from './generated/db.js'
import { Book } from './generated/models.js'
db.configure({ url: 'file:./app.db' })
const session = db.Session()
const books = await session.query(Book).orderBy({ title: 'asc' }).all()
const rows = []
for (const book of books) rows.push({ title: book.title, author: (await book.author).name })
console.log(JSON.stringify(rows))
await session.close()
await db.dispose()
`

/** Fails the check with `message`. */
function fail(message) {
  throw new Error(`check:package: ${message}`)
}

/** Runs a command in `cwd`; returns its exit code and output without throwing. */
function run(cwd, command, args) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Runs npm in `cwd` and returns its output; throws with the output when it fails. */
function npm(cwd, ...args) {
  const result = run(cwd, 'npm', [...args, '--no-audit', '--no-fund'])
  if (result.code !== 0) fail(`npm ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`)
  return result.stdout + result.stderr
}

/** The arguments of the `npm install ...` command a message ends with, quotes removed. */
function installCommandOf(message) {
  const line = message.trim().split('\n').at(-1) ?? ''
  const command = line.slice(line.indexOf('npm install')).trim()
  if (!command.startsWith('npm install')) fail(`no npm install command in: ${message}`)
  return command.split(/\s+/).slice(1).map((word) => word.replace(/^"|"$/g, ''))
}

/** The message of the missing_package error a script printed as JSON, if it printed one. */
function missingPackageError(stdout) {
  if (!stdout.startsWith('{')) return undefined
  const error = JSON.parse(stdout)
  return error.code === 'missing_package' ? error.message : undefined
}

/** Number of installed packages and megabytes of node_modules. */
function footprint(app) {
  const lock = JSON.parse(readFileSync(path.join(app, 'node_modules', '.package-lock.json'), 'utf8'))
  const packages = Object.keys(lock.packages).filter((key) => key !== '').length
  const megabytes = Number(execFileSync('du', ['-sm', 'node_modules'], { cwd: app, encoding: 'utf8' }).split('\t')[0])
  return { packages, megabytes }
}

/** Every installed copy of `names` (version and folder), from npm's record of node_modules (what `npm ls` reads). */
function copiesOf(app, names) {
  const lock = JSON.parse(readFileSync(path.join(app, 'node_modules', '.package-lock.json'), 'utf8'))
  const copies = Object.fromEntries(names.map((name) => [name, []]))
  for (const [folder, entry] of Object.entries(lock.packages)) {
    const name = folder.slice(folder.lastIndexOf('node_modules/') + 'node_modules/'.length)
    if (name in copies) copies[name].push(`${entry.version} at ${folder}`)
  }
  return copies
}

const scratch = mkdtempSync(path.join(tmpdir(), 'prismalchemy-check-'))
try {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: ROOT, encoding: 'utf8' }))
  const tarball = path.join(scratch, packed.filename)
  const app = path.join(scratch, 'app')
  mkdirSync(path.join(app, 'prisma'), { recursive: true })
  mkdirSync(path.join(app, 'src'))
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }, null, 2))
  writeFileSync(path.join(app, 'prisma', 'schema.prisma'), SCHEMA)
  writeFileSync(path.join(app, 'src', 'seed.ts'), SEED)
  writeFileSync(path.join(app, 'src', 'read.ts'), READ)
  const tsconfig = { compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, skipLibCheck: false, outDir: 'dist', rootDir: 'src', types: ['node'] }, include: ['src'] }
  writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))

  console.log(`Installing the tarball into a Prisma ${PRISMA_VERSION} project in ${app} ...`)
  const installed = npm(app, 'install', tarball, `better-sqlite3@${MANIFEST.peerDependencies['better-sqlite3']}`, `@prisma/client@${PRISMA_VERSION}`, `@prisma/adapter-better-sqlite3@${PRISMA_VERSION}`)
  const scriptsRun = installed.split('\n').filter((line) => /^npm warn install-scripts\s+prismalchemy@/.test(line))
  // npm lists `prepare` for a tarball or git source; from the registry it neither lists nor runs it.
  if (scriptsRun.some((line) => !/\(prepare: /.test(line))) fail(`install scripts of prismalchemy:\n${scriptsRun.join('\n')}`)
  const production = footprint(app)
  npm(app, 'install', '-D', `prisma@${PRISMA_VERSION}`, `typescript@${MANIFEST.devDependencies.typescript}`, `@types/node@${MANIFEST.devDependencies['@types/node']}`)

  const missingGenerator = run(app, 'npx', ['prismalchemy', 'generate', '--schema', 'prisma/schema.prisma', '--out', 'src/generated'])
  if (missingGenerator.code !== 2) fail(`the CLI without the generator packages exited ${missingGenerator.code}:\n${missingGenerator.stderr}`)
  console.log(`The CLI said:\n${missingGenerator.stderr}`)
  npm(app, ...installCommandOf(missingGenerator.stderr))
  const generated = run(app, 'npx', ['prismalchemy', 'generate', '--schema', 'prisma/schema.prisma', '--out', 'src/generated'])
  if (generated.code !== 0) fail(`prismalchemy generate exited ${generated.code}:\n${generated.stdout}${generated.stderr}`)
  const alias = run(app, 'npx', ['gen-models', '--schema', 'prisma/schema.prisma', '--out', 'src/generated', '--check'])
  if (alias.code !== 0) fail(`gen-models --check exited ${alias.code}:\n${alias.stdout}${alias.stderr}`)
  const compiled = run(app, 'npx', ['tsc', '-p', 'tsconfig.json'])
  if (compiled.code !== 0) fail(`tsc failed:\n${compiled.stdout}${compiled.stderr}`)

  // @prisma/internals brings a schema engine of its own, which npm may hoist to where createAll() finds it.
  let seeded = run(app, 'node', ['dist/seed.js'])
  const missingEngine = missingPackageError(seeded.stdout)
  if (missingEngine !== undefined) {
    console.log(`createAll() said: ${missingEngine}`)
    npm(app, ...installCommandOf(missingEngine))
    seeded = run(app, 'node', ['dist/seed.js'])
  }
  if (seeded.stdout.trim() !== 'seeded') fail(`seeding failed:\n${seeded.stdout}${seeded.stderr}`)
  const expected = JSON.stringify([{ title: 'First', author: 'Ann' }, { title: 'Second', author: 'Ann' }])
  const read = run(app, 'node', ['dist/read.js'])
  if (read.stdout.trim() !== expected) fail(`read back ${read.stdout}${read.stderr}`)

  const copies = copiesOf(app, ['@prisma/engines', '@prisma/driver-adapter-utils', '@prisma/schema-engine-wasm', '@prisma/prisma-schema-wasm', 'better-sqlite3'])
  console.log('Installed copies:', JSON.stringify(copies, null, 2))
  for (const name of ['@prisma/engines', 'better-sqlite3']) if (copies[name].length !== 1) fail(`${name} is installed ${copies[name].length} times`)
  const full = footprint(app)

  npm(app, 'prune', '--omit=dev')
  const pruned = footprint(app)
  const leftovers = [...GENERATOR_PACKAGES, '@prisma/schema-engine-wasm'].filter((name) => run(app, 'node', ['-e', `require.resolve(${JSON.stringify(`${name}/package.json`)})`]).code === 0)
  if (leftovers.length > 0) fail(`--omit=dev keeps ${leftovers.join(', ')}`)
  const readPruned = run(app, 'node', ['dist/read.js'])
  if (readPruned.stdout.trim() !== expected) fail(`read back after --omit=dev: ${readPruned.stdout}${readPruned.stderr}`)
  const prunedSeed = run(app, 'node', ['dist/seed.js'])
  const prunedEngine = missingPackageError(prunedSeed.stdout)
  if (prunedEngine === undefined || !prunedEngine.includes('npm install -D "@prisma/schema-engine-wasm@')) fail(`createAll() after --omit=dev: ${prunedSeed.stdout}${prunedSeed.stderr}`)
  console.log(`After --omit=dev, createAll() says: ${prunedEngine}`)
  const prunedCli = run(app, 'node', ['node_modules/prismalchemy/dist/generator/bin.js', 'generate'])
  if (prunedCli.code !== 2 || !prunedCli.stderr.includes('npm install -D')) fail(`the CLI after --omit=dev: ${prunedCli.code} ${prunedCli.stderr}`)

  console.log(`Footprint (packages, MB of node_modules):
  prismalchemy + better-sqlite3 + @prisma/client + adapter:   ${production.packages}, ${production.megabytes} MB
  + prisma, typescript, generator packages, schema engine:   ${full.packages}, ${full.megabytes} MB
  after npm prune --omit=dev:                                ${pruned.packages}, ${pruned.megabytes} MB`)
  console.log('check:package passed')
} finally {
  if (process.env.KEEP_SCRATCH === undefined) rmSync(scratch, { recursive: true, force: true })
  else console.log(`Kept ${scratch}`)
}
