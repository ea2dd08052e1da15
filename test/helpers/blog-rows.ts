// Rows of the example schema that several tests seed: the small blog the relation-filter and join tests query (plain rows with
// fixed ids), and users of every plan with their posts for the aggregate and groupBy tests; with the seeding that stores them.
import { Decimal, type Session } from 'prismalchemy'
import { Comment, Post, Role, User, type Plan } from '../../generated/models.js'
import type { TestDatabase } from './database.js'
import { capturedSql } from './sql-recorder.js'

/** The columns of the example schema's "users" table, qualified by its name as a statement with joins selects them. */
export const QUALIFIED_USER_COLUMNS = ['id', 'username', 'email', 'roleId', 'plan', 'active', 'quota', 'score', 'balance', 'settings', 'avatar', 'created_at', 'updated_at']
  .map((column) => `"users"."${column}"`)
  .join(', ')

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

/** The usernames a query over the blog's users returns, in its order, and the statements it ran; in a new session, closed after. */
export async function usernamesAndSql(
  database: TestDatabase,
  build: (session: Session) => { all(): Promise<User[]> },
): Promise<{ names: string[]; sql: string[] }> {
  const session = database.session()
  try {
    let names: string[] = []
    const sql = await capturedSql(database.engine, async () => {
      names = (await build(session).all()).map((user) => user.username)
    })
    return { names, sql }
  } finally {
    await session.close()
  }
}

/**
 * Users for aggregates: plans shared by several, Decimal balances exact in binary (SQLite stores them as REAL),
 * BigInt quotas (one past 2^53), creation dates, a nullable email.
 */
export const PLAN_USERS: readonly { username: string; plan: Plan; email: string | null; balance: string; quota: bigint; createdAt: Date }[] = [
  { username: 'ann', plan: 'PRO', email: 'ann@example.com', balance: '10.5', quota: 9007199254740993n, createdAt: new Date('2024-01-01T00:00:00Z') },
  { username: 'bob', plan: 'FREE', email: null, balance: '20.25', quota: 7n, createdAt: new Date('2024-03-01T12:00:00Z') },
  { username: 'cy', plan: 'PRO', email: 'cy@example.com', balance: '0.75', quota: 0n, createdAt: new Date('2023-06-15T08:30:00Z') },
  { username: 'dee', plan: 'ENTERPRISE', email: null, balance: '100', quota: 1024n, createdAt: new Date('2024-02-10T00:00:00Z') },
  { username: 'eve', plan: 'FREE', email: 'eve@example.com', balance: '3.125', quota: 5n, createdAt: new Date('2022-12-31T23:59:59Z') },
]

/** A post to seed with {@link PLAN_USERS}: its author (an index into PLAN_USERS), views and published flag. */
export type PlanPost = readonly [author: number, views: number, published: boolean]

/**
 * Stores {@link PLAN_USERS}, then `posts` titled `p0`, `p1`, ... in order, and commits.
 *
 * @returns The users' ids, in PLAN_USERS order.
 */
export async function seedPlanUsers(database: TestDatabase, posts: readonly PlanPost[]): Promise<number[]> {
  const seed = database.session()
  const users = PLAN_USERS.map((values) => new User({ ...values, balance: new Decimal(values.balance) }))
  seed.addAll(users)
  await seed.flush()
  const ids = users.map((user) => user.id)
  posts.forEach(([author, views, published], i) => seed.add(new Post({ title: `p${i}`, views, published, authorId: ids[author] })))
  await seed.commit()
  await seed.close()
  return ids
}
