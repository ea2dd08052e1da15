// Runs a test's work in a fresh session of a test database, closed whatever happens (as InlineModels.inSession does for inline schemas).
import type { Session } from 'prismalchemy'
import type { TestDatabase } from './database.js'

/** Runs `work` in a new session of `database` and always closes it (rolling back what was not committed). */
export async function inSession(database: TestDatabase, work: (session: Session) => Promise<void>): Promise<void> {
  const session = database.session()
  try {
    await work(session)
  } finally {
    await session.close()
  }
}
