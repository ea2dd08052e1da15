// Regression: MySQL/MariaDB errors, produced for real on a MariaDB server, become the same named errors as on PostgreSQL and SQLite (unique fields from the model, lock and statement timeouts, deadlocks that end the transaction, lost connections, and a database that cannot be opened, reported at once).
import { createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ConfigurationError,
  ConnectionLostError,
  createEngine,
  DatabaseError,
  DatabaseLockedError,
  DatabaseUnavailableError,
  type Engine,
  ForeignKeyViolationError,
  type Model,
  NotNullViolationError,
  PendingRollbackError,
  PoolTimeoutError,
  Session,
  sql,
  TransactionAbortedError,
  UniqueViolationError,
  WriteConflictError,
} from 'prismalchemy'
import type { ModelRegistry } from 'prismalchemy/internal'
import { freePort } from '../setup/postgres-server.js'
import { scratchDatabase, type ScratchDatabase } from '../helpers/database.js'
import { describeOn } from '../helpers/dialects.js'
import { importInlineModels } from '../helpers/inline-models.js'
import { MARIADB_PASSWORD, startMariaDb } from '../helpers/mariadb-server.js'
import { failureInSession } from '../helpers/session-failure.js'

const SCHEMA = `datasource db {
  provider = "mysql"
}

model Author {
  id    Int    @id
  email String @unique
  name  String @db.VarChar(5)
  age   Int
  books Book[]
}

model Book {
  id       Int    @id
  authorId Int
  author   Author @relation(fields: [authorId], references: [id])
}
`

/** Prisma's DDL for the schema (docs/notes/mariadb-adapter.md §7), and two authors, one with a book. */
const TABLES = `CREATE TABLE Author (id INTEGER NOT NULL, email VARCHAR(191) NOT NULL, name VARCHAR(5) NOT NULL, age INTEGER NOT NULL, UNIQUE INDEX Author_email_key(email), PRIMARY KEY (id)) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE TABLE Book (id INTEGER NOT NULL, authorId INTEGER NOT NULL, PRIMARY KEY (id)) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE Book ADD CONSTRAINT Book_authorId_fkey FOREIGN KEY (authorId) REFERENCES Author(id) ON DELETE RESTRICT ON UPDATE CASCADE;
INSERT INTO Author VALUES (1, 'ann@example.com', 'ann', 30), (2, 'bob@example.com', 'bob', 40);
INSERT INTO Book VALUES (1, 1)`

/** A user of this file, allowed to sign in but given no privilege on any database. */
const LIMITED_USER = `limited_${process.pid}`

let database: ScratchDatabase
let registry: ModelRegistry
let Author: new (init?: object) => any
let Book: new (init?: object) => any
let engine: Engine

