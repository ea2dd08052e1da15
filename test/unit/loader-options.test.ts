// Loader options without a database: what each option function builds, the paths it refuses, and how resolveOptions splits options by the first relationship of their path.
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidRequestError } from 'prismalchemy'
import { checkLoaderOptions, joinedload, lazyload, noload, raiseload, resolveOptions, selectinload } from '../../runtime/loading/loader-options.js'
import type { Mapper } from '../../runtime/orm/mapper.js'
import { importInlineModels, type InlineRegistry } from '../helpers/inline-models.js'
import { ROLE_USER_MODELS, sqliteSchema } from '../helpers/schemas.js'

const TEAM_MEMBER_MODELS = `model Team {
  id      Int      @id @default(autoincrement())
  /// @lazy(dynamic)
  members Member[]
  /// @lazy(selectin)
  coaches Coach[]
}

model Member {
  id     Int  @id @default(autoincrement())
  teamId Int
  team   Team @relation(fields: [teamId], references: [id])
}

model Coach {
  id     Int  @id @default(autoincrement())
  teamId Int
  team   Team @relation(fields: [teamId], references: [id])
}
`

let models: InlineRegistry
let Role: Mapper
let User: Mapper
let Team: Mapper

beforeAll(async () => {
  models = await importInlineModels('loader-options-unit', sqliteSchema(ROLE_USER_MODELS, TEAM_MEMBER_MODELS))
  const mappers = models.registry.mappers
  ;[Role, User, Team] = [mappers.get('Role')!, mappers.get('User')!, mappers.get('Team')!]
}, 60_000)

afterAll(() => rmSync(models.dir, { recursive: true, force: true }))

describe('option functions', () => {
  it('build a frozen option of the dotted path and the strategy', () => {
    expect(selectinload('users.role')).toEqual({ path: ['users', 'role'], strategy: 'selectin' })
    expect(joinedload('users')).toEqual({ path: ['users'], strategy: 'joined' })
    expect(lazyload('users')).toEqual({ path: ['users'], strategy: 'select' })
    expect(raiseload('*')).toEqual({ path: ['*'], strategy: 'raise' })
    expect(noload('users.*')).toEqual({ path: ['users', '*'], strategy: 'noload' })
    const option = selectinload('users')
    expect([Object.isFrozen(option), Object.isFrozen(option.path)]).toEqual([true, true])
  })

  it('refuse an empty part and a * before the last part', () => {
    for (const path of ['', 'users.', '.users', 'users..role', '*.role']) {
      expect(() => selectinload(path)).toThrow(InvalidRequestError)
      expect(() => selectinload(path)).toThrow(`Invalid loader path "${path}": use "relationship", "a.b.c" or "*" (last part only).`)
    }
  })

  it('joinedload refuses a dotted path: only the queried model\'s relationships can be joined', () => {
    expect(() => joinedload('users.role')).toThrow(InvalidRequestError)
    expect(() => joinedload('users.role')).toThrow(/joinedload\("users\.role"\)/)
  })
})

describe('resolveOptions', () => {
  it('gives each first-level relationship its strategy, and hands the rest of a longer path to the next level', () => {
    const { strategies, nested } = resolveOptions(Role, [raiseload('users'), selectinload('users.role'), noload('users.role.users')])
    const users = Role.relationships.get('users')!
    expect([...strategies]).toEqual([[users, 'raise']])
    expect([...nested]).toEqual([
      [
        users,
        [
          { path: ['role'], strategy: 'selectin' },
          { path: ['role', 'users'], strategy: 'noload' },
        ],
      ],
    ])
  })

  it('lets a later option for the same relationship win', () => {
    const { strategies } = resolveOptions(User, [selectinload('role'), lazyload('role')])
    expect(strategies.get(User.relationships.get('role')!)).toBe('select')
  })

  it('applies * to every relationship not named before it, skipping dynamic ones; a later named option still wins', () => {
    const [members, coaches] = [Team.relationships.get('members')!, Team.relationships.get('coaches')!]
    expect(members.strategy).toBe('dynamic')
    expect([...resolveOptions(Team, [raiseload('*')]).strategies]).toEqual([[coaches, 'raise']])
    const users = Role.relationships.get('users')!
    expect(resolveOptions(Role, [selectinload('users'), raiseload('*')]).strategies.get(users)).toBe('selectin')
    expect(resolveOptions(Role, [raiseload('*'), selectinload('users')]).strategies.get(users)).toBe('selectin')
  })

  it('refuses a relationship the model does not have, and any option on a dynamic relationship', () => {
    expect(() => resolveOptions(Role, [selectinload('nope')])).toThrow('Model Role has no relationship "nope" (in a loader option).')
    expect(() => resolveOptions(Team, [selectinload('members')])).toThrow('Team.members is dynamic: it is a query, so loader options do not apply. Run it with .all().')
    expect(() => resolveOptions(Team, [noload('members.team')])).toThrow(InvalidRequestError)
  })

  it('checks whole paths: a wrong name or a dynamic relationship at any depth fails, a valid path passes', () => {
    expect(() => checkLoaderOptions(Role, [selectinload('users.role.users')])).not.toThrow()
    expect(() => checkLoaderOptions(Role, [selectinload('users.nope')])).toThrow('Model User has no relationship "nope" (in a loader option).')
    expect(() => checkLoaderOptions(User, [selectinload('role.users.role.nope')])).toThrow('Model Role has no relationship "nope" (in a loader option).')
    expect(() => checkLoaderOptions(Team, [selectinload('coaches.team.members')])).toThrow('Team.members is dynamic: it is a query, so loader options do not apply. Run it with .all().')
    // resolveOptions itself looks at the first level only: the rest of a path is checked by checkLoaderOptions.
    expect(() => resolveOptions(Role, [selectinload('users.nope')])).not.toThrow()
  })
})
