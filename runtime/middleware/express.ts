/** Express middleware: one `db.session` per request, ended when the response finishes or the connection closes. */
import type { RequestHandler } from 'express'
import { openRequestScope, requestOwner, type ScopedDb, type ScopeMiddlewareOptions } from './request-scope.js'

export type { ScopedDb, ScopeMiddlewareOptions } from './request-scope.js'

/**
 * Express 5 middleware that gives every request its own scope: `db.session` anywhere in the
 * request's async call tree (later middleware, the handler, error handlers, what they await or
 * schedule) is that request's Session, and no other request sees it.
 *
 * The scope ends exactly once, when the response has been sent (`finish`) or the connection closed
 * before that (`close`, e.g. the client went away while the handler was still working). Ending it
 * closes the session: what was not committed is rolled back and the connection goes back to the
 * pool. Code that still uses `db.session` after that gets `NoScopeError`.
 *
 * With `commitOnTeardown`, the request succeeded when the whole response was sent with a status
 * below 400. Express turns a thrown error (also a rejected async handler) or `next(error)` into an
 * error status, so those roll back, unless an error handler of yours answers them with a status
 * below 400.
 *
 * `NotFoundError` (`db.getOr404`, `query.firstOr404`, ...) carries `status` 404, which Express's
 * default error handler answers with 404.
 *
 * Mount it early. `express.json()` and the other body-parser middleware carry the request's async
 * context across reading the body; a body parser that does not (one that calls `next()` from a raw
 * stream callback) loses the scope for everything behind it, so mount such a parser before this.
 *
 * ### Examples
 * ```ts
 * import express from 'express'
 * import { expressScope } from 'prismalchemy/express'
 * import { db } from './generated/db.js'
 * import { Role } from './generated/models.js'
 *
 * const app = express()
 * app.use(expressScope(db))
 * app.use(express.json())
 * app.post('/roles', async (req, res) => {
 *   db.session.add(new Role({ name: req.body.name }))
 *   await db.session.commit()
 *   res.status(201).end()
 * })
 * app.get('/roles/:id', async (req, res) => {
 *   res.json(await db.getOr404(Role, Number(req.params.id)))   // 404 when there is no such role
 * })
 * ```
 */
export function expressScope(db: ScopedDb, options: ScopeMiddlewareOptions = {}): RequestHandler {
  return (req, res, next) => {
    const scope = openRequestScope(db, options, requestOwner(req.method, req.originalUrl))
    res.once('finish', () => void scope.end(res.statusCode < 400))
    // 'close' also follows every 'finish'; alone it means the connection closed before the response was sent.
    res.once('close', () => void scope.end(false))
    scope.run(() => next())
  }
}
