/** What the framework middleware share: their options, and one scope per request that ends exactly once. */
import type { ConnectionOwner } from '../engine/driver.js'
import type { ScopedSession } from '../orm/scoping.js'

/** Options of every framework middleware (`expressScope`, `fastifyScope`, `koaScope`, `honoScope`). */
export interface ScopeMiddlewareOptions {
  /**
   * Commit the request's session at teardown when the request succeeded, roll it back otherwise
   * (Flask-SQLAlchemy's old `SQLALCHEMY_COMMIT_ON_TEARDOWN`). Default false: teardown always rolls
   * back what the handler did not commit itself. Each middleware documents what "succeeded" means
   * for its framework; a client that disconnects early never counts as success.
   *
   * A commit at teardown happens once the response is complete, so a failing commit cannot change
   * it any more (it goes to {@link onTeardownError}). Commit in the handler when the client must
   * learn about a failed commit.
   */
  readonly commitOnTeardown?: boolean | undefined
  /**
   * Called with an error raised while ending the scope (a failed commit, a failed rollback), which
   * can no longer reach the client. Default: `console.error`.
   */
  readonly onTeardownError?: ((error: unknown) => void) | undefined
}

/** The part of the `db` object the middleware use: its scoped session. */
export interface ScopedDb {
  readonly session: ScopedSession
}

/** One request's scope. @internal */
export interface RequestScope {
  /** Runs `fn` (and everything it awaits or schedules) inside the request's scope. */
  run<R>(fn: () => R): R
  /**
   * Ends the scope; only the first call counts. Commits first when `commitOnTeardown` is on and
   * `succeeded` is true. Never rejects: teardown errors go to `onTeardownError`.
   */
  end(succeeded: boolean): Promise<void>
}

/** A request session's owner label for `PoolTimeoutError`: `GET /path`, without the query string, built only when asked. @internal */
export function requestOwner(method: string, url: string): () => string {
  return () => `${method} ${url.split('?', 1)[0]}`
}

/** Opens the scope of one request on `db.session`; `owner` names its session in `PoolTimeoutError`. @internal */
export function openRequestScope(db: ScopedDb, options: ScopeMiddlewareOptions = {}, owner?: ConnectionOwner): RequestScope {
  const handle = db.session.open(owner)
  const report = options.onTeardownError ?? ((error: unknown) => console.error('prismalchemy: ending the request scope failed:', error))
  let ending: Promise<void> | undefined
  return {
    run: (fn) => handle.run(fn),
    end: (succeeded) => {
      // Inside the scope, so a teardown commit's statements are recorded with the request's.
      ending ??= handle.run(() => handle.end({ commit: options.commitOnTeardown === true && succeeded })).catch((error: unknown) => {
        try {
          report(error)
        } catch {
          // A throwing reporter must not turn into an unhandled rejection after the response.
        }
      })
      return ending
    },
  }
}
