// Type tests of a generated model's constructor: keys that are not fields are refused where TypeScript checks excess properties.
import { expectTypeOf, test } from 'vitest'
import { Role, User, type UserInit } from '../../generated/models.js'

declare const role: Role

test('an object literal takes columns and to-one relationships only', () => {
  new User({ username: 'ann', email: null, role })
  // @ts-expect-error nope is not a field of User
  new User({ nope: 1 })
  // @ts-expect-error a misspelt column
  new User({ usernme: 'ann' })
  // @ts-expect-error a dynamic relationship is a query, not a constructor key
  new User({ posts: [] })
})

test('a key written next to a spread is checked too', () => {
  const base = { username: 'ann' }
  // @ts-expect-error nope is written in the literal, so it is an excess property
  new User({ ...base, nope: 1 })
})

test('TypeScript cannot refuse an extra key that arrives through a spread or a variable (the constructor throws UnknownFieldError at run time)', () => {
  const withExtra = { username: 'ann', nope: 1 }
  // Excess-property checks apply to keys written in a literal only; a spread or a variable is checked structurally,
  // and an object that shares a key with UserInit is assignable to it.
  new User({ ...withExtra })
  new User(withExtra)
  expectTypeOf(withExtra).toMatchTypeOf<UserInit>()
  // An object sharing no key with UserInit (a weak type: every key optional) is still refused.
  // @ts-expect-error no key in common with UserInit
  new User({ nope: 1 } as { nope: number })
})
