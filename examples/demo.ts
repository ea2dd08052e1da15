/** The demo: a session on the embedded SQLite file, the identity map, dynamic vs select loading, and the queries a real app needs, with the SQL echoed. */
import type { AddressInfo } from 'node:net'
import { inspect, loadOnly, selectinload } from 'prismalchemy'
import { db } from '../generated/db.js'
import { Comment, Post, Role, User } from '../generated/models.js'
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

step('Queries a real app needs: seed a small blog with one multi-row INSERT per table (no objects)')
db.engine.echo = false
const blog = db.Session()
const [annId, bobId] = [ann.id, bob.id]
await blog.insertMany(Post, [
  { title: 'Ports and adapters', body: 'long read', published: true, views: 40, authorId: annId },
  { title: 'Identity maps', published: true, views: 72, authorId: bobId },
  { title: 'draft: streaming', authorId: bobId },
])
const postIds = (await blog.query(Post).orderBy({ id: 'asc' }).all()).map((p) => p.id)
await blog.insertMany(Comment, [
  { postId: postIds[1], body: 'Clear, thanks', likes: 5 },
  { postId: postIds[1], body: 'What about weak refs?', likes: 1 },
  { postId: postIds[2], body: 'More please', likes: 7 },
])
await blog.commit()
db.engine.echo = true

step('Relation filters: each is a correlated EXISTS, so no user comes back twice')
console.log('admins:', (await blog.query(User).where({ role: { is: { name: 'admin' } } }).orderBy({ username: 'asc' }).all()).map((u) => u.username))
console.log('with a post someone liked a lot:', (await blog.query(User).where({ posts: { some: { comments: { some: { likes: { gt: 4 } } } } } }).all()).map((u) => u.username))
console.log('roleless, every post published:', await blog.query(User).where({ posts: { every: { published: true } }, role: null }).count())

step('Joins and ordering by a related column')
const liked = await blog.query(Comment).join('post.author').where({ likes: { gt: 0 } }).orderBy({ post: { author: { username: 'asc' } } }).all()
console.log('comments by author name:', liked.map((c) => c.body))

step('A page of posts with their comment counts: one statement for the page, one for the total')
const page = await blog.query(Post).withCount('comments').orderBy({ id: 'desc' }).paginate({ perPage: 10 })
console.log(page.items.map((p) => `${p.title}: ${p._count.comments}`), 'of', page.total)

step('Aggregates and groups, with Prisma\'s names')
console.log(await blog.query(Post).where({ published: true }).aggregate({ _count: true, _sum: { views: true }, _avg: { views: true } }))
console.log(await blog.query(Post).groupBy(['authorId'], { _count: { _all: true }, having: { views: { _sum: { gt: 50 } } } }))

step('Some columns only: reading an unloaded one throws, refresh() loads it')
const reader = db.Session() // a fresh identity map: an object loaded whole elsewhere keeps every column
const [titleOnly] = await reader.query(Post).options(loadOnly('title')).orderBy({ id: 'asc' }).limit(1).all()
try {
  console.log(titleOnly.body)
} catch (error) {
  console.log('reading body:', (error as Error).name)
}
await reader.refresh(titleOnly, ['body'])
console.log('after refresh:', titleOnly.body)
await reader.close()

step('Bulk writes: one statement each; objects in the session are kept in step')
console.log('updated:', await blog.query(Post).where({ published: false }).update({ views: { increment: 1 } }))
const author = (await blog.get(User, bobId))!
console.log('deleted:', await author.posts.where({ title: { startsWith: 'draft' } }).delete())
await blog.commit()

step('Streaming: a batch at a time (better-sqlite3 iterate(); a server-side cursor on PostgreSQL)')
db.engine.echo = false
for await (const user of blog.query(User).orderBy({ id: 'asc' }).stream({ batchSize: 2, release: true })) console.log('streamed', user.username)

step('JSON out as Prisma writes it, loaded relationships on request, and a short console repr')
const [first] = await blog.query(Post).options(selectinload('comments')).orderBy({ id: 'asc' }).limit(1).all()
console.log(JSON.stringify(first))
console.log(JSON.stringify(first.toJSON({ include: ['comments'] })))
console.log(await blog.get(User, annId))
await blog.close()

step('Request scoping over real HTTP: each request gets its own db.session, closed when the response is done')
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
