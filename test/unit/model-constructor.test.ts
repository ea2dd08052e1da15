// A model's constructor refuses keys that are none of its fields, so code written against another version of the schema fails loudly.
import { describe, expect, it } from 'vitest'
import { UnknownFieldError } from 'prismalchemy'
import { Role, User } from '../../generated/models.js'

/** What `construct` throws (it must throw). */
function thrownBy(construct: () => unknown): unknown {
  try {
    construct()
  } catch (error) {
    return error
  }
  return expect.unreachable('expected the constructor to throw')
}

describe('new Model(init)', () => {
  it('sets columns and to-one relationships', () => {
    const role = new Role({ name: 'admin' })
    const user = new User({ username: 'ann', email: null, role })
    expect([user.username, user.email, role.name]).toEqual(['ann', null, 'admin'])
  })

  it('refuses an unknown key with a named, coded error that names the model and the key', () => {
    const error = thrownBy(() => new User({ username: 'ann', nope: 1 } as never))
    expect(error).toBeInstanceOf(UnknownFieldError)
    expect(error).toMatchObject({ code: 'unknown_field', model: 'User', field: 'nope' })
    expect((error as Error).message).toMatch(/^new User\(\) was given "nope", which is not a field of User \(its fields: id, username, /)
    expect((error as Error).message).toContain('npx gen-models')
  })

  it('refuses an extra key that comes in through a spread, which the type checker lets through', () => {
    const fromAForm = { username: 'ann', displayName: 'Ann' }
    expect(thrownBy(() => new User({ ...fromAForm }))).toMatchObject({ code: 'unknown_field', field: 'displayName' })
  })

  it('refuses a relationship that cannot be assigned (a dynamic one is a query)', () => {
    expect(thrownBy(() => new User({ posts: [] } as never))).toMatchObject({ code: 'unknown_field', field: 'posts' })
  })

  it('refuses a parsed "__proto__" key instead of replacing the prototype', () => {
    const error = thrownBy(() => new User(JSON.parse('{"username": "ann", "__proto__": {"admin": true}}')))
    expect(error).toMatchObject({ code: 'unknown_field', field: '__proto__' })
  })
})
