// Type tests of JSON out (toJSON's result per column kind and include) and of the column options (loadOnly/defer take column names).
import { defer, loadOnly, type JsonValue, type ModelJSON, type Query, type Session } from 'prismalchemy'
import { expectTypeOf, test } from 'vitest'
import { Post, User, type Comment, type Plan, type Role } from '../../generated/models.js'

declare const session: Session
declare const user: User
declare const post: Post

/** The JSON of a User row: Date, bigint, Decimal and Uint8Array columns become strings; Json and enums stay. */
type UserJSON = {
  id: number
  username: string
  email: string | null
  roleId: number | null
  plan: Plan
  active: boolean
  quota: string
  score: number
  balance: string
  settings: JsonValue | null
  avatar: string | null
  createdAt: string
  updatedAt: string
}

/** One object type from an intersection, as toJSON's results are written. */
type Flat<T> = { [K in keyof T]: T[K] } & {}

type RoleJSON = { id: number; name: string }
type CommentJSON = { id: number; body: string; likes: number; postId: number; createdAt: string }
type PostJSON = { id: number; title: string; body: string; published: boolean; views: number; authorId: number }

test('toJSON() maps every column to its JSON type', () => {
  expectTypeOf(user.toJSON()).toEqualTypeOf<UserJSON>()
  expectTypeOf<ModelJSON<User>>().toEqualTypeOf<UserJSON>()
  expectTypeOf(post.toJSON()).toEqualTypeOf<PostJSON>()
})

test('include adds the named relationships as optional keys (left out when not loaded)', () => {
  expectTypeOf(user.toJSON({ include: ['role'] })).toEqualTypeOf<Flat<UserJSON & { role?: RoleJSON | null }>>()
  expectTypeOf(user.toJSON({ include: ['role'] }).role).toEqualTypeOf<RoleJSON | null | undefined>()
  expectTypeOf(post.toJSON({ include: ['comments', 'author'] }).comments).toEqualTypeOf<CommentJSON[] | undefined>()
  expectTypeOf(post.toJSON({ include: ['comments', 'author'] }).author).toEqualTypeOf<UserJSON | undefined>()
})

test('nested includes type the related objects with their own includes', () => {
  const json = post.toJSON({ include: { author: { include: ['role'] }, comments: true } })
  expectTypeOf(json.author).toEqualTypeOf<Flat<UserJSON & { role?: RoleJSON | null }> | undefined>()
  expectTypeOf(json.comments).toEqualTypeOf<CommentJSON[] | undefined>()
  const comment = {} as Comment
  expectTypeOf(comment.toJSON({ include: { post: { include: { comments: true } } } }).post).toEqualTypeOf<Flat<PostJSON & { comments?: CommentJSON[] }> | undefined>()
})

test('dynamic relationships and unknown names are refused in include', () => {
  // @ts-expect-error posts is dynamic: a query, never included
  user.toJSON({ include: ['posts'] })
  // @ts-expect-error posts is dynamic, in the object form too
  user.toJSON({ include: { posts: true } })
  // @ts-expect-error no such relationship
  post.toJSON({ include: ['nope'] })
})

test('_count is in the JSON of objects loaded with counts', () => {
  const counted = {} as Awaited<ReturnType<Query<Post & { readonly _count: { comments: number } }>['one']>>
  expectTypeOf(counted.toJSON()._count).toEqualTypeOf<{ comments: number }>()
  expectTypeOf<ModelJSON<Role>>().not.toHaveProperty('_count')
})

test('loadOnly and defer take the queried model columns', () => {
  expectTypeOf(session.query(Post).options(loadOnly('title'), defer('body'))).toEqualTypeOf<Query<Post>>()
  // @ts-expect-error not a column of Post
  session.query(Post).options(loadOnly('username'))
  // @ts-expect-error a relationship is not a column
  session.query(User).options(defer('role'))
  expectTypeOf(session.query(Post).distinct(['authorId'])).toEqualTypeOf<Query<Post>>()
  // @ts-expect-error not a column of Post
  session.query(Post).distinct(['nope'])
  expectTypeOf(session.refresh<Post>).parameter(1).toEqualTypeOf<readonly (keyof import('../../generated/models.js').PostColumns)[] | undefined>()
})
