// The small blog the relation-filter and join tests query (example schema): plain rows with fixed ids, and the seeding that stores them.
import { Comment, Post, Role, User } from '../../generated/models.js'
import type { TestDatabase } from './database.js'

/** The rows, with fixed ids: role "viewer" has no user, cy has no role and no post, posts "draft" and "notes" have no comment. */
export const ROLES = [
  { id: 1, name: 'admin' },
  { id: 2, name: 'editor' },
  { id: 3, name: 'viewer' },
]
export const USERS = [
  { id: 1, username: 'ann', email: 'ann@example.com', roleId: 1, active: true },
  { id: 2, username: 'bob', email: null, roleId: 2, active: true },
  { id: 3, username: 'cy', email: 'cy@example.com', roleId: null, active: false },
  { id: 4, username: 'dee', email: null, roleId: 1, active: false },
]
export const POSTS = [
  { id: 1, title: 'hello', published: true, views: 10, authorId: 1 },
  { id: 2, title: 'draft', published: false, views: 0, authorId: 1 },
  { id: 3, title: 'news', published: true, views: 7, authorId: 2 },
  { id: 4, title: 'notes', published: false, views: 3, authorId: 4 },
  { id: 5, title: 'more', published: true, views: 1, authorId: 4 },
]
export const COMMENTS = [
  { id: 1, body: 'nice', likes: 3, postId: 1 },
  { id: 2, body: 'meh', likes: 0, postId: 1 },
  { id: 3, body: 'wow', likes: 5, postId: 3 },
  { id: 4, body: 'ok', likes: 1, postId: 5 },
]

/** Stores the rows above, parents first, and commits. */
export async function seedBlog(database: TestDatabase): Promise<void> {
  const seed = database.session()
  seed.addAll(ROLES.map((row) => new Role(row)))
  await seed.flush()
  seed.addAll(USERS.map((row) => new User(row)))
  await seed.flush()
  seed.addAll(POSTS.map((row) => new Post(row)))
  await seed.flush()
  seed.addAll(COMMENTS.map((row) => new Comment(row)))
  await seed.commit()
  await seed.close()
}
