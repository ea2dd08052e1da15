// Type tests of query.stream(): it yields the query's model (with withCount's _count), over queries and dynamic relationships alike.
import type { Session, StreamOptions } from 'prismalchemy'
import { expectTypeOf, test } from 'vitest'
import { Post, type Role, User } from '../../generated/models.js'

declare const session: Session
declare const role: Role

test('stream() is an async generator of the query\'s objects', () => {
  expectTypeOf(session.query(User).stream()).toEqualTypeOf<AsyncGenerator<User, void, undefined>>()
  expectTypeOf(session.query(User).where({ active: true }).stream({ batchSize: 500, release: true })).toEqualTypeOf<AsyncGenerator<User, void, undefined>>()
  expectTypeOf(role.users.stream()).toEqualTypeOf<AsyncGenerator<User, void, undefined>>()
})

test('stream() keeps what withCount adds to the objects', async () => {
  for await (const post of session.query(Post).withCount('comments').stream()) {
    expectTypeOf(post).toMatchTypeOf<Post>()
    expectTypeOf(post._count.comments).toBeNumber()
  }
})

test('its options are a batch size and release, nothing else', () => {
  expectTypeOf<StreamOptions>().toEqualTypeOf<{ readonly batchSize?: number; readonly release?: boolean }>()
  // @ts-expect-error batchSize is a number
  void session.query(User).stream({ batchSize: '1000' })
  // @ts-expect-error no such option
  void session.query(User).stream({ size: 1000 })
})
