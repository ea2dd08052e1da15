// What some work rejects with, in a throwaway session: the error tests assert on, with the session closed either way.
import { Session, type Engine } from 'prismalchemy'

/** What `work` rejects with (undefined when it resolves), run in a new session on `engine` that is closed afterwards. */
export async function failureInSession(engine: Engine, work: (session: Session) => Promise<unknown>): Promise<unknown> {
  const session = new Session({ bind: engine })
  try {
    return await work(session).then(
      () => undefined,
      (error: unknown) => error,
    )
  } finally {
    await session.close()
  }
}