describeOn('mysql', 'MySQL errors', () => {
  beforeAll(async () => {
    database = await scratchDatabase('mysql')
    await database.execute(`${TABLES}; CREATE USER '${LIMITED_USER}'@'%' IDENTIFIED BY 'secret'`)
    ;({ registry } = await importInlineModels('mysql-errors', SCHEMA))
    Author = registry.classes.Author as typeof Author
    Book = registry.classes.Book as typeof Book
    engine = createEngine(database.url)
  })

  afterAll(async () => {
    await engine?.dispose()
    await database?.execute(`DROP USER IF EXISTS '${LIMITED_USER}'@'%'`)
    await database?.drop()
  })

  /** What `work` rejects with, in a new session on `on` (closed afterwards). */
  function failure(work: (session: Session) => Promise<unknown>, on: Engine = engine): Promise<any> {
    return failureInSession(on, work)
  }

  /** Flushes `object` in a new session; the flush's error. */
  function flushing(object: Model): Promise<any> {
    return failure(async (session) => {
      session.add(object)
      await session.flush()
    })
  }

  describe('constraint and data errors', () => {
    it('names the model and the field of a unique index (1062 gives only the index name)', async () => {
      const error = await flushing(new Author({ id: 3, email: 'ann@example.com', name: 'x', age: 1 }))
      expect(error).toBeInstanceOf(UniqueViolationError)
      expect(error).toMatchObject({ code: 'unique_violation', constraint: 'Author_email_key', model: 'Author', fields: ['email'] })
    })

    it("names the primary key's fields for MySQL's PRIMARY index", async () => {
      const error = await flushing(new Author({ id: 1, email: 'other@example.com', name: 'x', age: 1 }))
      expect(error).toBeInstanceOf(UniqueViolationError)
      expect(error).toMatchObject({ constraint: 'PRIMARY', model: 'Author', fields: ['id'] })
    })

    it('raises ForeignKeyViolationError naming the constraint, for a missing parent (1452) and a parent still referenced (1451)', async () => {
      const missing = await flushing(new Book({ id: 2, authorId: 999 }))
      expect(missing).toBeInstanceOf(ForeignKeyViolationError)
      expect(missing).toMatchObject({ code: 'foreign_key_violation', constraint: 'Book_authorId_fkey' })
      const referenced = await failure((session) => session.execute(sql`DELETE FROM \`Author\` WHERE \`id\` = ${1}`))
      expect(referenced).toBeInstanceOf(ForeignKeyViolationError)
      expect(referenced.constraint).toBe('Book_authorId_fkey')
    })

    it('names table.column of a NOT NULL violation, for a NULL (1048) and a column left out without a default (1364)', async () => {
      const given = await flushing(new Author({ id: 4, email: 'null@example.com', name: null, age: 1 }))
      expect(given).toBeInstanceOf(NotNullViolationError)
      expect(given).toMatchObject({ code: 'not_null_violation', column: 'Author.name' })
      const omitted = await failure((session) => session.execute(sql`INSERT INTO \`Author\` (\`id\`, \`email\`, \`age\`) VALUES (${5}, ${'o@example.com'}, ${1})`))
      expect(omitted).toBeInstanceOf(NotNullViolationError)
      expect(omitted.column).toBe('Author.name')
    })

    it("keeps the server's message for a value too long (1406) or out of range (1264)", async () => {
      const long = await flushing(new Author({ id: 6, email: 'long@example.com', name: 'much too long', age: 1 }))
      expect(long).toBeInstanceOf(DatabaseError)
      expect(long.code).toBe('database_error')
      expect(long.message).toMatch(/Data too long for column 'name'/)
      const big = await flushing(new Author({ id: 7, email: 'big@example.com', name: 'big', age: 2 ** 40 }))
      expect(big.code).toBe('database_error')
      expect(big.message).toMatch(/Out of range value for column 'age'/)
    })
  })

  describe('concurrency and time limits', () => {
    const bump = (id: number) => sql`UPDATE \`Author\` SET \`age\` = \`age\` + 1 WHERE \`id\` = ${id}`

    it('raises WriteConflictError for a deadlock (1213), after which the session refuses to go on in autocommit until rolled back', async () => {
      const first = new Session({ bind: engine })
      const second = new Session({ bind: engine })
      try {
        await first.execute(bump(1))
        await second.execute(bump(2))
        const results = await Promise.allSettled([first.execute(bump(2)), second.execute(bump(1))])
        const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected').map((result) => result.reason)
        expect(failures).toHaveLength(1)
        expect(failures[0]).toBeInstanceOf(WriteConflictError)
        expect(failures[0].code).toBe('write_conflict')
        expect(failures[0].message).toMatch(/Deadlock found/)
        const [loser, winner] = results[0].status === 'rejected' ? [first, second] : [second, first]
        // MySQL rolled the loser's whole transaction back: a later write would otherwise commit on its own.
        await expect(loser.execute(bump(1))).rejects.toThrow(TransactionAbortedError)
        await loser.rollback()
        await winner.commit()
        await loser.execute(bump(1))
        await loser.commit()
      } finally {
        await first.close()
        await second.close()
      }
    })

    it("refuses every later statement of the deadlock victim's transaction, reads included, and its commit(), with transaction_aborted; nothing of it lands; rollback() recovers", async () => {
      const ages = async () => (await database.readRows<{ id: number; age: number }>('SELECT id, age FROM Author WHERE id IN (1, 2) ORDER BY id')).map((row) => Number(row.age))
      const [age1, age2] = await ages()
      const first = new Session({ bind: engine })
      const second = new Session({ bind: engine })
      try {
        // Each session locks one row, then asks for the other's: InnoDB picks one as the victim.
        await first.execute(bump(1))
        await second.execute(bump(2))
        const results = await Promise.allSettled([first.execute(bump(2)), second.execute(bump(1))])
        expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected'])
        const victimFirst = results[0].status === 'rejected'
        const [victim, winner] = victimFirst ? [first, second] : [second, first]
        const deadlock = (results[victimFirst ? 0 : 1] as PromiseRejectedResult).reason
        expect(deadlock).toBeInstanceOf(WriteConflictError)
        expect(deadlock.code).toBe('write_conflict')

        // MySQL rolled the victim's transaction back and left its connection in autocommit: each of these would run on its own.
        for (const statement of [bump(1), sql`SELECT \`age\` FROM \`Author\` WHERE \`id\` = ${2}`]) {
          const refused = await victim.execute(statement).catch((error: unknown) => error)
          expect(refused).toBeInstanceOf(TransactionAbortedError)
          expect((refused as TransactionAbortedError).code).toBe('transaction_aborted')
          expect((refused as TransactionAbortedError).cause).toBe(deadlock)
        }
        const commit = await victim.commit().catch((error: unknown) => error)
        expect(commit).toBeInstanceOf(TransactionAbortedError)
        expect((commit as TransactionAbortedError).code).toBe('transaction_aborted')
        await winner.commit()
        // Only the winner's two bumps landed: neither the victim's first write nor anything refused after the deadlock.
        expect(await ages()).toEqual([age1 + 1, age2 + 1])

        await victim.rollback()
        await victim.execute(bump(1))
        await victim.commit()
        expect(await ages()).toEqual([age1 + 2, age2 + 1])
        expect(engine.poolStatus().checkedOut).toBe(0)
      } finally {
        await first.close()
        await second.close()
      }
    })

    it('raises DatabaseLockedError (lock_wait_timeout) for a lock wait timeout (1205), after which the transaction goes on', async () => {
      // The URL's sessionVariables: a 1-second innodb_lock_wait_timeout on this engine's connections.
      const impatient = createEngine(`${database.url}?sessionVariables=${encodeURIComponent('{"innodb_lock_wait_timeout":1}')}`)
      const holder = new Session({ bind: engine })
      const waiter = new Session({ bind: impatient })
      try {
        await holder.execute(bump(2))
        waiter.add(new Author({ id: 8, email: 'waiter@example.com', name: 'w', age: 1 }))
        await waiter.flush()
        const error = await waiter.execute(bump(2)).catch((caught: unknown) => caught)
        expect(error).toBeInstanceOf(DatabaseLockedError)
        expect(error).toMatchObject({ code: 'lock_wait_timeout' })
        await holder.rollback()
        await waiter.commit()
        expect((await new Session({ bind: engine }).get(Author, 8))?.email).toBe('waiter@example.com')
      } finally {
        await holder.close()
        await waiter.close()
        await impatient.dispose()
      }
    })

    it("raises DatabaseError (statement_timeout) for a statement over MariaDB's max_statement_time (1969, the URL's queryTimeout)", async () => {
      const hasty = createEngine(`${database.url}?queryTimeout=50`)
      try {
        const error = await failure((session) => session.execute(sql`SELECT COUNT(*) FROM seq_1_to_1000000000 WHERE seq % 7 = 3`), hasty)
        expect(error).toBeInstanceOf(DatabaseError)
        expect(error.code).toBe('statement_timeout')
      } finally {
        await hasty.dispose()
      }
    })

    it("raises PoolTimeoutError when the adapter's pool has no free connection within poolTimeout (45028 without a cause)", async () => {
      const small = createEngine(database.url, { poolSize: 1, maxOverflow: 0, poolTimeout: 1 })
      try {
        const error = await failure((session) => Promise.all([session.execute(sql`SELECT SLEEP(2)`), session.execute(sql`SELECT 1`)]), small)
        expect(error).toBeInstanceOf(PoolTimeoutError)
        expect(error.message).toMatch(/^Timed out after 1\d\d\d ms waiting for a connection: 1 of 1 connections are checked out/)
      } finally {
        await small.dispose()
      }
    })
  })

  describe('connections', () => {
    it('raises ConnectionLostError when the server kills the connection under an open transaction, and the pool goes on', async () => {
      const session = new Session({ bind: engine })
      try {
        session.add(new Author({ id: 9, email: 'killed@example.com', name: 'k', age: 1 }))
        await session.flush()
        const { rows } = await session.execute(sql`SELECT CONNECTION_ID() AS id`)
        await database.execute(`KILL ${String(rows[0].id)}`)
        const error = await session.execute(sql`SELECT 1`).catch((caught: unknown) => caught)
        expect(error).toBeInstanceOf(ConnectionLostError)
        expect((error as ConnectionLostError).code).toBe('connection_lost')
        await session.rollback()
        expect(await session.get(Author, 9)).toBeNull()
      } finally {
        await session.close()
      }
    })

    /** The first statement on a new engine for `url`, its error, and how long it took. */
    async function firstFailure(url: string): Promise<{ error: any; ms: number }> {
      const fresh = createEngine(url)
      const started = performance.now()
      try {
        const error = await failure((session) => session.query(Author).count(), fresh)
        return { error, ms: performance.now() - started }
      } finally {
        await fresh.dispose()
      }
    }

    /** The test database's URL changed by `change`. */
    const urlWith = (change: (url: URL) => void): string => {
      const url = new URL(database.url)
      change(url)
      return url.href
    }

    it('says nothing listens at host:port (ECONNREFUSED) at once, not after poolTimeout', async () => {
      const port = await freePort()
      const { error, ms } = await firstFailure(urlWith((url) => (url.port = String(port))))
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect(error).toMatchObject({ code: 'database_unreachable', prismaCode: 'P1001', host: '127.0.0.1', port, database: new URL(database.url).pathname.slice(1), user: 'prismalchemy' })
      expect(ms).toBeLessThan(3000)
    })

    it('says the host name does not resolve', async () => {
      const { error } = await firstFailure(urlWith((url) => (url.hostname = 'no-such-host.invalid')))
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect(error).toMatchObject({ code: 'database_host_not_found', host: 'no-such-host.invalid' })
    })

    it('says the credentials are not valid for a wrong password (1045), without the password', async () => {
      const { error, ms } = await firstFailure(urlWith((url) => (url.password = 'wrong')))
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect(error).toMatchObject({ code: 'database_authentication_failed', prismaCode: 'P1000', user: 'prismalchemy' })
      expect(error.message).toBe(
        `Authentication failed against the database server at 127.0.0.1:${new URL(database.url).port}, the provided database credentials for \`prismalchemy\` are not valid. ` +
          'Check the user name and password in the database URL (special characters in the password must be percent-encoded).',
      )
      expect(error.message).not.toContain(MARIADB_PASSWORD)
      expect(ms).toBeLessThan(3000)
    })

    it('says the database does not exist (1049), with MySQL quoting in the fix', async () => {
      const { error } = await firstFailure(urlWith((url) => (url.pathname = '/no_such_database')))
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect(error).toMatchObject({ code: 'database_not_found', prismaCode: 'P1003', database: 'no_such_database' })
      expect(error.message).toBe(
        `Database \`no_such_database\` does not exist on the database server at 127.0.0.1:${new URL(database.url).port}. ` +
          'Create it (CREATE DATABASE `no_such_database`, or prisma migrate dev in development), or fix the database name in the URL.',
      )
    })

    it('says the user may not use the database (1044)', async () => {
      const { error } = await firstFailure(urlWith((url) => ((url.username = LIMITED_USER), (url.password = 'secret'))))
      const name = new URL(database.url).pathname.slice(1)
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect(error).toMatchObject({ code: 'database_access_denied', prismaCode: 'P1010', user: LIMITED_USER, database: name })
      expect(error.message).toContain(`GRANT ALL ON \`${name}\`.* TO '${LIMITED_USER}'@'%'`)
    })

    it('keeps ConnectionLostError for a server that went away after the engine connected, and waits poolTimeout once, not once per pooled connection', async () => {
      // A server of its own, stopped under the engine.
      const doomed = await startMariaDb()
      await doomed.rootSql(`CREATE DATABASE errors; USE errors; ${TABLES}`)
      const gone = createEngine(doomed.urlFor('errors'), { poolTimeout: 1 })
      try {
        expect(await new Session({ bind: gone }).query(Author).count()).toBe(2)
        await doomed.stop()
        const started = performance.now()
        const error = await failure((session) => session.query(Author).count(), gone)
        expect(error).toBeInstanceOf(ConnectionLostError)
        expect(error).not.toBeInstanceOf(DatabaseUnavailableError)
        expect(performance.now() - started).toBeLessThan(2500)
      } finally {
        await gone.dispose()
        await doomed.stop()
      }
    })
  })

  describe('a session whose flush failed on MySQL', () => {
    it('needs a rollback, as on the other databases', async () => {
      const session = new Session({ bind: engine })
      session.add(new Author({ id: 1, email: 'dup@example.com', name: 'd', age: 1 }))
      await expect(session.flush()).rejects.toThrow(UniqueViolationError)
      await expect(session.flush()).rejects.toThrow(PendingRollbackError)
      await session.rollback()
      await session.close()
    })
  })
})

