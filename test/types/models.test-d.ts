// Type tests of the committed generated models: relationship types per strategy, typed filters and keys, constructor input, column types.
import type { Decimal, DynamicRelationship, JsonValue, Query, Session } from 'prismalchemy'
import { expectTypeOf, test } from 'vitest'
import { Plan, type Post, Role, User } from '../../generated/models.js'

declare const session: Session
declare const role: Role
declare const user: User
declare const post: Post

test('a dynamic relationship is a query with filterBy, count and append, not an array', () => {
  expectTypeOf(role.users).toEqualTypeOf<DynamicRelationship<User>>()
  expectTypeOf(role.users).not.toBeArray()
  expectTypeOf(role.users.filterBy).toBeFunction()
  expectTypeOf(role.users.filterBy({ active: true })).toEqualTypeOf<DynamicRelationship<User>>()
  expectTypeOf(role.users.count).returns.resolves.toBeNumber()
  expectTypeOf(role.users.append).parameters.toEqualTypeOf<[User]>()
  expectTypeOf(role.users.filterBy({ active: true }).all()).resolves.toEqualTypeOf<User[]>()
  // @ts-expect-error a dynamic relationship is read-only
  role.users = role.users
  // @ts-expect-error it is not an array
  void role.users.length
})

test('an optional select to-one awaits to Role | null and accepts a Role or null', () => {
  expectTypeOf(user.role).resolves.toEqualTypeOf<Role | null>()
  user.role = role
  user.role = null
  // @ts-expect-error only a Role can be assigned
  user.role = post
})

test('a required select to-one awaits to the object itself and refuses null', () => {
  expectTypeOf(post.author).resolves.toEqualTypeOf<User>()
  post.author = user
  // @ts-expect-error the relation is required
  post.author = null
})

test('filterBy accepts only column names with their value types', () => {
  session.query(User).filterBy({ username: 'x', active: true })
  // @ts-expect-error misspelt column
  session.query(User).filterBy({ usernme: 'x' })
  // @ts-expect-error wrong value type
  session.query(User).filterBy({ username: 1 })
})

test('where offers string operators on string columns only', () => {
  session.query(User).where({ username: { contains: 'a' } })
  session.query(User).where({ quota: { gt: 10n }, OR: [{ email: null }, { email: { endsWith: '.org' } }] })
  // @ts-expect-error contains is a string operator; quota is a BigInt column
  session.query(User).where({ quota: { contains: 'a' } })
  // @ts-expect-error quota compares with bigint, not number
  session.query(User).where({ quota: { gt: 10 } })
  expectTypeOf(session.query(User).where({ username: { startsWith: 'a' } }).first()).resolves.toEqualTypeOf<User | null>()
})

test('session.get takes the primary-key type and resolves to the model or null', () => {
  expectTypeOf(session.get(User, 1)).resolves.toEqualTypeOf<User | null>()
  // @ts-expect-error User's key is a number
  void session.get(User, 'x')
})

test('the constructor accepts columns and to-one relationships, nothing else', () => {
  expectTypeOf(new User({ username: 'x', role })).toEqualTypeOf<User>()
  new User({ username: 'x', role: null, plan: Plan.PRO })
  new User()
  // @ts-expect-error unknown property
  new User({ nope: 1 })
  // @ts-expect-error a collection is not a constructor input
  new Role({ users: [] })
})

test('columns have the TypeScript types of their Prisma scalars', () => {
  expectTypeOf(user.id).toEqualTypeOf<number>()
  expectTypeOf(user.username).toEqualTypeOf<string>()
  expectTypeOf(user.email).toEqualTypeOf<string | null>()
  expectTypeOf(user.quota).toEqualTypeOf<bigint>()
  expectTypeOf(user.balance).toEqualTypeOf<Decimal>()
  expectTypeOf(user.createdAt).toEqualTypeOf<Date>()
  expectTypeOf(user.settings).toEqualTypeOf<JsonValue | null>()
  expectTypeOf(user.avatar).toEqualTypeOf<Uint8Array | null>()
  expectTypeOf(user.plan).toEqualTypeOf<Plan>()
  expectTypeOf<Plan>().toEqualTypeOf<'FREE' | 'PRO' | 'ENTERPRISE'>()
})

test('Model.query is a query over the model on the current scope\'s session', () => {
  expectTypeOf(User.query).toEqualTypeOf<Query<User>>()
  expectTypeOf(User.query.filterBy({ username: 'ann' }).first()).resolves.toEqualTypeOf<User | null>()
})
