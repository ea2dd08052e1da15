/** Hono middleware: one `db.session` per request, ended when the handlers are done or the client aborts. */
import type { MiddlewareHandler } from 'hono'
import { NotFoundError } from '../errors.js'
import { openRequestScope, requestOwner, type ScopedDb, type ScopeMiddlewareOptions } from './request-scope.js'

export type { ScopedDb, ScopeMiddlewareOptions } from './request-scope.js'

/**
 * Hono middleware that gives every request its own scope: `db.session` anywhere in the downstream
 * middleware and handlers, and everything they await or schedule, is that request's Session, and
 * no other request sees it. Use it first, so every other middleware runs inside the scope.
 *
 * The scope ends exactly once: when `await next()` is done, that is when the response has been
 * built (Hono has no portable "response sent" event; a streamed body must not use `db.session`),
 * or earlier when the request's `signal` aborts because the client went away while a handler was
 * still working. Ending it closes the session: what was not committed is rolled back and the
 * connection goes back to the pool. Code that still uses `db.session` after that gets
 * `NoScopeError`.
 *
 * With `commitOnTeardown`, the request succeeded when no error was raised (`c.error` is unset) and
 * the response's status is below 400. Teardown errors go to `onTeardownError` and leave the
 * response as it is, as in the other frameworks.
 *
 * Hono's default error handler answers every error with 500, so this middleware answers a
 * `NotFoundError` (`db.getOr404`, `query.firstOr404`, ...) with 404 and the error's message,
 * unless your `app.onError` already gave it a status below 500. (The default handler still logs
 * the error; an `app.onError` that returns `c.text(err.message, 404)` for `NotFoundError` avoids that.)
 *
 * ### Examples
 * ```ts
 * import { Hono } from 'hono'
 * import { honoScope } from 'prismalchemy/hono'
 * import { db } from './generated/db.js'
 * import { Role } from './generated/models.js'
 *
 * const app = new Hono()
 * app.use(honoScope(db, { commitOnTeardown: true }))
 * app.post('/roles', async (c) => {
 *   const { name } = await c.req.json<{ name: string }>()
 *   db.session.add(new Role({ name }))   // committed when the handler succeeded
 *   return c.body(null, 201)
 * })
 * app.get('/roles/:id', async (c) => c.json(await db.getOr404(Role, Number(c.req.param('id')))))   // 404 when missing
 * ```
 */
export function honoScope(db: ScopedDb, options: ScopeMiddlewareOptions = {}): MiddlewareHandler {
  return async (c, next) => {
    const scope = openRequestScope(db, options, requestOwner(c.req.method, c.req.path))
    const signal = c.req.raw.signal
    const onAbort = (): void => void scope.end(false)
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      await scope.run(next)
    } catch (error) {
      await scope.end(false)
      throw error
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
    if (c.error instanceof NotFoundError && c.res.status >= 500) c.res = c.text(c.error.message, 404)
    await scope.end(c.error === undefined && c.res.status < 400 && !signal.aborted)
  }
}