describe('a MySQL server that accepts connections and never answers', () => {
  let silent: Server

  beforeAll(async () => {
    silent = createServer(() => undefined)
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  })

  afterAll(async () => {
    silent.close()
  })

  it('fails the first statement with ConnectionLostError after poolTimeout once, not twice (the adapter waits for its version query too)', async () => {
    const { port } = silent.address() as { port: number }
    const engine = createEngine(`mysql://app:secret@127.0.0.1:${port}/app`, { poolTimeout: 1 })
    const session = new Session({ bind: engine })
    const started = performance.now()
    try {
      const error = await session.execute(sql`SELECT 1`).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(ConnectionLostError)
      expect((error as Error).cause).toMatchObject({ errno: 45012, sqlState: '08S01' })
      expect(performance.now() - started).toBeLessThan(1900)
    } finally {
      await session.close()
      await engine.dispose()
    }
  })
})

describe('MySQL engine options', () => {
  it.each([
    ['connectionLimit=5', /The MySQL URL parameter "connectionLimit" is not taken: the engine sets it from its poolSize and maxOverflow options/],
    ['acquireTimeout=5', /"acquireTimeout" is not taken: the engine sets it from its poolTimeout option/],
    ['dateStrings=false', /"dateStrings" is not taken: the URL takes the mariadb driver options connectTimeout, /],
  ])('refuses the URL parameter %s, saying what to use', (parameter, message) => {
    const error = (() => {
      try {
        createEngine(`mysql://app@localhost/app?${parameter}`)
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(ConfigurationError)
    expect(error).toMatchObject({ code: 'url_parameter' })
    expect((error as Error).message).toMatch(message)
  })

  it('refuses poolRecycle, which the mariadb pool cannot honour, saying what covers it', () => {
    expect(() => createEngine('mysql://app@localhost/app', { poolRecycle: 3600 })).toThrow(
      expect.objectContaining({ code: 'option_unsupported', message: expect.stringMatching(/^Option "poolRecycle" is not available on MySQL: .*poolIdleTimeout/) }),
    )
  })

  it('refuses a bad value of an accepted URL parameter', () => {
    expect(() => createEngine('mysql://app@localhost/app?connectTimeout=soon')).toThrow(/Option "connectTimeout" has the value "soon"; expected a whole number of milliseconds/)
  })
})
