// IdentityMap without a database: one state per identity key per mapper, removal only of the state stored, and keys that are values (a Date key by its instant).
import { describe, expect, it } from 'vitest'
import { identityKey, keyPartEncoder } from '../../runtime/orm/identity-key.js'
import { IdentityMap } from '../../runtime/orm/identity-map.js'
import type { Mapper } from '../../runtime/orm/mapper.js'
import type { InstanceState } from '../../runtime/orm/state.js'

/** The map reads only a state's mapper and key: stand-ins for both. */
const mapper = (name: string) => ({ name }) as unknown as Mapper
const stateOf = (of: Mapper, key: unknown) => ({ mapper: of, key }) as unknown as InstanceState

const User = mapper('User')
const Role = mapper('Role')

describe('IdentityMap', () => {
  it('finds a state by mapper and key, and nothing for another mapper with the same key', () => {
    const map = new IdentityMap()
    const user = stateOf(User, 1)
    map.add(user)
    expect(map.get(User, 1)).toBe(user)
    expect(map.get(Role, 1)).toBeUndefined()
    expect(map.get(User, 2)).toBeUndefined()
    expect(map.size).toBe(1)
  })

  it('counts one entry per key: adding a state twice keeps one, another state under the key replaces it', () => {
    const map = new IdentityMap()
    const first = stateOf(User, 1)
    const second = stateOf(User, 1)
    map.add(first)
    map.add(first)
    expect(map.size).toBe(1)
    map.add(second)
    expect([map.size, map.get(User, 1)]).toEqual([1, second])
    map.add(stateOf(Role, 1))
    expect(map.size).toBe(2)
  })

  it('removes a state only when it is the one stored under its key', () => {
    const map = new IdentityMap()
    const stored = stateOf(User, 1)
    map.add(stored)
    map.remove(stateOf(User, 1))
    expect([map.size, map.get(User, 1)]).toEqual([1, stored])
    map.remove(stored)
    expect([map.size, map.get(User, 1)]).toEqual([0, undefined])
    map.remove(stored) // gone already: no change to the count
    expect(map.size).toBe(0)
  })

  it('removes under the key given, for a state whose key changed since it was added', () => {
    const map = new IdentityMap()
    const state = stateOf(User, 1) as { key: unknown } & InstanceState
    map.add(state)
    state.key = 2
    map.remove(state)
    expect(map.get(User, 1)).toBe(state)
    map.remove(state, 1)
    expect([map.size, map.get(User, 1)]).toEqual([0, undefined])
  })

  it('lists the states of one mapper, and every state, in the order they were added', () => {
    const map = new IdentityMap()
    const [u1, r1, u2] = [stateOf(User, 1), stateOf(Role, 1), stateOf(User, 2)]
    for (const state of [u1, r1, u2]) map.add(state)
    expect([...map.statesOf(User)]).toEqual([u1, u2])
    expect([...map.statesOf(mapper('Unknown'))]).toEqual([])
    expect([...map.states()]).toEqual([u1, u2, r1]) // grouped by mapper, mappers in first-seen order
  })

  it('forgets everything on clear()', () => {
    const map = new IdentityMap()
    map.add(stateOf(User, 1))
    map.add(stateOf(Role, 1))
    map.clear()
    expect([map.size, map.get(User, 1), [...map.states()]]).toEqual([0, undefined, []])
  })

  it('finds a state keyed by a Date with another Date object of the same instant, through identityKey', () => {
    const key = [{ encodeKeyPart: keyPartEncoder('DateTime') }]
    const map = new IdentityMap()
    const state = stateOf(User, identityKey(key, [new Date('2024-01-01T00:00:00.000Z')]))
    map.add(state)
    expect(map.get(User, identityKey(key, [new Date('2024-01-01T00:00:00.000Z')]))).toBe(state)
    expect(map.get(User, identityKey(key, [new Date('2024-01-01T00:00:00.100Z')]))).toBeUndefined()
  })
})
