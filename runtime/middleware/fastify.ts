/** Fastify plugin: one `db.session` per request, ended when the response is sent or the client aborts. */
import type { FastifyPluginCallback, FastifyRequest } from 'fastify'
import { openRequestScope, requestOwner, type RequestScope, type ScopedDb, type ScopeMiddlewareOptions } from './request-scope.js'

export type { ScopedDb, ScopeMiddlewareOptions } from './request-scope.js'

/** The scope of each request in flight, and whether an error was raised in it. */
interface RequestState {
  readonly scope: RequestScope
  failed: boolean
}

/**
 * Fastify plugin that gives every request its own scope: `db.session` anywhere in the request's
 * hooks, handler and error handler, and everything they await or schedule, is that request's
 * Session, and no other request sees it. The plugin is not encapsulated (like `fastify-plugin`),
 * so it applies to every route of the instance it is registered on, including routes of plugins
 * registered later.
 *
 * The scope opens in `onRequest`, which runs the rest of the request inside it (the
 * `@fastify/request-context` approach; `preValidation` enters it again in case a body parser
 * resumed outside it), and ends exactly once: in `onResponse` when the response has been
 * sent, or in `onRequestAbort` / on the connection's `close` when the client went away first.
 * Ending it closes the session: what was not committed is rolled back and the connection goes back
 * to the pool. Code that still uses `db.session` after that gets `NoScopeError`.
 *
 * With `commitOnTeardown`, the request succeeded when no error reached Fastify's `onError` hook
 * and the whole response was sent with a status below 400.
 *
 * `NotFoundError` (`db.getOr404`, `query.firstOr404`, ...) carries `statusCode` 404, which Fastify's
 * default error handler answers with 404 and the error's message.
 *
 * ### Examples
 * ```ts
 * import Fastify from 'fastify'
 * import { fastifyScope } from 'prismalchemy/fastify'
 * import { db } from './generated/db.js'
 * import { Role } from './generated/models.js'
 *
 * const app = Fastify()
 * await app.register(fastifyScope(db, { commitOnTeardown: true }))
 * app.post<{ Body: { name: string } }>('/roles', async (request, reply) => {
 *   db.session.add(new Role({ name: request.body.name }))   // committed after a successful response
 *   return reply.code(201).send()
 * })
 * app.get<{ Params: { id: string } }>('/roles/:id', (request) => db.getOr404(Role, Number(request.params.id)))
 * ```
 */
export function fastifyScope(db: ScopedDb, options: ScopeMiddlewareOptions = {}): FastifyPluginCallback {
  const states = new WeakMap<FastifyRequest, RequestState>()
  const plugin: FastifyPluginCallback = (fastify, _pluginOptions, done) => {
    fastify.addHook('onRequest', (request, reply, next) => {
      const state: RequestState = { scope: openRequestScope(db, options, requestOwner(request.method, request.url)), failed: false }
      states.set(request, state)
      // Backstop for onRequestAbort, whose detection Fastify documents as not fully reliable:
      // 'close' without 'finish' is a connection lost mid-request (onResponse handles 'finish').
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) void state.scope.end(false)
      })
      state.scope.run(() => next())
    })
    fastify.addHook('preValidation', (request, _reply, next) => {
      const state = states.get(request)
      if (state === undefined) next()
      else state.scope.run(() => next())
    })
    fastify.addHook('onError', (request, _reply, _error, next) => {
      const state = states.get(request)
      if (state !== undefined) state.failed = true
      next()
    })
    fastify.addHook('onResponse', async (request, reply) => {
      const state = states.get(request)
      if (state !== undefined) await state.scope.end(!state.failed && reply.statusCode < 400)
    })
    fastify.addHook('onRequestAbort', (request, next) => {
      void states.get(request)?.scope.end(false)
      next()
    })
    done()
  }
  // Not encapsulated: the hooks apply to the instance the plugin is registered on (what fastify-plugin does).
  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'prismalchemy-scope',
  })
}
