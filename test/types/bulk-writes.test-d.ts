// Type tests of bulk writes: query.update() values typed by column (atomic operations on numbers only), delete(), session.insertMany() rows.
import type { BulkWriteOptions, Decimal, Session, SynchronizeSession, UpdateInput } from 'prismalchemy'
import { expectTypeOf, test } from 'vitest'
import { Plan, Post, Role, User } from '../../generated/models.js'

declare const session: Session
declare const user: User
declare const decimal: Decimal

test('update() and delete() resolve to the number of rows', () => {
  expectTypeOf(session.query(Post).update({ views: 1 })).resolves.toEqualTypeOf<number>()
  expectTypeOf(session.query(Post).delete()).resolves.toEqualTypeOf<number>()
  expectTypeOf(user.posts.where({ published: false }).delete({ synchronize: 'fetch' })).resolves.toEqualTypeOf<number>()
  expectTypeOf(session.query(Post).delete).parameter(0).toEqualTypeOf<BulkWriteOptions | undefined>()
  expectTypeOf<BulkWriteOptions['synchronize']>().toEqualTypeOf<SynchronizeSession | undefined>()
})

test('update() takes column values of their types, and atomic operations on number columns', () => {
  const posts = session.query(Post)
  void posts.update({ views: { increment: 1 }, title: 'x', published: { set: true } })
  void posts.update({ views: { divide: 2 } })
  void session.query(User).update({ quota: { multiply: 2n }, score: { decrement: 0.5 }, balance: { increment: decimal }, plan: Plan.PRO, email: null })
  void session.query(User).update({ balance: '1.5', quota: 3, settings: { theme: 'dark' } })
  // @ts-expect-error atomic operations work on number columns only
  void posts.update({ title: { increment: 1 } })
  // @ts-expect-error a value of the column's type
  void posts.update({ views: 'many' })
  // @ts-expect-error an Int operand is a number, not a bigint
  void posts.update({ views: { increment: 1n } })
  // @ts-expect-error only columns of the model
  void posts.update({ nope: 1 })
  // @ts-expect-error a required column cannot be set to null
  void posts.update({ title: { set: null } })
})

test('UpdateInput maps each column to its accepted values', () => {
  expectTypeOf<UpdateInput<{ views: number }>>().toEqualTypeOf<{
    views?: number | { set: number } | { increment: number } | { decrement: number } | { multiply: number } | { divide: number }
  }>()
})

test('synchronize takes the four strategies only', () => {
  void session.query(Post).delete({ synchronize: 'evaluate' })
  void session.query(Post).delete({ synchronize: false })
  // @ts-expect-error not a strategy
  void session.query(Post).delete({ synchronize: 'expire' })
})

test('insertMany() takes plain column values and resolves to the number of rows', () => {
  expectTypeOf(session.insertMany(Role, [{ name: 'admin' }])).resolves.toEqualTypeOf<number>()
  void session.insertMany(User, [{ username: 'ann', quota: 1n, plan: Plan.FREE }], { skipDuplicates: true })
  // @ts-expect-error a relationship is no column: give its foreign key
  void session.insertMany(Post, [{ title: 't', author: user }])
  // @ts-expect-error values of the column's type
  void session.insertMany(Role, [{ name: 1 }])
})
