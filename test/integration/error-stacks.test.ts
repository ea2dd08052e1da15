// An error from the database carries the application's own frames in its stack (V8's async stack trace), whichever path the statement took: a session's first statement (its connection checked out) or a later one, a lone write, a write inside the transaction.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DatabaseError, sql, UniqueViolationError, type Session } from 'prismalchemy'
import { Role } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { DIALECTS, type TestDialect } from '../helpers/dialects.js'

/** The error `work` rejects with. */
async function failureOf(work: () => Promise<unknown>): Promise<Error> {
  try {
    await work()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a failure')
}

/** Whether `error`'s stack names the application function `name` in this file (an `at` line, sync or async). */
function namesCaller(error: Error, name: string): boolean {
  return (error.stack ?? '').split('\n').some((line) => line.includes(name) && line.includes('error-stacks.test.ts'))
}

// Application code, as a user would write it: each a named async function awaiting prismalchemy.
async function readMissingColumn(session: Session): Promise<unknown> {
  return await session.execute(sql`SELECT "missing" FROM "Role"`)
}

async function failedReadAfterQuery(session: Session): Promise<unknown> {
  await session.query(Role).count()
  return await session.execute(sql`SELECT "missing" FROM "Role"`)
}

async function commitDuplicateAlone(session: Session): Promise<void> {
  session.add(new Role({ name: 'admin' }))
  await session.commit()
}

async function commitDuplicateInTransaction(session: Session): Promise<void> {
  session.add(new Role({ name: 'editor' }))
  session.add(new Role({ name: 'admin' }))
  await session.commit()
}

describe.each(DIALECTS)('on %s', (dialect: TestDialect) => {
  let database: TestDatabase

  beforeEach(async () => {
    database = await createTestDatabase({}, dialect)
    const session = database.session()
    session.add(new Role({ name: 'admin' }))
    await session.commit()
    await session.close()
  })

  afterEach(async () => {
    await database.dispose()
  })

  /** Runs each application function on a session of its own and checks its error: of `kind`, its stack naming the function. */
  async function expectStacksNamingCaller(kind: abstract new (...args: never[]) => Error, works: readonly ((session: Session) => Promise<unknown>)[]): Promise<void> {
    for (const work of works) {
      const session = database.session()
      const error = await failureOf(() => work(session))
      expect(error).toBeInstanceOf(kind)
      expect(namesCaller(error, work.name), error.stack).toBe(true)
      await session.close()
    }
  }

  it("names the application's function in a failed read's stack, first statement or not", async () => {
    await expectStacksNamingCaller(DatabaseError, [readMissingColumn, failedReadAfterQuery])
  })

  it("names the application's function in a failed commit's stack, alone or in the transaction", async () => {
    await expectStacksNamingCaller(UniqueViolationError, [commitDuplicateAlone, commitDuplicateInTransaction])
  })
})
