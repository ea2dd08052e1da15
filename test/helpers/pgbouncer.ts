// A PgBouncer (Debian's package, installed by scripts/install-pgbouncer.sh) in transaction mode in front of the test run's PostgreSQL server.
import { type ChildProcess, spawn } from 'node:child_process'
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { freePort } from '../setup/postgres-server.js'

/** Where Debian installs the binary (not on a non-root user's PATH). */
const DEBIAN_BINARY = '/usr/sbin/pgbouncer'

/** A running PgBouncer; {@link PgBouncer.urlFor} gives the URL of a database of the server behind it. */
export interface PgBouncer {
  /** The loopback port it listens on. */
  readonly port: number
  /** Its `default_pool_size`: the most server connections it opens per database and user. */
  readonly poolSize: number
  /** The same database as `serverUrl` (a URL on the PostgreSQL server), reached through PgBouncer. */
  urlFor(serverUrl: string): string
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and deletes its folder. */
  stop(): Promise<void>
}

/** The pgbouncer binary, or an error naming the script that installs it. */
export function pgbouncerBinary(): string {
  for (const candidate of [DEBIAN_BINARY, ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'pgbouncer'))]) {
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  throw new Error('pgbouncer is not installed, so the PgBouncer suite cannot run: install it with scripts/install-pgbouncer.sh (Debian package pgbouncer), or leave PostgreSQL out with PRISMALCHEMY_TEST_DIALECTS=sqlite.')
}

/** Resolves once something accepts TCP connections on `port`, or rejects after `timeoutMs`. */
async function listening(port: number, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const failure = exited()
    if (failure !== undefined) throw new Error(failure)
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => resolve(socket.end() !== undefined))
      socket.once('error', () => resolve(false))
    })
    if (open) return
    if (Date.now() > deadline) throw new Error(`pgbouncer did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * Starts PgBouncer in transaction mode on a free loopback port in front of the server `serverUrl`
 * (the test run's superuser URL) names, with its own ini in a temporary folder. Clients sign in
 * without a password (`auth_type = trust`); PgBouncer signs in to the server with the URL's user and
 * password (its `auth_file`). It refuses to run as root, so as root it runs as `postgres`, the user
 * the test server runs as. Server connections per database: `poolSize` (PgBouncer's `default_pool_size`).
 * As a 1.18 must be set up for this runtime: `ignore_startup_parameters = options` (left out with
 * `ignoreOptions: false`, to see the refusal) and `timezone=UTC`.
 */
export async function startPgBouncer(serverUrl: string, options: { poolSize?: number; ignoreOptions?: boolean } = {}): Promise<PgBouncer> {
  const binary = pgbouncerBinary()
  const server = new URL(serverUrl)
  const poolSize = options.poolSize ?? 4
  const dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-pgbouncer-'))
  chmodSync(dir, 0o777)
  const port = await freePort()
  const user = decodeURIComponent(server.username)
  const quote = (text: string): string => `"${text.replace(/"/g, '""')}"`
  writeFileSync(path.join(dir, 'userlist.txt'), `${quote(user)} ${quote(decodeURIComponent(server.password))}\n`)
  writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      // pg's `options=-c TimeZone=UTC` cannot pass 1.18 (it refuses `options`): the UTC session zone is set here instead.
      `* = host=${server.hostname} port=${server.port} timezone=UTC`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir =`,
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 200',
      // Without this 1.18 refuses every pg connection: "unsupported startup parameter: options".
      options.ignoreOptions === false ? '' : 'ignore_startup_parameters = options',
      `logfile = ${path.join(dir, 'pgbouncer.log')}`,
      `pidfile = ${path.join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  )
  const asRoot = process.getuid?.() === 0
  const child: ChildProcess = spawn(binary, [...(asRoot ? ['-u', 'postgres'] : []), path.join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const log = (): string => {
    try {
      return readFileSync(path.join(dir, 'pgbouncer.log'), 'utf8')
    } catch {
      return ''
    }
  }
  try {
    await listening(port, 10_000, () => (child.exitCode !== null || child.signalCode !== null ? `pgbouncer exited (${child.exitCode ?? child.signalCode}): ${stderr}${log()}` : undefined))
  } catch (error) {
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return {
    port,
    poolSize,
    urlFor(url) {
      const through = new URL(url)
      through.hostname = '127.0.0.1'
      through.port = String(port)
      return through.toString()
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

