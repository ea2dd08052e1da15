// Architecture check: no module of the runtime or the generator imports itself back through others, type-only imports included (dpdm).
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseCircular, parseDependencyTree } from 'dpdm'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** Every TypeScript source under `folder`, so that a module no entry point reaches is checked too. */
function sources(folder: string): string[] {
  return readdirSync(path.join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => path.join(folder, file))
}

describe('import graph', () => {
  it.each(['runtime', 'generator'])('%s has no import cycle, type-only imports included', async (folder) => {
    const files = sources(folder)
    const tree = await parseDependencyTree(files, { cwd: root, context: root, tsconfig: path.join(root, 'tsconfig.json'), transform: false, skipDynamicImports: false })
    const parsed = Object.keys(tree).filter((file) => file.startsWith(`${folder}/`))
    // The parser really read the folder: every source is in the graph.
    expect(parsed.length).toBeGreaterThanOrEqual(files.length)
    expect(parseCircular(tree).map((cycle) => cycle.join(' -> '))).toEqual([])
  })
})
