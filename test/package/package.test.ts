// The packed package as an application receives it: its files, its package.json, a production install without the optional peers, and TypeScript consumers of every module setting.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OPTIONAL_PACKAGES } from '../../runtime/engine/optional-package.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const REPO_MODULES = path.join(REPO_ROOT, 'node_modules')

/** The generator's packages: the application's devDependencies, which package.json must not declare. */
const GENERATOR_PACKAGES = ['@prisma/generator-helper', '@prisma/internals', 'diff', 'ts-morph', 'yargs']
/** Packages the runtime imports on first use of a feature. */
const OPTIONAL_RUNTIME_PACKAGES = Object.keys(OPTIONAL_PACKAGES)
/** The ones for createAll()/dropAll() only: development packages, which package.json must not declare either. */
const SCHEMA_ENGINE_PACKAGES = ['@prisma/schema-engine-wasm', '@prisma/prisma-schema-wasm', '@prisma/adapter-better-sqlite3']
/** Optional peer dependencies: the database drivers and the web frameworks of the middleware entries. */
const OPTIONAL_PEERS = [...OPTIONAL_RUNTIME_PACKAGES.filter((name) => !SCHEMA_ENGINE_PACKAGES.includes(name)), 'express', 'fastify', 'hono', 'koa']

/** Whether `version` (x.y.z, maybe with a pre-release) is inside `range` (`^x.y.z`, or one exact version). */
function satisfies(version: string, range: string): boolean {
  if (!range.startsWith('^')) return version === range
  const [major, ...rest] = range.slice(1).split('.').map(Number)
  const [actualMajor, ...actualRest] = version.split('-')[0]?.split('.').map(Number) ?? []
  if (actualMajor !== major) return false
  const [minor = 0, patch = 0] = rest
  const [actualMinor = 0, actualPatch = 0] = actualRest
  return major === 0 ? actualMinor === minor && actualPatch >= patch : actualMinor > minor || (actualMinor === minor && actualPatch >= patch)
}
/** The subpaths an application (or its generated code, `./internal`) imports, and the file each one's types and code live in (under dist/). */
const ENTRIES: Readonly<Record<string, string>> = {
  '.': 'runtime/index',
  './internal': 'runtime/internal',
  './generator': 'generator/index',
  './express': 'runtime/middleware/express',
  './fastify': 'runtime/middleware/fastify',
  './koa': 'runtime/middleware/koa',
  './hono': 'runtime/middleware/hono',
}

interface PackedManifest {
  readonly bin: Readonly<Record<string, string>>
  readonly main: string
  readonly types: string
  readonly exports: Readonly<Record<string, { types: { import: string; require: string }; default: string } | string>>
  readonly typesVersions: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>
  readonly scripts: Readonly<Record<string, string>>
  readonly dependencies: Readonly<Record<string, string>>
  readonly peerDependencies: Readonly<Record<string, string>>
  readonly peerDependenciesMeta: Readonly<Record<string, { optional?: boolean }>>
}

let scratch: string
/** An application folder whose node_modules holds the unpacked tarball and, linked, only the package's `dependencies`. */
let app: string
/** The unpacked package inside `app`. */
let unpacked: string
/** Paths in the tarball, relative to the package root. */
let files: string[]
let manifest: PackedManifest

/** Links `name` from the repository's node_modules into the application's, as an install would place it. */
function linkIntoApp(name: string): void {
  const target = path.join(app, 'node_modules', name)
  mkdirSync(path.dirname(target), { recursive: true })
  if (!existsSync(target)) symlinkSync(path.join(REPO_MODULES, name), target)
}

/** Runs `node ...args` in the application folder; returns exit code, stdout and stderr. */
function nodeInApp(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, args, { cwd: app, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

/** Writes `source` to `file` in the application folder and runs it. */
function runInApp(file: string, source: string): { code: number | null; stdout: string; stderr: string } {
  writeFileSync(path.join(app, file), source)
  return nodeInApp(file)
}

beforeAll(() => {
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'runtime', 'index.d.cts'))) execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' })
  scratch = mkdtempSync(path.join(tmpdir(), 'prismalchemy-package-'))
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
  ) as { filename: string; files: { path: string }[] }[]
  files = packed.files.map((file) => file.path).sort()
  app = path.join(scratch, 'app')
  unpacked = path.join(app, 'node_modules', 'prismalchemy')
  mkdirSync(unpacked, { recursive: true })
  execFileSync('tar', ['xzf', path.join(scratch, packed.filename), '-C', unpacked, '--strip-components=1'])
  manifest = JSON.parse(readFileSync(path.join(unpacked, 'package.json'), 'utf8')) as PackedManifest
  writeFileSync(path.join(app, 'package.json'), '{ "name": "app", "private": true, "type": "module" }\n')
  for (const name of Object.keys(manifest.dependencies)) linkIntoApp(name)
  for (const name of ['@types/node', '@types/express']) linkIntoApp(name)
}, 60_000)

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
})

