/** The shared benchmark database: a temporary SQLite file with the schema's tables, seeded with roles and users. */
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { createEngine, Session } from 'prismalchemy'
import { db } from '../generated/db.js'
import { Role, User } from '../generated/models.js'
import { TMP_DIR } from './paths.js'

/** Size of the seeded data. */
export interface FixtureSize {
  /** Number of users; ids are 1..users. */
  readonly users: number
  /** Users per role; there are users / usersPerRole roles, ids 1..roles. */
  readonly usersPerRole: number
}

/** The database every peer opens. */
export interface Fixture {
  /** Absolute path of the SQLite file. */
  readonly file: string
  /** `file:` URL of the same file. */
  readonly url: string
  /** Number of roles seeded (ids 1..roles). */
  readonly roles: number
  /** Largest seeded user id; rows above it were added by a workload. */
  readonly maxUserId: number
  /** Untimed cleanup: deletes users above {@link maxUserId} and checkpoints the WAL, so every batch starts alike. Returns the rows deleted. */
  resetUsers(): number
  /** Closes the admin connection and deletes the file with its -wal/-shm companions. */
  remove(): void
}

/** The username of the `i`-th seeded user. */
export function seedUsername(i: number): string {
  return `user${String(i).padStart(5, '0')}`
}

/**
 * Creates a fresh SQLite file under `.tmp/`, creates the tables through Prisma's schema engine
 * (`db.createAll()`), and seeds it through a prismalchemy session (one unit of work), so the rows
 * are stored exactly as prismalchemy and PrismaClient store them. The file is left in WAL mode
 * (a persistent property of the file), so every peer's connection uses WAL.
 */
export async function createFixture(size: FixtureSize): Promise<Fixture> {
  mkdirSync(TMP_DIR, { recursive: true })
  const file = join(TMP_DIR, `bench-${process.pid}.db`)
  const url = `file:${file}`
  const removeFiles = () => {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true })
  }
  removeFiles()
  const roles = Math.ceil(size.users / size.usersPerRole)
  try {
    db.configure({ url })
    await db.createAll()
    await db.dispose()
    const engine = createEngine(url)
    try {
      const session = new Session({ bind: engine })
      session.addAll(Array.from({ length: roles }, (_, i) => new Role({ name: `role${i + 1}` })))
      await session.commit()
      for (let i = 1; i <= size.users; i++) {
        session.add(new User({ username: seedUsername(i), email: `${seedUsername(i)}@example.com`, roleId: ((i - 1) % roles) + 1 }))
      }
      await session.commit()
      await session.close()
    } finally {
      await engine.dispose()
    }
  } catch (error) {
    removeFiles()
    throw error
  }
  const admin = new Database(file)
  admin.pragma('journal_mode = WAL')
  const { n, max } = admin.prepare('SELECT count(*) AS n, max(id) AS max FROM users').get() as { n: number; max: number }
  if (n !== size.users || max !== size.users) throw new Error(`Seeding produced ${n} users (max id ${max}), expected ${size.users}`)
  admin.pragma('wal_checkpoint(TRUNCATE)')
  const reset = admin.prepare('DELETE FROM users WHERE id > ?')
  return {
    file,
    url,
    roles,
    maxUserId: max,
    resetUsers() {
      const deleted = reset.run(max).changes
      admin.pragma('wal_checkpoint(TRUNCATE)')
      return deleted
    },
    remove() {
      if (admin.open) admin.close()
      removeFiles()
    },
  }
}
