/** Where the benchmark finds the repository (from bench/ or dist-examples/bench/) and keeps its scratch files. */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'prismalchemy') return dir
    if (dirname(dir) === dir) throw new Error(`No prismalchemy package.json above ${start}`)
  }
}

/** The repository root (the folder of prismalchemy's package.json). */
export const REPO_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)))

/** Scratch folder for databases, generated clients and profiles (git-ignored). */
export const TMP_DIR = join(REPO_ROOT, '.tmp')
