/** A small Express app on `db.session`: one session per request, closed (and rolled back if uncommitted) when the response is done. */
import express, { type ErrorRequestHandler } from 'express'
import { NotFoundError } from 'prismalchemy'
import { expressScope } from 'prismalchemy/express'
import { db } from '../generated/db.js'
import { Role, User } from '../generated/models.js'

/** Builds the app: list roles (paginated), add a role (committed), add a role without committing, get a user or 404. */
export function createApp(): express.Express {
  const app = express()
  app.use(expressScope(db))
  app.use(express.json())
  app.get('/roles', async (req, res) => {
    const page = await db.paginate(Role.query.orderBy({ name: 'asc' }), { page: req.query.page, perPage: 10 })
    res.json({ page: page.page, pages: page.pages, total: page.total, roles: page.items.map((role) => role.name) })
  })
  app.post('/roles', async (req, res) => {
    db.session.add(new Role({ name: String(req.body.name) }))
    await db.session.commit()
    res.status(201).json({ created: req.body.name })
  })
  app.post('/roles/draft', async (req, res) => {
    // Added and flushed, never committed: the end of the request rolls it back.
    db.session.add(new Role({ name: String(req.body.name) }))
    await db.session.flush()
    res.status(202).json({ flushed: req.body.name, committed: false })
  })
  app.get('/users/:id', async (req, res) => {
    const user = await db.getOr404(User, Number(req.params.id))
    res.json({ username: user.username, role: (await user.role)?.name ?? null })
  })
  // Express answers NotFoundError with 404 by itself; this handler only makes the body JSON and skips the stack trace log.
  const notFoundAsJson: ErrorRequestHandler = (error, _req, res, next) => {
    if (error instanceof NotFoundError) res.status(404).json({ error: error.message })
    else next(error)
  }
  app.use(notFoundAsJson)
  return app
}
