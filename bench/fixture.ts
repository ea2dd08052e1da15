/** The shared benchmark database: a temporary SQLite file or a database on a throwaway PostgreSQL server, with the schema's tables, seeded with roles and users. */
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { createEngine, Session } from 'prismalchemy'
import { db } from '../generated/db.js'
import { Role, User } from '../generated/models.js'
import type { BenchDb } from './db-option.js'
import { TMP_DIR } from './paths.js'
import { startPostgresServer } from './postgres-server.js'
import { seedUsername } from './workloads.js'

/** Size of the seeded data. */
export interface FixtureSize {
  /** Number of users; ids are 1..users. */
  readonly users: number
  /** Users per role; there are users / usersPerRole roles, ids 1..roles. */
  readonly usersPerRole: number
}

/** What both kinds of fixture have. */
export interface FixtureBase {
  /** URL every peer opens: `file:` for SQLite, `postgresql://` for PostgreSQL. */
  readonly url: string
  /** The database in a few words, for report headers: `one SQLite file (WAL)`, `PostgreSQL 17.10 (...)`. */
  readonly description: string
  /** Number of roles seeded (ids 1..roles). */
  readonly roles: number
  /** Largest seeded user id; rows above it were added by a workload. */
  readonly maxUserId: number
  /**
   * Untimed cleanup, so every batch starts alike: deletes users above {@link maxUserId}, then
   * checkpoints the WAL (SQLite) or vacuums the table (PostgreSQL). Returns the rows deleted.
   */
  resetUsers(): Promise<number>
  /**
   * Untimed: gives users renamed by a workload (`<name>.<tag>`) their seeded name back, then checkpoints
   * or vacuums as {@link resetUsers} does. Returns the rows restored.
   */
  restoreRenamedUsers(): Promise<number>
  /** Closes the admin connection and deletes the database (SQLite: the file and its companions; PostgreSQL: stops the server). */
  remove(): Promise<void>
}

/** A SQLite file under `.tmp/`. */
export interface SqliteFixture extends FixtureBase {
  readonly db: 'sqlite'
  /** Absolute path of the SQLite file. */
  readonly file: string
}

/** Database `bench` on a throwaway PostgreSQL server. */
export interface PostgresFixture extends FixtureBase {
  readonly db: 'postgresql'
}

/** The database every peer opens. */
export type Fixture = SqliteFixture | PostgresFixture

/** Creates the tables through Prisma's schema engine (`db.createAll()`) and seeds them through a prismalchemy session (one unit of work). */
async function createAndSeed(url: string, size: FixtureSize, roles: number): Promise<void> {
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
}

function checkSeeded(n: number, max: number, size: FixtureSize): void {
  if (n !== size.users || max !== size.users) throw new Error(`Seeding produced ${n} users (max id ${max}), expected ${size.users}`)
}

/**
 * Creates a fresh database and seeds it, so the rows are stored exactly as prismalchemy and
 * PrismaClient store them.
 *
 * - `sqlite`: a file under `.tmp/`, left in WAL mode (a persistent property of the file), so every
 *   peer's connection uses WAL.
 * - `postgresql`: starts a throwaway server ({@link startPostgresServer}) and creates database `bench`.
 */
export async function createFixture(size: FixtureSize, kind: BenchDb = 'sqlite'): Promise<Fixture> {
  const roles = Math.ceil(size.users / size.usersPerRole)
  return kind === 'sqlite' ? createSqliteFixture(size, roles) : createPostgresFixture(size, roles)
}

async function createSqliteFixture(size: FixtureSize, roles: number): Promise<Fixture> {
  mkdirSync(TMP_DIR, { recursive: true })
  const file = join(TMP_DIR, `bench-${process.pid}.db`)
  const url = `file:${file}`
  const removeFiles = () => {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true })
  }
  removeFiles()
  try {
    await createAndSeed(url, size, roles)
  } catch (error) {
    removeFiles()
    throw error
  }
  const admin = new Database(file)
  admin.pragma('journal_mode = WAL')
  const { n, max } = admin.prepare('SELECT count(*) AS n, max(id) AS max FROM users').get() as { n: number; max: number }
  checkSeeded(n, max, size)
  // Statistics for the query planner, as PostgreSQL's VACUUM ANALYZE gives it: without them SQLite walks the
  // username index to avoid sorting a role's 100 users, scanning thousands of rows for (c).
  admin.exec('ANALYZE')
  admin.pragma('wal_checkpoint(TRUNCATE)')
  const reset = admin.prepare('DELETE FROM users WHERE id > ?')
  const restore = admin.prepare("UPDATE users SET username = substr(username, 1, instr(username, '.') - 1) WHERE instr(username, '.') > 0")
  return {
    db: 'sqlite',
    file,
    url,
    description: 'one SQLite file (WAL)',
    roles,
    maxUserId: max,
    async resetUsers() {
      const deleted = reset.run(max).changes
      admin.pragma('wal_checkpoint(TRUNCATE)')
      return deleted
    },
    async restoreRenamedUsers() {
      const restored = restore.run().changes
      admin.pragma('wal_checkpoint(TRUNCATE)')
      return restored
    },
    async remove() {
      if (admin.open) admin.close()
      removeFiles()
    },
  }
}

async function createPostgresFixture(size: FixtureSize, roles: number): Promise<Fixture> {
  const server = await startPostgresServer()
  let admin: pg.Client | undefined
  try {
    const url = await server.createDatabase('bench')
    await createAndSeed(url, size, roles)
    admin = new pg.Client({ connectionString: url })
    await admin.connect()
    const { rows } = await admin.query<{ n: string; max: number }>('SELECT count(*) AS n, max(id) AS max FROM users')
    checkSeeded(Number(rows[0].n), rows[0].max, size)
    await admin.query('VACUUM ANALYZE')
    const max = rows[0].max
    const client = admin
    return {
      db: 'postgresql',
      url,
      description: server.description,
      roles,
      maxUserId: max,
      async resetUsers() {
        const { rowCount } = await client.query('DELETE FROM users WHERE id > $1', [max])
        await client.query('VACUUM users')
        return rowCount ?? 0
      },
      async restoreRenamedUsers() {
        const { rowCount } = await client.query("UPDATE users SET username = split_part(username, '.', 1) WHERE strpos(username, '.') > 0")
        await client.query('VACUUM users')
        return rowCount ?? 0
      },
      async remove() {
        await client.end().catch(() => undefined)
        await server.stop()
      },
    }
  } catch (error) {
    await admin?.end().catch(() => undefined)
    await server.stop()
    throw error
  }
}
