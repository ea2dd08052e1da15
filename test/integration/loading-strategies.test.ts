// Loading strategies on 200 roles with their users: statement counts for select, batched select, selectin, raise, noload, and the N+1 check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { joinedload, lazyload, noload, NPlusOneError, raiseload, RaiseLoadError, selectinload, Session, type Engine } from 'prismalchemy'
import { DIALECTS, placeholders, sqlOn, statementsOn } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model Role {
  id     Int     @id @default(autoincrement())
  name   String  @unique
  /// @lazy(select)
  users  User[]
  /// @lazy(raise)
  guests Guest[]
  /// @lazy(noload)
  bots   Bot[]
}

model User {
  id     Int    @id @default(autoincrement())
  name   String
  roleId Int
  /// @lazy(select)
  role   Role   @relation(fields: [roleId], references: [id])

  @@index([roleId])
}

/// Teams load their admins with every query (selectin), and admins their team.
model Team {
  id     Int     @id @default(autoincrement())
  name   String  @unique
  /// @lazy(selectin)
  admins Admin[]
}

model Admin {
  id     Int    @id @default(autoincrement())
  teamId Int
  /// @lazy(selectin)
  team   Team   @relation(fields: [teamId], references: [id])

  @@index([teamId])
}

model Guest {
  id     Int    @id @default(autoincrement())
  roleId Int
  role   Role   @relation(fields: [roleId], references: [id])

  @@index([roleId])
}

/// Clubs load their players in the same statement (joined).
model Club {
  id      Int      @id @default(autoincrement())
  name    String   @unique
  /// @lazy(joined)
  players Player[]
}

model Player {
  id     Int    @id @default(autoincrement())
  clubId Int
  club   Club   @relation(fields: [clubId], references: [id])

  @@index([clubId])
}

