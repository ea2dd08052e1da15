// Tenant databases for EngineRegistry tests: SQLite files copied from one template, and the database files this process holds open.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll } from 'vitest'
import { registry as models } from '../../generated/models.js'
import { pushSchema } from '../../runtime/engine/schema-engine.js'
import { readRows } from './database.js'

/** A folder of tenant databases, each a copy of the example schema's template file. */
export interface Tenants {
  readonly dir: string
  url(tenant: number): string
  file(tenant: number): string
}

/**
 * Registers the calling file's hooks that push the example schema into a template file once (before
 * all tests) and delete every tenant folder (after all), and returns the function that makes `count`
 * tenant databases in a folder called `name`.
 */
export function useTenantTemplate(): (name: string, count: number) => Tenants {
  let root: string
  let template: string

  beforeAll(async () => {
    // tmpfs when there is one: on a disk, the checkpoint SQLite runs when a database's last connection
    // closes waits for an fsync, about 2 ms per tenant visit here (15,000 visits: 42 s on disk, 8 s on
    // tmpfs). What is tested, open files and committed rows, is the same on both.
    root = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'prismalchemy-tenants-'))
    template = path.join(root, 'template.db')
    await pushSchema({ url: `file:${template}`, sources: models.schema.sources })
    // WAL is stored in the file, so every copy starts in the mode the driver uses.
    const raw = new Database(template)
    raw.pragma('journal_mode = WAL')
    raw.close()
  })

  afterAll(() => rmSync(root, { recursive: true, force: true }))

  return (name, count) => {
    const dir = path.join(root, name)
    mkdirSync(dir)
    const file = (tenant: number) => path.join(dir, `tenant-${tenant}.db`)
    for (let tenant = 0; tenant < count; tenant++) copyFileSync(template, file(tenant))
    return { dir, file, url: (tenant) => `file:${file(tenant)}` }
  }
}

/** Database files under `dir` this process holds open, read from /proc/self/fd: distinct databases (a -wal or -shm file counts as its database) and descriptors. */
export function openFiles(dir: string): { files: number; descriptors: number } {
  const files = new Set<string>()
  let descriptors = 0
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      continue // the descriptor readdirSync itself used, closed by now
    }
    if (!target.startsWith(`${dir}/`)) continue
    descriptors++
    files.add(target.replace(/-(?:wal|shm|journal)$/, ''))
  }
  return { files: files.size, descriptors }
}

/** The role names stored in a tenant's database file, in name order. */
export function roleNames(file: string): string[] {
  return readRows<{ name: string }>(file, 'SELECT name FROM "Role" ORDER BY name').map((row) => row.name)
}
