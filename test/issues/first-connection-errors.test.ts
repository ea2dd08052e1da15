// Regression: a database that cannot be opened at all (server down, wrong port, password or database, unknown host; a SQLite folder that does not exist) raises DatabaseUnavailableError naming the server and the cause, not ConnectionLostError.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { ConnectionLostError, createDb, createEngine, DatabaseUnavailableError, type Engine, Session } from 'prismalchemy'
import { registry, User } from '../../generated/models.js'
import { freePort } from '../setup/postgres-server.js'
import { createTestDatabase } from '../helpers/database.js'
import { describeOn } from '../helpers/dialects.js'
import { failureInSession } from '../helpers/session-failure.js'

/** What `work` rejects with, on a session of a new engine on `url` (disposed afterwards). */
async function failureOn(url: string, work: (session: Session) => Promise<unknown>): Promise<unknown> {
  const engine: Engine = createEngine(url)
  try {
    return await failureInSession(engine, work)
  } finally {
    await engine.dispose()
  }
}

/** A count (an autocommit read) and a flush (BEGIN, then INSERT): both first statements a session may send. */
const FIRST_STATEMENTS: [string, (session: Session) => Promise<unknown>][] = [
  ['a read', (session) => session.query(User).count()],
  [
    'a flush',
    (session) => {
      session.add(new User({ username: 'first' }))
      return session.flush()
    },
  ],
]

describeOn('postgresql', 'a PostgreSQL server refusing the first connection', () => {
  // The test server's superuser URL: postgresql://postgres:<password>@127.0.0.1:<port>/postgres.
  const server = new URL(inject('postgresUrl') || 'postgresql://postgres:none@127.0.0.1:1/postgres')
  const urlWith = (change: (url: URL) => void): string => {
    const url = new URL(server.href)
    change(url)
    return url.href
  }

  it.each(FIRST_STATEMENTS)('names host, port and database when nothing listens on the port (ECONNREFUSED), at %s', async (_, work) => {
    const port = await freePort()
    const error = await failureOn(urlWith((url) => ((url.port = String(port)), (url.pathname = '/app'))), work)
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect(error).not.toBeInstanceOf(ConnectionLostError)
    expect(error).toMatchObject({ code: 'database_unreachable', prismaCode: 'P1001', host: '127.0.0.1', port, database: 'app', user: 'postgres' })
    expect((error as Error).message).toBe(
      `Can't reach database server at 127.0.0.1:${port}: the connection was refused (nothing listens there). ` +
        `Please make sure your database server is running at 127.0.0.1:${port}, and that the URL's host and port are the server's.`,
    )
  })

  it('says the host name does not resolve for an unknown host', async () => {
    const error = await failureOn(urlWith((url) => (url.hostname = 'no-such-host.invalid')), (session) => session.query(User).count())
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect(error).toMatchObject({ code: 'database_host_not_found', prismaCode: 'P1001', host: 'no-such-host.invalid', port: Number(server.port) })
    expect((error as Error).message).toMatch(/^Can't reach database server at no-such-host\.invalid:\d+: the host name "no-such-host\.invalid" does not resolve \(ENOTFOUND\)\./)
  })

  it.each(FIRST_STATEMENTS)('says the credentials of the user are not valid for a wrong password (28P01), at %s', async (_, work) => {
    const error = await failureOn(urlWith((url) => (url.password = 'wrong')), work)
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect(error).toMatchObject({ code: 'database_authentication_failed', prismaCode: 'P1000', host: '127.0.0.1', database: 'postgres', user: 'postgres' })
    expect((error as Error).message).toBe(
      `Authentication failed against the database server at 127.0.0.1:${server.port}, the provided database credentials for \`postgres\` are not valid. ` +
        'Check the user name and password in the database URL (special characters in the password must be percent-encoded).',
    )
    expect((error as Error).message).not.toContain(server.password)
  })

  it('says the database does not exist on the server (3D000)', async () => {
    const error = await failureOn(urlWith((url) => (url.pathname = '/no_such_database')), (session) => session.query(User).count())
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect(error).toMatchObject({ code: 'database_not_found', prismaCode: 'P1003', database: 'no_such_database' })
    expect((error as Error).message).toBe(
      `Database \`no_such_database\` does not exist on the database server at 127.0.0.1:${server.port}. ` +
        'Create it (CREATE DATABASE "no_such_database", or prisma migrate dev in development), or fix the database name in the URL.',
    )
  })

  it('keeps ConnectionLostError for a connection that worked and was lost later', async () => {
    const db = await createTestDatabase({}, 'postgresql')
    try {
      const session = db.session()
      session.add(new User({ username: 'lost' }))
      await session.flush()
      const name = new URL(db.url).pathname.slice(1)
      await db.execute(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`)
      const error = await session.commit().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConnectionLostError)
      expect(error).not.toBeInstanceOf(DatabaseUnavailableError)
      expect((error as ConnectionLostError).code).toBe('connection_lost')
      await session.close()
    } finally {
      await db.dispose()
    }
  })
})

describe('a SQLite file that cannot be opened', () => {
  let dir: string

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-open-'))
  })

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it.each(FIRST_STATEMENTS)('names the missing folder and says SQLite does not create it, at %s', async (_, work) => {
    const folder = path.join(dir, 'missing', 'data')
    const file = path.join(folder, 'app.db')
    const error = await failureOn(`file:${file}`, work)
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect(error).toMatchObject({ code: 'database_folder_missing', prismaCode: 'P1003', database: file, host: undefined, port: undefined })
    expect((error as Error).message).toBe(
      `Cannot open the SQLite database ${file}: its folder ${folder} does not exist. SQLite creates the database file but not its folder: ` +
        `create the folder (mkdir -p ${folder}) or fix the path in the URL (a relative file: path is resolved against the working directory, ${process.cwd()}).`,
    )
  })

  it("names the missing folder at createAll(), where Prisma's schema engine says only \"External error\"", async () => {
    const folder = path.join(dir, 'absent')
    const db = createDb(registry, { url: `file:${path.join(folder, 'app.db')}` })
    try {
      const error = await db.createAll().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect(error).toMatchObject({ code: 'database_folder_missing', database: path.join(folder, 'app.db') })
      expect((error as Error).message).toContain(`its folder ${folder} does not exist`)
    } finally {
      await db.dispose()
    }
  })

  it('says SQLite could not open the path when it names a folder (SQLITE_CANTOPEN)', async () => {
    // Tests run as root, which may write anywhere: a folder in the file's place is the SQLITE_CANTOPEN that can be provoked here.
    const folder = path.join(dir, 'is-a-folder.db')
    mkdirSync(folder)
    const error = await failureOn(`file:${folder}`, (session) => session.query(User).count())
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect(error).toMatchObject({ code: 'database_cannot_open', database: folder })
    expect((error as Error).message).toBe(
      `Cannot open the SQLite database ${folder} (unable to open database file). Check that the path names a file, not a folder, and that this process may ` +
        `create and write files in ${dir} (SQLite writes the -wal and -shm files next to the database).`,
    )
  })
})
