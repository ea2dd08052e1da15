// Regressions from the review of tracked collections, joined loading and many-to-many links.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { joinedload } from 'prismalchemy'
import { DIALECTS, normalizeSql } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { POST_TAG_MODELS, ROLE_USER_MODELS, sqliteSchema } from '../helpers/schemas.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const SCHEMA = sqliteSchema(
  ROLE_USER_MODELS,
  `model Team {
  id      Int      @id @default(autoincrement())
  name    String
  /// @lazy(dynamic)
  /// @cascade(delete, delete-orphan)
  members Member[]
}

model Member {
  id     Int    @id @default(autoincrement())
  name   String
  teamId Int?
  team   Team?  @relation(fields: [teamId], references: [id])
}
`,
  POST_TAG_MODELS,
)

describe.each(DIALECTS)('on %s', (dialect) => {
  let models: InlineModels
  let C: InlineModels['classes']

  beforeAll(async () => {
    models = await inlineModels('collections-events', SCHEMA, dialect)
    C = models.classes
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  async function seedRoles(): Promise<{ r1: number; r2: number; ann: number }> {
    return models.inSession(async (s) => {
      const [r1, r2] = [new C.Role({ name: 'r1' }), new C.Role({ name: 'r2' })]
      const ann = new C.User({ name: 'ann', role: r1 })
      s.addAll([r1, r2, ann])
      await s.commit()
      return { r1: r1.id, r2: r2.id, ann: ann.id }
    })
  }

  const roleIdOf = async (id: number) => (await models.readRows<{ roleId: number | null }>(`SELECT "roleId" FROM "User" WHERE "id" = ${id}`))[0].roleId

  it('an assignment after a push wins (push sets the other side at once)', async () => {
    const ids = await seedRoles()
    await models.inSession(async (s) => {
      const [r1, r2, ann] = [await s.get(C.Role, ids.r1), await s.get(C.Role, ids.r2), await s.get(C.User, ids.ann)]
      ;(await r2.users).push(ann)
      expect(await ann.role).toBe(r2)
      ann.role = r1
      await s.commit()
    })
    expect(await roleIdOf(ids.ann)).toBe(ids.r1)
  })

  it('reassigning a to-one that was never loaded takes the object out of the old owner\'s loaded list', async () => {
    const ids = await seedRoles()
    await models.inSession(async (s) => {
      const [r1, r2, ann] = [await s.get(C.Role, ids.r1), await s.get(C.Role, ids.r2), await s.get(C.User, ids.ann)]
      const before = await r1.users
      expect(before).toContain(ann)
      ann.role = r2
      expect(before).not.toContain(ann)
      expect(await r2.users).toContain(ann)
    })
  })

  it('a push into a list held across a commit is still written', async () => {
    const ids = await seedRoles()
    await models.inSession(async (s) => {
      const r2 = await s.get(C.Role, ids.r2)
      const users = await r2.users
      await s.commit()
      users.push(new C.User({ name: 'late' }))
      await s.commit()
    })
    expect(await models.readRows(`SELECT "roleId" FROM "User" WHERE "name" = 'late'`)).toEqual([{ roleId: ids.r2 }])
  })

  it('the loaded list of a pending owner (autoflush off) is tracked: a push sets the key at flush', async () => {
    await models.inSession(async (s) => {
      s.autoflushEnabled = false
      const role = new C.Role({ name: 'pending' })
      s.add(role)
      const users = await role.users
      users.push(new C.User({ name: 'pushed-to-pending' }))
      await s.commit()
      expect(await models.readRows(`SELECT "roleId" FROM "User" WHERE "name" = 'pushed-to-pending'`)).toEqual([{ roleId: role.id }])
    })
  })

  it('joinedload keeps a loaded (and changed) collection instead of replacing it with the rows', async () => {
    const ids = await seedRoles()
    await models.inSession(async (s) => {
      const [r2, ann] = [await s.get(C.Role, ids.r2), await s.get(C.User, ids.ann)]
      await s.noAutoflush(async () => {
        const r2Users = await r2.users
        r2Users.push(ann)
        await s.query(C.Role).options(joinedload('users')).all()
        expect(await r2.users).toBe(r2Users)
        expect(r2Users).toContain(ann)
      })
      await s.commit()
    })
    expect(await roleIdOf(ids.ann)).toBe(ids.r2)
  })

  it('remove() on a dynamic relationship of an object of another owner changes nothing and leaves its row alone', async () => {
    await models.inSession(async (s) => {
      const [t1, t2] = [new C.Team({ name: 't1' }), new C.Team({ name: 't2' })]
      s.addAll([t1, t2])
      await s.flush()
      const member = new C.Member({ name: 'mm' })
      t2.members.append(member)
      await s.commit()
      // SQLAlchemy records the removal of a non-member and writes nothing for it (test_dynamic.py::test_missing_but_removed_noflush).
      t1.members.remove(member)
      expect(await member.team).toBe(t2)
      await s.commit()
      expect(await models.readRows(`SELECT "teamId" FROM "Member" WHERE "name" = 'mm'`)).toEqual([{ teamId: t2.id }])
    })
  })

  it('many-to-many links are netted by join-table row, whichever side recorded them', async () => {
    await models.inSession(async (s) => {
      const [p1, p2] = [new C.Post({ title: 'p1' }), new C.Post({ title: 'p2' })]
      const [t1, t2] = [new C.Tag({ name: 't1' }), new C.Tag({ name: 't2' })]
      s.addAll([p1, p2, t1, t2])
      await s.flush()
      t1.posts.append(p2)
      await s.commit()
      // Pushing from the post side and appending from the tag side is one link, inserted once.
      ;(await p1.tags).push(t2)
      t2.posts.append(p1)
      // Removing p2 from t1 must not be cancelled by an unrelated pair with the same numbers reversed.
      t1.posts.remove(p2)
      const sql = (await capturedSql(models.engine, () => s.commit())).map(normalizeSql)
      expect(sql.filter((text) => text.startsWith('INSERT INTO "_PostToTag"'))).toHaveLength(1)
      expect(sql.filter((text) => text.startsWith('DELETE FROM "_PostToTag"'))).toHaveLength(1)
      const links = await models.readRows<{ A: number; B: number }>('SELECT "A", "B" FROM "_PostToTag"')
      expect(links).toContainEqual({ A: p1.id, B: t2.id })
      expect(links).not.toContainEqual({ A: p2.id, B: t1.id })
    })
  })
})