describe('the tarball', () => {
  it('holds the build, its sources, the license and the readme, and nothing else', () => {
    const outside = files.filter((file) => !/^(dist|runtime|generator)\//.test(file) && !['LICENSE', 'README.md', 'package.json'].includes(file))
    expect(outside).toEqual([])
    expect(files.filter((file) => /(^|\/)(test|tests|__tests__)\/|\.(test|spec)\.|\.test-d\./.test(file))).toEqual([])
    expect(readFileSync(path.join(unpacked, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} prismalchemy contributors\n/)
  })

  it('ships no build output without its source (no stale files), and every module with its map, declarations and CommonJS declarations', () => {
    const shipped = new Set(files)
    const stem = (file: string) => file.replace(/^dist\//, '').replace(/(\.d\.cts\.map|\.d\.ts\.map|\.js\.map|\.d\.cts|\.d\.ts|\.js)$/, '')
    const built = files.filter((file) => file.startsWith('dist/'))
    expect(built.filter((file) => !shipped.has(`${stem(file)}.ts`))).toEqual([])
    const sources = files.filter((file) => /^(runtime|generator)\/.*\.ts$/.test(file))
    const incomplete = sources.filter((source) => {
      const base = `dist/${source.slice(0, -'.ts'.length)}`
      return !['.js', '.js.map', '.d.ts', '.d.ts.map', '.d.cts', '.d.cts.map'].every((suffix) => shipped.has(base + suffix))
    })
    expect(incomplete).toEqual([])
  })

  it('has source maps whose sources are shipped files, so stack traces and go-to-definition land in the package', () => {
    const shipped = new Set(files)
    const unresolved = files
      .filter((file) => file.endsWith('.map'))
      .flatMap((map) => {
        const { sources } = JSON.parse(readFileSync(path.join(unpacked, map), 'utf8')) as { sources: string[] }
        return sources.map((source) => path.posix.join(path.posix.dirname(map), source)).filter((source) => !shipped.has(source))
      })
    expect(unresolved).toEqual([])
  })

  it('loads only its dependencies and Node built-ins statically from each entry; drivers and the schema engine through import() alone', () => {
    const builtins = new Set(builtinModules)
    const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/')
    const code = (file: string) => readFileSync(path.join(unpacked, file), 'utf8')
    const staticImports = (file: string) => [...code(file).matchAll(/^(?:import|export)\s(?:[^;'"]*?\sfrom\s)?\s*['"]([^'"]+)['"]/gm)].map((match) => match[1] ?? '')
    const problems: string[] = []
    for (const [subpath, base] of Object.entries(ENTRIES)) {
      const allowed = new Set([...Object.keys(manifest.dependencies), ...(subpath === './generator' ? GENERATOR_PACKAGES : [])])
      const seen = new Set<string>()
      const visit = (file: string): void => {
        if (seen.has(file)) return
        seen.add(file)
        for (const specifier of staticImports(file)) {
          if (specifier.startsWith('.')) visit(path.posix.join(path.posix.dirname(file), specifier))
          else if (!specifier.startsWith('node:') && !builtins.has(specifier) && !allowed.has(packageOf(specifier))) problems.push(`${subpath} loads ${specifier} (${file})`)
        }
      }
      visit(`dist/${base}.js`)
    }
    for (const file of files.filter((name) => name.startsWith('dist/runtime/') && name.endsWith('.js'))) {
      for (const [, specifier = ''] of code(file).matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
        if (!specifier.startsWith('.') && !OPTIONAL_RUNTIME_PACKAGES.includes(packageOf(specifier))) problems.push(`${file} imports ${specifier}`)
      }
    }
    expect(problems).toEqual([])
  })
})

describe('package.json', () => {
  it('names the CLI after the package, with gen-models as its alias, both a shipped executable script', () => {
    expect(manifest.bin).toEqual({ prismalchemy: 'dist/generator/bin.js', 'gen-models': 'dist/generator/bin.js' })
    expect(readFileSync(path.join(unpacked, 'dist/generator/bin.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/)
  })

  it('exports every entry with ESM and CommonJS types, and the same entries to TypeScript resolutions that ignore exports', () => {
    for (const [subpath, base] of Object.entries(ENTRIES)) {
      expect(manifest.exports[subpath]).toEqual({ types: { import: `./dist/${base}.d.ts`, require: `./dist/${base}.d.cts` }, default: `./dist/${base}.js` })
      if (subpath !== '.') expect(manifest.typesVersions['*']?.[subpath.slice(2)]).toEqual([`./dist/${base}.d.ts`])
    }
    expect([manifest.main, manifest.types]).toEqual(['./dist/runtime/index.js', './dist/runtime/index.d.ts'])
    const targets = [manifest.main, manifest.types, ...Object.values(manifest.typesVersions['*'] ?? {}).flat()]
    for (const entry of Object.values(manifest.exports)) targets.push(...(typeof entry === 'string' ? [entry] : [entry.types.import, entry.types.require, entry.default]))
    expect(targets.filter((target) => !files.includes(path.posix.normalize(target)))).toEqual([])
  })

  it('runs nothing when an application installs it: no install scripts, no native build (prepare runs for git checkouts only)', () => {
    expect(Object.keys(manifest.scripts).filter((name) => ['preinstall', 'install', 'postinstall'].includes(name))).toEqual([])
    expect(files.filter((file) => file.endsWith('binding.gyp'))).toEqual([])
  })

  it('depends on the runtime only; drivers and frameworks are optional peers; the generator and the schema engine are not declared', () => {
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual([...OPTIONAL_PEERS].sort())
    expect(OPTIONAL_PEERS.filter((name) => manifest.peerDependenciesMeta[name]?.optional !== true)).toEqual([])
    // Not even optional peers: npm flags a declared peer that the application installs with -D as devOptional and keeps it in `npm install --omit=dev`.
    const declared = { ...manifest.dependencies, ...manifest.peerDependencies }
    expect([...GENERATOR_PACKAGES, ...SCHEMA_ENGINE_PACKAGES].filter((name) => name in declared)).toEqual([])
    expect(Object.keys(manifest.dependencies).filter((name) => OPTIONAL_PEERS.includes(name))).toEqual([])
    for (const name of OPTIONAL_PEERS) if (name in OPTIONAL_PACKAGES) expect(manifest.peerDependencies[name], name).toBe(OPTIONAL_PACKAGES[name as keyof typeof OPTIONAL_PACKAGES])
    // Ranges, not pins, so that an application's own copies (its Prisma packages of a later patch release) are shared.
    for (const [name, range] of Object.entries(declared)) expect(range, name).toMatch(/^\^|\|\|/)
  })

  it('names, for every optional package, a range that the version this repository tests with is in', () => {
    const tested = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies
    const outside = Object.entries(OPTIONAL_PACKAGES).filter(([name, range]) => !satisfies(tested[name] ?? 'missing', range))
    expect(outside).toEqual([])
  })
})

describe('a production install without the optional peers', () => {
  it('loads every runtime entry from ESM and from CommonJS (require of ESM, Node >= 20.19)', () => {
    const entries = Object.keys(ENTRIES).filter((subpath) => subpath !== './generator').map((subpath) => path.posix.join('prismalchemy', subpath))
    const esm = runInApp('load.mjs', `for (const entry of ${JSON.stringify(entries)}) console.log(entry, Object.keys(await import(entry)).length)`)
    expect(esm.stderr).toBe('')
    const cjs = runInApp('load.cjs', `for (const entry of ${JSON.stringify(entries)}) console.log(entry, Object.keys(require(entry)).length)`)
    expect(cjs.stderr).toBe('')
    expect(cjs.stdout).toBe(esm.stdout)
    expect(esm.stdout).toMatch(/^prismalchemy [1-9]\d*\n/)
  })

  it('fails at first use of a database whose driver is missing with ConfigurationError missing_package and the install command', () => {
    const script = `
      import { createEngine, Session, sql } from 'prismalchemy'
      for (const url of ['file:./app.db', 'postgresql://app@127.0.0.1:9/app']) {
        const engine = createEngine(url)
        try { await new Session({ bind: engine }).execute(sql\`SELECT 1 AS one\`); console.log('connected') }
        catch (error) { console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message })) }
        await engine.dispose()
      }`
    const run = runInApp('drivers.mjs', script)
    const [sqlite, postgres] = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { name: string; code: string; message: string })
    expect(sqlite).toEqual({
      name: 'ConfigurationError',
      code: 'missing_package',
      message: `SQLite databases (file: URLs) need better-sqlite3, which is not installed. Install with: npm install "better-sqlite3@${manifest.peerDependencies['better-sqlite3']}"`,
    })
    expect(postgres?.code).toBe('missing_package')
    expect(postgres?.message).toContain(`npm install "@prisma/adapter-pg@${manifest.peerDependencies['@prisma/adapter-pg']}"`)
    linkIntoApp('better-sqlite3')
    const withDriver = runInApp('sqlite.mjs', script.replace(", 'postgresql://app@127.0.0.1:9/app'", ''))
    expect(withDriver.stdout.trim()).toBe('connected')
  })

  it('has a CLI that names the generator packages to install as devDependencies, in ranges the tested versions are in, and exits 2', () => {
    const run = nodeInApp(path.join(unpacked, manifest.bin.prismalchemy ?? ''), 'generate')
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/^prismalchemy's code generator needs .+, which are not installed/)
    const [npm, install, dev, ...specs] = run.stderr.trim().split('\n').at(-1)?.trim().split(/\s+/) ?? []
    expect([npm, install, dev]).toEqual(['npm', 'install', '-D'])
    const tested = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies
    const ranges = Object.fromEntries(specs.map((spec) => spec.replace(/^"|"$/g, '')).map((spec) => [spec.slice(0, spec.lastIndexOf('@')), spec.slice(spec.lastIndexOf('@') + 1)]))
    expect(Object.keys(ranges).sort()).toEqual(GENERATOR_PACKAGES)
    expect(Object.entries(ranges).filter(([name, range]) => !satisfies(tested[name] ?? 'missing', range))).toEqual([])
  })
})

describe('TypeScript consumers', () => {
  /** Uses both entries, with one deliberate misuse that must fail (so `any` types would not pass). */
  const CONSUMER = `
import { createEngine, Session, type EngineOptions } from 'prismalchemy'
import { expressScope } from 'prismalchemy/express'
const options: EngineOptions = { poolSize: 2 }
export const engine = createEngine('file:./app.db', options)
export const session: Session = new Session({ bind: engine })
export const middleware: typeof expressScope = expressScope
// @ts-expect-error the URL is a string
createEngine(42)
`
  /** Module settings, and whether to check the shipped declarations themselves too (slow: it checks @types/node as well): once for the ESM and once for the CommonJS flavour. */
  const cases: readonly { type: 'module' | 'commonjs'; name: string; module: ts.ModuleKind; moduleResolution: ts.ModuleResolutionKind; libCheck: boolean }[] = [
    { type: 'module', name: 'node16', module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, libCheck: true },
    { type: 'commonjs', name: 'node16', module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, libCheck: true },
    { type: 'module', name: 'nodenext', module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, libCheck: false },
    { type: 'commonjs', name: 'nodenext', module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, libCheck: false },
    { type: 'module', name: 'commonjs + node10', module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, libCheck: false },
    { type: 'commonjs', name: 'commonjs + node10', module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, libCheck: false },
    { type: 'module', name: 'esnext + bundler', module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, libCheck: false },
  ]

  it.each(cases)('a $type package ("type" in package.json) under $name type-checks against the shipped declarations', ({ type, module, moduleResolution, libCheck }) => {
    const dir = path.join(app, `consumer-${type}-${module}-${moduleResolution}`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type }))
    writeFileSync(path.join(dir, 'consumer.ts'), CONSUMER)
    const options: ts.CompilerOptions = { module, moduleResolution, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: !libCheck, types: ['node'] }
    const program = ts.createProgram({ rootNames: [path.join(dir, 'consumer.ts')], options })
    const errors = ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
    expect(errors).toEqual([])
    const declarations = program.getSourceFiles().map((file) => file.fileName).filter((name) => name.startsWith(path.join(unpacked, 'dist')))
    const commonJs = type === 'commonjs' && (module === ts.ModuleKind.Node16 || module === ts.ModuleKind.NodeNext)
    expect(declarations).toContain(path.join(unpacked, 'dist', 'runtime', commonJs ? 'index.d.cts' : 'index.d.ts'))
  }, 60_000)
})
