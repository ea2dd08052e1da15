/** Koa middleware: one `db.session` per request, ended when the response finishes or the connection closes. */
import type { Middleware } from 'koa'
import { openRequestScope, requestOwner, type ScopedDb, type ScopeMiddlewareOptions } from './request-scope.js'

export type { ScopedDb, ScopeMiddlewareOptions } from './request-scope.js'

/**
 * Koa middleware that gives every request its own scope: `db.session` anywhere in the downstream
 * middleware and everything they await or schedule is that request's Session, and no other request
 * sees it. Use it first (outermost), so every other middleware runs inside the scope.
 *
 * The scope ends exactly once, when the response has been sent (`finish`) or the connection closed
 * before that (`close`, e.g. the client went away while a handler was still working); a streamed
 * body can still use `db.session` until then. Ending it closes the session: what was not committed
 * is rolled back and the connection goes back to the pool. Code that still uses `db.session` after
 * that gets `NoScopeError`.
 *
 * With `commitOnTeardown`, the request succeeded when no error came out of `await next()` and the
 * whole response was sent with a status below 400.
 *
 * `NotFoundError` (`db.getOr404`, `query.firstOr404`, ...) carries `status` 404 and `expose`, which
 * Koa's default error handling answers with 404 and the error's message.
 *
 * ### Examples
 * ```ts
 * import Koa from 'koa'
 * import { koaScope } from 'prismalchemy/koa'
 * import { db } from './generated/db.js'
 * import { Role } from './generated/models.js'
 *
 * const app = new Koa()
 * app.use(koaScope(db, { commitOnTeardown: true }))
 * app.use(async (ctx) => {
 *   const role = await db.getOr404(Role, Number(ctx.query.id))   // 404 when there is no such role
 *   role.name = String(ctx.query.name)                            // committed after the response
 *   ctx.body = role
 * })
 * ```
 */
export function koaScope(db: ScopedDb, options: ScopeMiddlewareOptions = {}): Middleware {
  return async (ctx, next) => {
    const scope = openRequestScope(db, options, requestOwner(ctx.method, ctx.originalUrl))
    let failed = false
    const res = ctx.res
    res.once('finish', () => void scope.end(!failed && res.statusCode < 400))
    // 'close' also follows every 'finish'; alone it means the connection closed before the response was sent.
    res.once('close', () => void scope.end(false))
    try {
      await scope.run(next)
    } catch (error) {
      failed = true
      throw error
    }
  }
}
