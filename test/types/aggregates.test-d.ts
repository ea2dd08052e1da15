// Type tests of aggregate(), groupBy() and withCount(): results typed from the arguments, as PrismaClient types them.
import type { Decimal, Query, Session } from 'prismalchemy'
import { expectTypeOf, test } from 'vitest'
import { Post, Role, User, type Plan } from '../../generated/models.js'

declare const session: Session
declare const user: User

test('_count: true is a number; _count of fields is an object of numbers', async () => {
  expectTypeOf(await session.query(Post).aggregate({ _count: true })).toEqualTypeOf<{ _count: number }>()
  expectTypeOf(await session.query(User).aggregate({ _count: { _all: true, email: true } })).toEqualTypeOf<{ _count: { _all: number; email: number } }>()
})

test('_sum and _avg follow the column type and are nullable; _min/_max keep it', async () => {
  const result = await session.query(User).aggregate({
    _sum: { quota: true, balance: true, score: true },
    _avg: { quota: true, balance: true },
    _min: { createdAt: true, username: true, plan: true },
    _max: { quota: true },
  })
  expectTypeOf(result._sum).toEqualTypeOf<{ quota: bigint | null; balance: Decimal | null; score: number | null }>()
  expectTypeOf(result._avg).toEqualTypeOf<{ quota: number | null; balance: Decimal | null }>()
  expectTypeOf(result._min).toEqualTypeOf<{ createdAt: Date | null; username: string | null; plan: Plan | null }>()
  expectTypeOf(result._max).toEqualTypeOf<{ quota: bigint | null }>()
  expectTypeOf(result).not.toHaveProperty('_count')
})

test('aggregate refuses columns of the wrong kind and unknown ones', () => {
  // @ts-expect-error a String has no sum
  void session.query(User).aggregate({ _sum: { username: true } })
  // @ts-expect-error a Boolean has no extremes
  void session.query(User).aggregate({ _max: { active: true } })
  // @ts-expect-error Json has no extremes
  void session.query(User).aggregate({ _min: { settings: true } })
  // @ts-expect-error no such column
  void session.query(Post).aggregate({ _avg: { likes: true } })
  // @ts-expect-error no such column, next to one that exists
  void session.query(Post).aggregate({ _sum: { views: true, nope: true } })
  // @ts-expect-error no such column to count
  void session.query(Post).aggregate({ _count: { _all: true, nope: true } })
})

test('groupBy returns the grouped columns with the aggregates asked for', async () => {
  const groups = await session.query(Post).groupBy(['authorId', 'published'], { _count: { _all: true }, _sum: { views: true } })
  expectTypeOf(groups).toEqualTypeOf<{ authorId: number; published: boolean; _count: { _all: number }; _sum: { views: number | null } }[]>()
  expectTypeOf(await session.query(User).groupBy(['plan'])).toEqualTypeOf<{ plan: Plan }[]>()
  expectTypeOf(await session.query(Post).groupBy(['authorId'], { _count: true })).toEqualTypeOf<{ authorId: number; _count: number }[]>()
})

test('groupBy having and orderBy: aggregates of any column, plain filters and order only on grouped columns', () => {
  void session.query(Post).groupBy(['authorId'], {
    having: { views: { _sum: { gt: 100 } }, authorId: { in: [1, 2] }, OR: [{ id: { _count: { gte: 2 } } }] },
    orderBy: [{ _sum: { views: 'desc' } }, { authorId: 'asc' }],
  })
  // @ts-expect-error views is not grouped: filter its aggregates
  void session.query(Post).groupBy(['authorId'], { having: { views: { gt: 1 } } })
  // @ts-expect-error title is not grouped
  void session.query(Post).groupBy(['authorId'], { orderBy: { title: 'asc' } })
  // @ts-expect-error no such column to group by
  void session.query(Post).groupBy(['nope'])
  // @ts-expect-error no such column in having, next to one that exists
  void session.query(Post).groupBy(['authorId'], { having: { views: { _sum: { gt: 1 } }, nope: 1 } })
  // @ts-expect-error no such column to sum, next to one that exists
  void session.query(Post).groupBy(['authorId'], { _sum: { views: true, nope: true } })
})

test('withCount names to-many relationships only and types _count', async () => {
  const posts = await session.query(Post).withCount('comments').where({ published: true }).limit(10).all()
  expectTypeOf(posts[0]._count).toEqualTypeOf<{ readonly comments: number }>()
  expectTypeOf(posts[0].title).toBeString()
  expectTypeOf(session.query(Role).withCount('users')).toEqualTypeOf<Query<Role & { readonly _count: { readonly users: number } }>>()
  const first = await user.posts.withCount('comments').first()
  expectTypeOf(first).toEqualTypeOf<(Post & { readonly _count: { readonly comments: number } }) | null>()
  const page = await session.query(Post).withCount('comments').paginate({ perPage: 10 })
  expectTypeOf(page.items[0]._count.comments).toBeNumber()
  // @ts-expect-error author is a to-one relationship
  void session.query(Post).withCount('author')
  // @ts-expect-error role is a to-one relationship
  void session.query(User).withCount('role')
})
