/** After `tsc -p tsconfig.build.json`: drops dist files whose source is gone, marks the CLI executable, and writes the CommonJS-flavoured type declarations (.d.cts). */
import { chmodSync, existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const DIST = path.join(ROOT, 'dist')

/** The suffixes tsc (and this script) give a compiled `x.ts`: longest first, so `.d.ts.map` wins over `.map`. */
const OUTPUT_SUFFIXES = ['.d.cts.map', '.d.ts.map', '.js.map', '.d.cts', '.d.ts', '.js']

/** Every file under `dir`, as absolute paths. */
function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
}

/** Removes outputs whose `.ts` source no longer exists (tsc never deletes them), then directories left empty. */
function pruneOrphans() {
  for (const file of filesUnder(DIST)) {
    const relative = path.relative(DIST, file)
    const suffix = OUTPUT_SUFFIXES.find((candidate) => relative.endsWith(candidate))
    const source = suffix === undefined ? undefined : path.join(ROOT, relative.slice(0, -suffix.length) + '.ts')
    if (source === undefined || !existsSync(source)) rmSync(file)
  }
  const directories = readdirSync(DIST, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort((a, b) => b.length - a.length)
  for (const directory of directories) if (readdirSync(directory).length === 0) rmdirSync(directory)
}

/** `./x.js` specifiers in `from '...'` and `import('...')` rewritten to `./x.cjs`, so they resolve to the .d.cts siblings. */
function toCommonJsSpecifiers(declarations) {
  return declarations.replace(/(\bfrom\s+|\bimport\(\s*)(['"])(\.{1,2}\/[^'"]*?)\.js\2/g, '$1$2$3.cjs$2')
}

/**
 * Writes `x.d.cts` (and its map) next to every `x.d.ts`: the same declarations, read by TypeScript as a
 * CommonJS module, which `require` resolves to under `module: node16`. Node >= 20.19 `require()`s the
 * ES module itself, and its namespace has exactly these named exports (the runtime has no default export).
 */
function writeCommonJsDeclarations() {
  for (const file of filesUnder(DIST).filter((name) => name.endsWith('.d.ts'))) {
    const target = file.replace(/\.d\.ts$/, '.d.cts')
    const base = path.basename(file)
    const declarations = readFileSync(file, 'utf8').replace(`//# sourceMappingURL=${base}.map`, `//# sourceMappingURL=${path.basename(target)}.map`)
    writeFileSync(target, toCommonJsSpecifiers(declarations))
    if (existsSync(`${file}.map`)) {
      const map = JSON.parse(readFileSync(`${file}.map`, 'utf8'))
      writeFileSync(`${target}.map`, JSON.stringify({ ...map, file: path.basename(target) }))
    }
  }
}

pruneOrphans()
chmodSync(path.join(DIST, 'generator', 'bin.js'), 0o755)
writeCommonJsDeclarations()
