/** --check: compares freshly generated files with those on disk and describes any drift as a unified diff. */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { createTwoFilesPatch } from 'diff'
import type { GeneratedFile } from './emit/project.js'

/** One stale or missing output file. */
export interface StaleFile {
  readonly path: string
  /** Unified diff from the file on disk to the expected content. */
  readonly diff: string
}

/** Compares `files` with the output folder; returns the files that differ (empty when up to date). */
export function checkOutput(files: readonly GeneratedFile[], out: string): StaleFile[] {
  const stale: StaleFile[] = []
  for (const file of files) {
    const target = path.join(out, file.name)
    let current = ''
    try {
      current = readFileSync(target, 'utf8')
    } catch {
      current = ''
    }
    if (current !== file.content) {
      stale.push({ path: target, diff: createTwoFilesPatch(`${target} (on disk)`, `${target} (from schema)`, current, file.content) })
    }
  }
  return stale
}