model Bot {
  id     Int    @id @default(autoincrement())
  roleId Int
  role   Role   @relation(fields: [roleId], references: [id])

  @@index([roleId])
}
`

describe.each(DIALECTS)('on %s', (dialect) => {
  let models: InlineModels
  let classes: Record<'Role' | 'User' | 'Team' | 'Admin' | 'Guest' | 'Bot' | 'Club' | 'Player', InlineModels['classes'][string]>
  let engine: Engine

  beforeAll(async () => {
    models = await inlineModels('loading', SCHEMA, dialect)
    classes = models.classes as typeof classes
    engine = models.engine
    const seed = new Session({ bind: engine })
    for (let i = 0; i < 200; i++) {
      const role = new classes.Role({ name: `role${i}` })
      seed.add(role)
      for (const Model of [classes.User, classes.Guest, classes.Bot]) {
        seed.add(new Model({ role, ...(Model === classes.User ? { name: `user${i}` } : {}) }))
      }
      seed.add(new classes.Admin({ team: new classes.Team({ name: `team${i}` }) }))
      const club = new classes.Club({ name: `club${i}` })
      seed.addAll([new classes.Player({ club }), new classes.Player({ club })])
    }
    await seed.commit()
    await seed.close()
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  /** The statements `work` runs, exactly as this dialect received them (reads run in autocommit: no BEGIN on either); compare with {@link statementsOn}. */
  const queriesOf = (work: () => Promise<unknown>): Promise<string[]> => capturedSql(engine, work)

  describe('200 roles, each with its users', () => {
    it('lazy select: one statement for the roles, then one per role (201)', async () => {
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          const roles = await session.query(classes.Role).all()
          for (const role of roles) expect(await role.users).toHaveLength(1)
        })
        expect(sql.filter((text) => text.startsWith('SELECT'))).toHaveLength(201)
        expect(sql[1]).toBe(sqlOn(dialect, 'SELECT "id", "name", "roleId" FROM "User" WHERE "roleId" = ?'))
      })
    })

    it('batched: lazy loads started together go out as one IN query (2 statements)', async () => {
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          const roles = await session.query(classes.Role).all()
          const users = await Promise.all(roles.map((role) => role.users))
          expect(users.every((list: unknown[]) => list.length === 1)).toBe(true)
          expect(await roles[7].users).toBe(users[7])
        })
        expect(sql).toEqual(statementsOn(dialect, 'SELECT "id", "name" FROM "Role"', `SELECT "id", "name", "roleId" FROM "User" WHERE "roleId" IN (${placeholders(200)})`))
      })
    })

    it('selectin: the query loads the relationship for every team with one more statement (2)', async () => {
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          const teams = await session.query(classes.Team).all()
          for (const team of teams) expect(await team.admins).toHaveLength(1)
        })
        expect(sql).toEqual(statementsOn(dialect, 'SELECT "id", "name" FROM "Team"', `SELECT "id", "teamId" FROM "Admin" WHERE "teamId" IN (${placeholders(200)})`))
      })
    })

    it('selectin on a many-to-one answers from the identity map when the targets are loaded', async () => {
      await models.inSession(async (session) => {
        const teams = await session.query(classes.Team).all()
        const sql = await queriesOf(async () => {
          const admins = await session.query(classes.Admin).all()
          expect(await admins[0].team).toBe(teams[0])
        })
        expect(sql).toHaveLength(1)
      })
    })

    it('batched many-to-one: users\' roles load with one IN query', async () => {
      await models.inSession(async (session) => {
        const users = await session.query(classes.User).limit(50).all()
        const sql = await queriesOf(async () => {
          const roles = await Promise.all(users.map((user) => user.role))
          expect(new Set(roles).size).toBe(50)
        })
        expect(sql).toEqual(statementsOn(dialect, `SELECT "id", "name" FROM "Role" WHERE "id" IN (${placeholders(50)})`))
      })
    })

    it('raise: reading an unloaded relationship throws RaiseLoadError, with no SQL', async () => {
      await models.inSession(async (session) => {
        const role = await session.query(classes.Role).first()
        const sql = await capturedSql(engine, async () => {
          expect(() => role.guests).toThrow(RaiseLoadError)
          expect(() => role.guests).toThrow(expect.objectContaining({ code: 'raise_load' }))
        })
        expect(sql).toEqual([])
      })
    })

    it('noload: reads as an empty list, with no SQL', async () => {
      await models.inSession(async (session) => {
        const role = await session.query(classes.Role).first()
        expect(await capturedSql(engine, async () => expect(await role.bots).toEqual([]))).toEqual([])
      })
    })

    it('the N+1 check raises with the relationship\'s name once loads pass the threshold', async () => {
      const error = await models.inSession(
        async (session) => {
          const roles = await session.query(classes.Role).all()
          try {
            for (const role of roles) await role.users
          } catch (caught) {
            return caught
          }
          return undefined
        },
        { nPlusOne: { threshold: 10, raise: true } },
      )
      expect(error).toBeInstanceOf(NPlusOneError)
      expect((error as NPlusOneError).relationship).toBe('Role.users')
      expect((error as NPlusOneError).message).toMatch(/lazy-loaded 11 times.*@lazy\(selectin\)/)
    })

    it('the N+1 check warns once, and batched loads count as one', async () => {
      const warnings: string[] = []
      await models.inSession(
        async (session) => {
          const roles = await session.query(classes.Role).all()
          await Promise.all(roles.map((role) => role.users))
          expect(warnings).toEqual([])
          for (const role of roles.slice(0, 5)) {
            session.expire(role)
            await session.refresh(role)
            await role.users
          }
        },
        { nPlusOne: { threshold: 3, warn: (message: string) => warnings.push(message) } },
      )
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/^N\+1 queries: Role\.users was lazy-loaded 4 times/)
    })
  })

  describe('both sides in step in memory', () => {
    it('assigning user.role moves the user between the roles\' loaded collections, with no SQL', async () => {
      await models.inSession(async (session) => {
        const [first, second] = await session.query(classes.Role).orderBy({ name: 'asc' }).limit(2).all()
        const [firstUsers, secondUsers] = await Promise.all([first.users, second.users])
        const user = firstUsers[0]
        await user.role
        const sql = await capturedSql(engine, async () => {
          user.role = second
          expect(await first.users).not.toContain(user)
          expect(await second.users).toContain(user)
          expect(secondUsers).toHaveLength(2)
        })
        expect(sql).toEqual([])
        await session.flush()
        expect(user.roleId).toBe(second.id)
      })
    })
  })

  describe('per-query loader options', () => {
    it('selectinload loads a lazy relationship with the query (2 statements), then answers from memory', async () => {
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          const roles = await session.query(classes.Role).options(selectinload('users')).all()
          for (const role of roles) expect(await role.users).toHaveLength(1)
        })
        expect(sql).toEqual(statementsOn(dialect, 'SELECT "id", "name" FROM "Role"', `SELECT "id", "name", "roleId" FROM "User" WHERE "roleId" IN (${placeholders(200)})`))
      })
    })

    it('a dotted path loads every level with one statement each, overriding a raise strategy', async () => {
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          const users = await session.query(classes.User).limit(20).options(selectinload('role.guests')).all()
          const role = await users[0].role
          expect(await role.guests).toHaveLength(1)
        })
        expect(sql).toEqual(
          statementsOn(
            dialect,
            'SELECT "id", "name", "roleId" FROM "User" LIMIT ?',
            `SELECT "id", "name" FROM "Role" WHERE "id" IN (${placeholders(20)})`,
            `SELECT "id", "roleId" FROM "Guest" WHERE "roleId" IN (${placeholders(20)})`,
          ),
        )
      })
    })

    it('raiseload("*") makes every relationship of the loaded objects raise, with no SQL', async () => {
      await models.inSession(async (session) => {
        const user = await session.query(classes.User).options(raiseload('*')).first()
        const sql = await capturedSql(engine, async () => expect(() => user.role).toThrow(RaiseLoadError))
        expect(sql).toEqual([])
      })
    })

    it('noload reads as empty and lazyload turns a selectin relationship back into a lazy one', async () => {
      await models.inSession(async (session) => {
        const role = await session.query(classes.Role).options(noload('users')).first()
        expect(await capturedSql(engine, async () => expect(await role.users).toEqual([]))).toEqual([])
        const sql = await queriesOf(async () => {
          const team = await session.query(classes.Team).options(lazyload('admins')).first()
          expect(await team.admins).toHaveLength(1)
        })
        expect(sql).toEqual(statementsOn(dialect, 'SELECT "id", "name" FROM "Team" LIMIT ?', 'SELECT "id", "teamId" FROM "Admin" WHERE "teamId" = ?'))
      })
    })

    it('rejects options naming an unknown relationship where they are given, at any depth, before any SQL', async () => {
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          expect(() => session.query(classes.Role).options(selectinload('nope'))).toThrow(/has no relationship "nope"/)
          // A wrong name deeper on the path fails too, even for a query that would return no rows.
          const nested = (() => session.query(classes.Role).filterBy({ name: 'no such role' }).options(selectinload('users.nope'))) as () => unknown
          expect(nested).toThrow('Model User has no relationship "nope" (in a loader option).')
          expect(nested).toThrow(expect.objectContaining({ code: 'unknown_loader_relationship' }))
          await expect(session.get(classes.Role, 1, { options: [selectinload('users.role.nope')] })).rejects.toThrow('Model Role has no relationship "nope" (in a loader option).')
        })
        expect(sql).toEqual([])
      })
    })
  })

  describe('joined', () => {
    it('loads every role\'s users in one statement with joinedload (1)', async () => {
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          const roles = await session.query(classes.Role).options(joinedload('users')).orderBy({ name: 'asc' }).all()
          expect(roles).toHaveLength(200)
          for (const role of roles) expect((await role.users).map((user: { name: string }) => user.name)).toEqual([role.name.replace('role', 'user')])
        })
        expect(sql).toEqual(
          statementsOn(
            dialect,
            'SELECT "t0"."id", "t0"."name", "t1"."id", "t1"."name", "t1"."roleId" FROM (SELECT "id", "name" FROM "Role" ORDER BY "name" ASC) AS "t0" ' +
              'LEFT OUTER JOIN "User" AS "t1" ON "t0"."id" = "t1"."roleId" ORDER BY "t0"."name" ASC',
          ),
        )
      })
    })

    it('a schema-level @lazy(joined) collection comes with every query, and LIMIT counts owners, not joined rows', async () => {
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          const clubs = await session.query(classes.Club).orderBy({ id: 'asc' }).limit(3).all()
          expect(clubs).toHaveLength(3)
          for (const club of clubs) expect(await club.players).toHaveLength(2)
        })
        expect(sql).toEqual(
          statementsOn(
            dialect,
            'SELECT "t0"."id", "t0"."name", "t1"."id", "t1"."clubId" FROM (SELECT "id", "name" FROM "Club" ORDER BY "id" ASC LIMIT ?) AS "t0" ' +
              'LEFT OUTER JOIN "Player" AS "t1" ON "t0"."id" = "t1"."clubId" ORDER BY "t0"."id" ASC',
          ),
        )
      })
    })

    it('session.get of a model with a joined relationship loads it in the same statement', async () => {
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          const club = await session.get(classes.Club, 1)
          expect(await club.players).toHaveLength(2)
        })
        expect(sql).toEqual(
          statementsOn(
            dialect,
            'SELECT "t0"."id", "t0"."name", "t1"."id", "t1"."clubId" FROM (SELECT "id", "name" FROM "Club" WHERE "id" = ?) AS "t0" LEFT OUTER JOIN "Player" AS "t1" ON "t0"."id" = "t1"."clubId"',
          ),
        )
      })
    })

    it('joins a many-to-one in the same statement', async () => {
      await models.inSession(async (session) => {
        const sql = await queriesOf(async () => {
          const players = await session.query(classes.Player).options(joinedload('club')).limit(4).all()
          expect(new Set(await Promise.all(players.map((player) => player.club))).size).toBe(2)
        })
        expect(sql).toEqual(
          statementsOn(
            dialect,
            'SELECT "t0"."id", "t0"."clubId", "t1"."id", "t1"."name" FROM (SELECT "id", "clubId" FROM "Player" LIMIT ?) AS "t0" LEFT OUTER JOIN "Club" AS "t1" ON "t0"."clubId" = "t1"."id"',
          ),
        )
      })
    })
  })
})
