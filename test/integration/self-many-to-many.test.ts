// Implicit many-to-many relations of a model with itself (followers/following in Prisma's `_Follows`): which column each
// field uses (as PrismaClient writes them), every loading strategy, both sides in memory, link rows netted at flush and
// removed with a deleted row, read and written alongside a real PrismaClient, on SQLite and PostgreSQL.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { joinedload, selectinload, type Session } from 'prismalchemy'
import { generateFromFiles } from '../../generator/generate.js'
import { DIALECTS, normalizeSql } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { loadPrismaClient, type PrismaClientLike } from '../helpers/prisma-client.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model Person {
  id        Int      @id @default(autoincrement())
  name      String   @unique
  /// People this one follows.
  following Person[] @relation("Follows")
  followers Person[] @relation("Follows")
  /// @lazy(dynamic)
  blocking  Person[] @relation("Blocks")
  blockedBy Person[] @relation("Blocks")
}
`

const namesOf = (people: readonly { name: string }[]) => people.map((person) => person.name).sort()

describe('generated relationships', () => {
  it('put the owner of the field whose name sorts first in column A, whichever is declared first', async () => {
    const { description } = await generateFromFiles([{ path: 'schema/people.prisma', content: SCHEMA }], 'schema')
    const secondaries = Object.fromEntries(description.models[0].relations.map((relation) => [relation.name, [relation.backPopulates, relation.secondary]]))
    expect(secondaries).toEqual({
      blockedBy: ['blocking', { table: '_Blocks', localColumn: 'A', remoteColumn: 'B' }],
      blocking: ['blockedBy', { table: '_Blocks', localColumn: 'B', remoteColumn: 'A' }],
      followers: ['following', { table: '_Follows', localColumn: 'A', remoteColumn: 'B' }],
      following: ['followers', { table: '_Follows', localColumn: 'B', remoteColumn: 'A' }],
    })
  })
})

describe.each(DIALECTS)('implicit many-to-many self-relations on %s', (dialect) => {
  let models: InlineModels
  let client: PrismaClientLike
  let schemaDir: string
  let Person: InlineModels['classes'][string]

  beforeAll(async () => {
    models = await inlineModels('self-many-to-many', SCHEMA, dialect)
    ;({ Person } = models.classes)
    schemaDir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-self-many-to-many-'))
    writeFileSync(path.join(schemaDir, 'schema.prisma'), SCHEMA)
    client = (await loadPrismaClient(path.join(schemaDir, 'schema.prisma'), dialect))(models.database.url)
  }, 120_000)

  afterEach(() => models.database.execute('DELETE FROM "_Follows"; DELETE FROM "_Blocks"; DELETE FROM "Person";'))

  afterAll(async () => {
    await client?.$disconnect()
    await models?.dispose()
    if (schemaDir) rmSync(schemaDir, { recursive: true, force: true })
  })

  /** The join table's rows as names: `[A's name, B's name]`. */
  const linkNames = (table: '_Follows' | '_Blocks') =>
    models.readRows<{ a: string; b: string }>(`SELECT pa.name AS a, pb.name AS b FROM "${table}" j JOIN "Person" pa ON pa.id = j."A" JOIN "Person" pb ON pb.id = j."B" ORDER BY 1, 2`).then((rows) => rows.map((row) => [row.a, row.b]))

  /** PrismaClient's view of each person's follows: `{ name: [following], ... }`, `{ name: [followers], ... }`. */
  async function prismaFollows(): Promise<{ following: Record<string, string[]>; followers: Record<string, string[]> }> {
    const people: { name: string; following: { name: string }[]; followers: { name: string }[] }[] = await client.person.findMany({ include: { following: true, followers: true } })
    const names = (list: { name: string }[]) => list.map((person) => person.name).sort()
    return {
      following: Object.fromEntries(people.filter((person) => person.following.length > 0).map((person) => [person.name, names(person.following)])),
      followers: Object.fromEntries(people.filter((person) => person.followers.length > 0).map((person) => [person.name, names(person.followers)])),
    }
  }

  /** ann follows bob and cid, bob follows ann, written by PrismaClient. */
  async function seedWithPrisma(): Promise<void> {
    await client.person.create({ data: { name: 'cid' } })
    await client.person.create({ data: { name: 'bob' } })
    await client.person.create({ data: { name: 'ann', following: { connect: [{ name: 'bob' }, { name: 'cid' }] }, followers: { connect: [{ name: 'bob' }] } } })
  }

  /** The SQL `work` runs, with `?` placeholders on every dialect and without transaction control. */
  const sqlOf = (work: () => Promise<unknown>) =>
    capturedSql(models.engine, work).then((statements) => statements.map(normalizeSql).filter((text) => !/^(BEGIN|COMMIT|ROLLBACK)\b/.test(text)))

  const byName = (session: Session, name: string): Promise<any> => session.query(Person).filterBy({ name }).one()

  it('reads the links PrismaClient wrote, on both sides, with select loading', async () => {
    await seedWithPrisma()
    // PrismaClient's own rows fix the columns: A holds the owner of `followers` (the name that sorts first), B the owner of `following`.
    expect(await linkNames('_Follows')).toEqual([
      ['ann', 'bob'],
      ['bob', 'ann'],
      ['cid', 'ann'],
    ])
    await models.inSession(async (session) => {
      const ann = await byName(session, 'ann')
      const sql = await sqlOf(async () => expect(namesOf(await ann.following)).toEqual(['bob', 'cid']))
      expect(sql).toEqual(['SELECT "t"."id", "t"."name", "s"."B" FROM "Person" AS "t" LEFT OUTER JOIN "_Follows" AS "s" ON "s"."A" = "t"."id" WHERE "s"."B" = ?'])
      expect(namesOf(await ann.followers)).toEqual(['bob'])
      const cid = await byName(session, 'cid')
      expect([namesOf(await cid.following), namesOf(await cid.followers)]).toEqual([[], ['ann']])
    })
  })

  it('loads both sides with selectin and joined loading', async () => {
    await seedWithPrisma()
    const expected = { ann: [['bob', 'cid'], ['bob']], bob: [['ann'], ['ann']], cid: [[], ['ann']] }
    await models.inSession(async (session) => {
      const people = await session.query(Person).options(selectinload('following'), selectinload('followers')).orderBy({ name: 'asc' }).all()
      const sql = await sqlOf(async () => {
        expect(Object.fromEntries(await Promise.all(people.map(async (person) => [person.name, [namesOf(await person.following), namesOf(await person.followers)]])))).toEqual(expected)
      })
      expect(sql).toEqual([])
    })
    await models.inSession(async (session) => {
      let people: any[] = []
      const sql = await sqlOf(async () => {
        people = await session.query(Person).options(joinedload('following'), joinedload('followers')).orderBy({ name: 'asc' }).all()
      })
      expect(sql).toHaveLength(1)
      // One join of the join table per side: followers through A, following through B.
      expect(sql[0]).toContain('LEFT OUTER JOIN "_Follows" AS "s1" ON "s1"."A" = "t0"."id" LEFT OUTER JOIN "Person" AS "t1" ON "t1"."id" = "s1"."B"')
      expect(sql[0]).toContain('LEFT OUTER JOIN "_Follows" AS "s2" ON "s2"."B" = "t0"."id" LEFT OUTER JOIN "Person" AS "t2" ON "t2"."id" = "s2"."A"')
      const loaded = await sqlOf(async () => {
        expect(Object.fromEntries(await Promise.all(people.map(async (person) => [person.name, [namesOf(await person.following), namesOf(await person.followers)]])))).toEqual(expected)
      })
      expect(loaded).toEqual([])
    })
  })

  it('writes pushed links in the columns PrismaClient reads, and shows each at once on the other side', async () => {
    await models.inSession(async (session) => {
      const [ann, bob, cid] = ['ann', 'bob', 'cid'].map((name) => new Person({ name }))
      session.addAll([ann, bob, cid])
      await session.commit()
      // Loaded first: a load autoflushes, and the links should all wait for the commit.
      const [annFollowing, annFollowers, bobFollowing, bobFollowers, cidFollowers] = [await ann.following, await ann.followers, await bob.following, await bob.followers, await cid.followers]
      annFollowing.push(bob, cid)
      // The other side shows the link before any flush (SQLAlchemy's back_populates).
      expect([namesOf(bobFollowers), namesOf(cidFollowers)]).toEqual([['ann'], ['ann']])
      bobFollowing.push(ann)
      expect(namesOf(annFollowers)).toEqual(['bob'])
      const sql = await sqlOf(() => session.commit())
      expect(sql.sort()).toEqual(Array(3).fill('INSERT INTO "_Follows" ("B", "A") VALUES (?, ?)'))
    })
    expect(await linkNames('_Follows')).toEqual([
      ['ann', 'bob'],
      ['bob', 'ann'],
      ['cid', 'ann'],
    ])
    expect(await prismaFollows()).toEqual({ following: { ann: ['bob', 'cid'], bob: ['ann'] }, followers: { ann: ['bob'], bob: ['ann'], cid: ['ann'] } })
  })

  it('a person following itself is one row, on both of its sides', async () => {
    await models.inSession(async (session) => {
      const ann = new Person({ name: 'ann' })
      ;(await ann.following).push(ann)
      expect(namesOf(await ann.followers)).toEqual(['ann'])
      session.add(ann)
      await session.commit()
    })
    expect(await linkNames('_Follows')).toEqual([['ann', 'ann']])
    expect(await prismaFollows()).toEqual({ following: { ann: ['ann'] }, followers: { ann: ['ann'] } })
  })

  it('nets a link added on one side and removed on the other in the same flush; removal deletes the row PrismaClient wrote', async () => {
    await seedWithPrisma()
    await models.inSession(async (session) => {
      const [ann, cid] = [await byName(session, 'ann'), await byName(session, 'cid')]
      const [annFollowing, annFollowers, cidFollowing, cidFollowers] = [await ann.following, await ann.followers, await cid.following, await cid.followers]
      cidFollowing.push(ann)
      expect(namesOf(annFollowers)).toEqual(['bob', 'cid'])
      annFollowers.splice(annFollowers.indexOf(cid), 1)
      expect(namesOf(cidFollowing)).toEqual([])
      expect(await sqlOf(() => session.flush())).toEqual([])
      // ann unfollows cid, through cid's followers: the row PrismaClient wrote (A = cid, B = ann) goes.
      cidFollowers.splice(cidFollowers.indexOf(ann), 1)
      expect(namesOf(annFollowing)).toEqual(['bob'])
      expect(await sqlOf(() => session.commit())).toEqual(['DELETE FROM "_Follows" WHERE "A" = ? AND "B" = ?'])
    })
    expect(await prismaFollows()).toEqual({ following: { ann: ['bob'], bob: ['ann'] }, followers: { ann: ['bob'], bob: ['ann'] } })
  })

  it('with autoflush off, a collection loaded later shows the unflushed links the other side recorded, and only on its own side', async () => {
    await seedWithPrisma()
    await models.inSession(
      async (session) => {
        const [bob, cid] = [await byName(session, 'bob'), await byName(session, 'cid')]
        // cid follows bob, recorded on bob's followers; cid's lists are loaded afterwards, without a flush.
        ;(await bob.followers).push(cid)
        expect([namesOf(await cid.following), namesOf(await cid.followers)]).toEqual([['bob'], ['ann']])
        expect(await linkNames('_Follows')).not.toContainEqual(['bob', 'cid'])
        await session.commit()
      },
      { autoflush: false },
    )
    expect(await linkNames('_Follows')).toContainEqual(['bob', 'cid'])
  })

  it('deleting a person removes its links in both columns', async () => {
    await seedWithPrisma()
    await client.person.update({ where: { name: 'cid' }, data: { following: { connect: [{ name: 'bob' }] } } })
    await models.inSession(async (session) => {
      await session.delete(await byName(session, 'ann'))
      await session.commit()
    })
    expect(await linkNames('_Follows')).toEqual([['bob', 'cid']])
    expect(await prismaFollows()).toEqual({ following: { cid: ['bob'] }, followers: { bob: ['cid'] } })
  })

  it('dynamic: append, count and filter through the join table, the other side loaded from it', async () => {
    await seedWithPrisma()
    await models.inSession(async (session) => {
      const [ann, bob, cid] = [await byName(session, 'ann'), await byName(session, 'bob'), await byName(session, 'cid')]
      ann.blocking.append(bob)
      ann.blocking.append(cid)
      const sql = await sqlOf(async () => expect(await ann.blocking.filterBy({ name: 'cid' }).count()).toBe(1))
      expect(sql).toEqual([
        'INSERT INTO "_Blocks" ("B", "A") VALUES (?, ?)',
        'INSERT INTO "_Blocks" ("B", "A") VALUES (?, ?)',
        'SELECT count(*) FROM "Person" WHERE "id" IN (SELECT "s"."A" FROM "_Blocks" AS "s" WHERE "s"."B" = ?) AND "name" = ?',
      ])
      expect(namesOf(await bob.blockedBy)).toEqual(['ann'])
      ann.blocking.remove(bob)
      await session.commit()
    })
    expect(await linkNames('_Blocks')).toEqual([['cid', 'ann']])
    const cid = await client.person.findUnique({ where: { name: 'cid' }, include: { blockedBy: true } })
    expect(cid.blockedBy.map((person: { name: string }) => person.name)).toEqual(['ann'])
  })
})
