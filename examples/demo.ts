/** The demo: a session on the embedded SQLite file, the identity map, and dynamic vs select loading, with the SQL echoed. */
import type { AddressInfo } from 'node:net'
import { inspect } from 'prismalchemy'
import { db } from '../generated/db.js'
import { Post, Role, User } from '../generated/models.js'
import { createApp } from './http-app.js'

function step(title: string): void {
  console.log(`\n-- ${title}`)
}

db.configure({ url: process.env.DATABASE_URL ?? 'file:./demo.db', echo: true })

step('Create the tables through Prisma\'s schema engine (like `prisma db push`)')
await db.dropAll()
await db.createAll()

step('One unit of work: the Role INSERT comes first, then one batched INSERT for the users')
const session = db.Session()
const admin = new Role({ name: 'admin' })
const ann = new User({ username: 'ann', email: 'ann@example.com', role: admin })
const bob = new User({ username: 'bob', role: admin })
const cid = new User({ username: 'cid' })
session.addAll([admin, ann, bob, cid])
console.log('state before flush:', inspect(ann).state)
await session.commit()
console.log('state after commit:', inspect(ann).state, 'id', ann.id)

step('The identity map: after commit the first get() refreshes the row (expire on commit); the next is answered from memory')
const again = await session.get(User, ann.id)
const sameAgain = await session.get(User, ann.id)
console.log('same object:', again === sameAgain)

step('select: `await user.role` loads once; the role is then answered from memory')
const role = await ann.role
const roleAgain = await ann.role
console.log('role:', role?.name, '| second await reused it:', role === roleAgain)

step('select, many-to-one: bob\'s role is already in the identity map, so no SQL at all')
console.log('bob.role:', (await bob.role)?.name)

step('dynamic: role.users is a query; refine, count, append')
console.log('users in admin:', await admin.users.count())
console.log('named ann:', await admin.users.filterBy({ username: 'ann' }).count())
admin.users.append(cid)
console.log('after append (autoflush):', (await admin.users.orderBy({ username: 'asc' }).all()).map((u) => u.username))

step('A change to one column updates only that column')
ann.email = 'ann@corp.example'
await session.flush()

step('A dynamic to-many on users: posts')
ann.posts.append(new Post({ title: 'Hello', body: 'First post' }))
console.log('ann has posts:', await ann.posts.count())
await session.commit()

step('A failed flush: the session refuses work until rollback()')
session.add(new Role({ name: 'admin' }))
try {
  await session.flush()
} catch (error) {
  console.log('flush failed:', (error as Error).name, (error as { constraint?: string }).constraint)
}
try {
  await session.query(Role).count()
} catch (error) {
  console.log('then:', (error as Error).name)
}
await session.rollback()
console.log('after rollback, roles:', await session.query(Role).count())
await session.close()

step('Request scoping over real HTTP: each request gets its own db.session, closed when the response is done')
db.engine.echo = false
const server = createApp().listen(0, '127.0.0.1')
await new Promise((resolve) => server.once('listening', resolve))
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const post = (path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
console.log('POST /roles/draft ->', (await post('/roles/draft', { name: 'draft' })).status, '(flushed, not committed)')
console.log('POST /roles       ->', (await post('/roles', { name: 'editor' })).status, '(committed)')
console.log('GET  /roles       ->', await (await fetch(`${base}/roles`)).json())
console.log('GET  /users/1     ->', await (await fetch(`${base}/users/1`)).json())
console.log('GET  /users/999   ->', (await fetch(`${base}/users/999`)).status)
console.log('connections checked out after the requests:', db.engine.poolStatus().checkedOut)
server.close()
await db.dispose()
