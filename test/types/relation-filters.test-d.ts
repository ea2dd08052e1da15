// Type tests of relation filters, joins and related ordering: accepted shapes are typed by the related model, wrong names and fields are compile errors.
import type { DynamicRelationship, ModelWhereInput, Query, RelationFilterOf, RelationPath, Session, ToManyFilter, ToOneFilter } from 'prismalchemy'
import { expectTypeOf, test } from 'vitest'
import { Comment, Post, type Role, User } from '../../generated/models.js'

declare const session: Session
declare const role: Role

test('a relationship takes the filter of its kind, typed by its related model', () => {
  expectTypeOf<RelationFilterOf<Post[]>>().toEqualTypeOf<ToManyFilter<Post>>()
  expectTypeOf<RelationFilterOf<User>>().toEqualTypeOf<ToOneFilter<User>>()
  // An optional to-one also takes null (no related row).
  expectTypeOf<null>().toMatchTypeOf<RelationFilterOf<Role | null>>()
  expectTypeOf<null>().not.toMatchTypeOf<RelationFilterOf<User>>()
})

test('where accepts Prisma relation filters on to-one and to-many relationships, nested', () => {
  const users = session.query(User)
  expectTypeOf(users.where({ role: { is: { name: 'admin' } } })).toEqualTypeOf<Query<User>>()
  users.where({ role: { isNot: { name: 'admin' } } })
  users.where({ role: { name: 'admin' } })
  users.where({ role: null })
  users.where({ role: { is: null } })
  users.where({ posts: { some: { published: true, comments: { every: { likes: { gt: 0 } } } } } })
  users.where({ posts: { none: {} }, OR: [{ role: { users: { some: { username: 'ann' } } } }, { active: false }] })
  session.query(Comment).where({ post: { author: { role: { name: { startsWith: 'a' } } } } })
})

test('a wrong relationship name, a wrong field inside, or a wrong operator is a compile error', () => {
  const users = session.query(User)
  // @ts-expect-error no relationship "rol"
  users.where({ rol: { is: { name: 'admin' } } })
  // @ts-expect-error Role has no field "nme"
  users.where({ role: { is: { nme: 'admin' } } })
  // @ts-expect-error Role.name is a string
  users.where({ role: { name: 1 } })
  // @ts-expect-error a to-many takes some/every/none, not a where object of Post
  users.where({ posts: { published: true } })
  // @ts-expect-error a to-many is never null
  users.where({ posts: null })
  // @ts-expect-error a required to-one is never null
  session.query(Post).where({ author: null })
  // @ts-expect-error Post has no field "likes" (it is Comment's)
  users.where({ posts: { some: { likes: 1 } } })
})

test('a dynamic relationship is a query and takes relation filters too', () => {
  expectTypeOf(role.users.where({ posts: { some: { views: { gt: 5 } } } })).toEqualTypeOf<DynamicRelationship<User>>()
  // @ts-expect-error User has no relationship "comments"
  role.users.where({ comments: { some: {} } })
})

test('join and outerjoin take relationship paths, dotted through related models', () => {
  expectTypeOf<'role' | 'posts' | 'posts.author' | 'posts.comments' | 'role.users'>().toMatchTypeOf<RelationPath<User>>()
  expectTypeOf(session.query(Post).join('author.role')).toEqualTypeOf<Query<Post>>()
  session.query(User).outerjoin('posts.comments.post')
  // @ts-expect-error no relationship "rol"
  session.query(User).join('rol')
  // @ts-expect-error Role has no relationship "name" (a column)
  session.query(User).join('role.name')
})

test('orderBy takes a to-one relationship\'s columns, nested; never a to-many\'s', () => {
  session.query(User).orderBy({ role: { name: 'asc' } })
  session.query(Comment).orderBy([{ post: { author: { username: 'desc' } } }, { id: 'asc' }])
  // @ts-expect-error Role has no column "nme"
  session.query(User).orderBy({ role: { nme: 'asc' } })
  // @ts-expect-error a to-many has no single value to sort by
  session.query(User).orderBy({ posts: { views: 'asc' } })
  // @ts-expect-error a direction is asc or desc
  session.query(User).orderBy({ role: { name: 'up' } })
})

test('ModelWhereInput is the where object of a model', () => {
  const where: ModelWhereInput<Post> = { author: { is: { active: true } }, comments: { some: {} } }
  expectTypeOf(session.query(Post).where(where)).toEqualTypeOf<Query<Post>>()
})
