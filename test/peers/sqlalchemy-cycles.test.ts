// SQLAlchemy's test/orm/test_cycles.py, ported: self-referential tables, two tables that reference each other, and
// post_update (a foreign key written by an UPDATE after the INSERTs, set to NULL before the DELETEs). Here post_update is
// automatic: of the nullable keys of a cycle between tables, the first by model then field name is deferred (see
// runtime/orm/unit-of-work/commit-order.ts), and rows of one table that point at each other defer the key of the first row added.
// Where SQLAlchemy's test declares post_update on another relationship, the statements are ours and say so.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Session } from 'prismalchemy'
import { DIALECTS, normalizeSql } from '../helpers/dialects.js'
import { generatedKeyInserts } from '../helpers/generated-key-inserts.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { recordSql } from '../helpers/sql-recorder.js'
import { peerModels, type PeerModels } from './fixtures.js'

type ModelClass = InlineModels['classes'][string]

/** The statements `work` runs, with their parameters, without transaction control. */
async function statementsOf(models: InlineModels, work: () => Promise<unknown>): Promise<[string, unknown[]][]> {
  const recorder = recordSql(models.engine)
  try {
    await work()
  } finally {
    recorder.stop()
  }
  return recorder.statements.filter((s) => !/^(BEGIN|COMMIT|ROLLBACK)\b/.test(s.sql)).map((s) => [normalizeSql(s.sql), [...s.parameters]])
}

// SelfReferentialTest: t1 refers to itself (parent_c1), t2 refers to t1; deletes cascade.
const SELF_SCHEMA = `datasource db {
  provider = "sqlite"
}

model C1 {
  c1       Int     @id @default(autoincrement())
  parentC1 Int?    @map("parent_c1")
  data     String?
  parent   C1?     @relation("tree", fields: [parentC1], references: [c1])
  /// @cascade(delete)
  c1s      C1[]    @relation("tree")
  /// @cascade(delete, delete-orphan)
  c2s      C2[]
  @@map("t1")
}

model C2 {
  c1   Int     @id @default(autoincrement())
  c1id Int?
  data String?
  c1s  C1?     @relation(fields: [c1id], references: [c1])
  @@map("t2")
}
`

// SelfReferentialNoPKTest: a self-reference through a unique column that is not the key.
const NO_PK_SCHEMA = `datasource db {
  provider = "sqlite"
}

model TT {
  id         Int     @id @default(autoincrement())
  uuid       String  @unique
  parentUuid String? @map("parent_uuid")
  parent     TT?     @relation("byUuid", fields: [parentUuid], references: [uuid])
  children   TT[]    @relation("byUuid")
  @@map("item")
}
`

// BiDirectionalManyToOneTest (t1 <-> t2, t3 -> both) and BiDirectionalOneToManyTest (C1 <-> C2 through c2 columns).
const BIDIRECTIONAL_SCHEMA = `datasource db {
  provider = "sqlite"
}

model T1 {
  id   Int     @id @default(autoincrement())
  data String?
  t2id Int?
  t2   T2?     @relation("t1_t2", fields: [t2id], references: [id])
  t2s  T2[]    @relation("t2_t1")
  t3s  T3[]
  @@map("t1")
}

model T2 {
  id   Int     @id @default(autoincrement())
  data String?
  t1id Int?
  t1   T1?     @relation("t2_t1", fields: [t1id], references: [id])
  t1s  T1[]    @relation("t1_t2")
  t3s  T3[]
  @@map("t2")
}

model T3 {
  id   Int     @id @default(autoincrement())
  data String?
  t1id Int
  t2id Int
  t1   T1      @relation(fields: [t1id], references: [id])
  t2   T2      @relation(fields: [t2id], references: [id])
  @@map("t3")
}
`

// OneToManyManyToOneTest: a person has balls (ball.person_id) and a favorite ball (person.favorite_ball_id). No cascade:
// where SQLAlchemy's test cascades the delete to the balls, ours deletes them too.
const BALLS_SCHEMA = `datasource db {
  provider = "sqlite"
}

model Ball {
  id        Int      @id @default(autoincrement())
  personId  Int?     @map("person_id")
  data      String?
  person    Person?  @relation("balls", fields: [personId], references: [id])
  favoredBy Person[] @relation("favorite")
  @@map("ball")
}

model Person {
  id             Int     @id @default(autoincrement())
  favoriteBallId Int?    @map("favorite_ball_id")
  data           String?
  balls          Ball[]  @relation("balls")
  favorite       Ball?   @relation("favorite", fields: [favoriteBallId], references: [id])
  @@map("person")
}
`

// PostUpdateBatchingTest: a parent with three nullable keys to its own children; PostUpdateOnUpdateTest: @updatedAt on a post-updated row.
const BATCHING_SCHEMA = `datasource db {
  provider = "sqlite"
}

model Parent {
  id   Int      @id @default(autoincrement())
  name String
  c1Id Int?     @map("c1_id")
  c2Id Int?     @map("c2_id")
  c3Id Int?     @map("c3_id")
  c1   Child1?  @relation("c1", fields: [c1Id], references: [id])
  c2   Child2?  @relation("c2", fields: [c2Id], references: [id])
  c3   Child3?  @relation("c3", fields: [c3Id], references: [id])
  c1s  Child1[] @relation("c1s")
  c2s  Child2[] @relation("c2s")
  c3s  Child3[] @relation("c3s")
  @@map("parent")
}

model Child1 {
  id       Int      @id @default(autoincrement())
  name     String
  parentId Int      @map("parent_id")
  parent   Parent   @relation("c1s", fields: [parentId], references: [id])
  chosenBy Parent[] @relation("c1")
  @@map("child1")
}

model Child2 {
  id       Int      @id @default(autoincrement())
  name     String
  parentId Int      @map("parent_id")
  parent   Parent   @relation("c2s", fields: [parentId], references: [id])
  chosenBy Parent[] @relation("c2")
  @@map("child2")
}

model Child3 {
  id       Int      @id @default(autoincrement())
  name     String
  parentId Int      @map("parent_id")
  parent   Parent   @relation("c3s", fields: [parentId], references: [id])
  chosenBy Parent[] @relation("c3")
  @@map("child3")
}

model A {
  id          Int      @id @default(autoincrement())
  data        Int?
  favoriteBId Int?     @map("favorite_b_id")
  updated     DateTime @updatedAt
  favoriteB   B?       @relation("favorite", fields: [favoriteBId], references: [id])
  bs          B[]      @relation("bs")
  @@map("a")
}

model B {
  id        Int  @id @default(autoincrement())
  aId       Int? @map("a_id")
  a         A?   @relation("bs", fields: [aId], references: [id])
  favoredBy A[]  @relation("favorite")
  @@map("b")
}
`

describe.each(DIALECTS)('on %s', (dialect) => {
  /** The one INSERT of a new row with `head` and `row` whose key the server generates (see generatedKeyInserts). */
  const insertOne = (head: string, row: string): string => generatedKeyInserts(dialect, head, row, 1)[0]

  describe('SelfReferentialTest', () => {
    let models: InlineModels
    let C1: ModelClass
    let C2: ModelClass
    beforeAll(async () => {
      models = await inlineModels('cycles-self', SELF_SCHEMA, dialect)
      ;({ C1, C2 } = models.classes)
    })
    afterEach(() => models.database.execute('DELETE FROM "t2"; UPDATE "t1" SET "parent_c1" = NULL; DELETE FROM "t1";'))
    afterAll(() => models.dispose())

    // test_cycles.py::SelfReferentialTest::test_single
    it('a parent and its child in one flush, then deleting the parent deletes the child first', async () => {
      await models.inSession(async (session) => {
        const a = new C1({ data: 'head c1' })
        ;(await a.c1s).push(new C1({ data: 'another c1' }))
        session.add(a)
        await session.flush()
        session.delete(a)
        const statements = await statementsOf(models, () => session.flush())
        expect(statements.map(([sql]) => sql).filter((sql) => sql.startsWith('DELETE'))).toEqual(['DELETE FROM "t1" WHERE "c1" IN (?)', 'DELETE FROM "t1" WHERE "c1" IN (?)'])
        await session.commit()
      })
      expect(await models.readRows('SELECT "c1" FROM "t1"')).toEqual([])
    })

    // test_cycles.py::SelfReferentialTest::test_cycle
    it('a two-level tree with t2 rows under one child saves, then deleting the head removes every row', async () => {
      await models.inSession(async (session) => {
        const a = new C1({ data: 'head c1' })
        const child1 = new C1({ data: 'child1' })
        const child2 = new C1({ data: 'child2' })
        ;(await a.c1s).push(child1, child2)
        ;(await child1.c1s).push(new C1({ data: 'subchild1' }), new C1({ data: 'subchild2' }))
        ;(await child2.c2s).push(new C2({ data: 'child2 data1' }), new C2({ data: 'child2 data2' }))
        session.add(a)
        await session.flush()
        expect((await child2.c2s).map((c2: { c1id: number }) => c2.c1id)).toEqual([child2.c1, child2.c1])
        session.delete(a)
        await session.flush()
        await session.commit()
      })
      expect([await models.readRows('SELECT "c1" FROM "t1"'), await models.readRows('SELECT "c1" FROM "t2"')]).toEqual([[], []])
    })
  })

  describe('SelfReferentialTest on the fixture nodes', () => {
    let models: PeerModels
    let Node: ModelClass
    beforeAll(async () => {
      models = await peerModels('cycles-nodes', dialect)
      ;({ Node } = models.classes)
    })
    afterEach(() => models.clear())
    afterAll(() => models.dispose())

    // test_cycles.py::SelfReferentialTest::test_many_to_one_only
    it('a new child of a row loaded in a new session gets its key', async () => {
      const id = await models.inSession(async (session) => {
        const c1 = new Node({})
        session.add(c1)
        await session.commit()
        return c1.id as number
      })
      await models.inSession(async (session) => {
        const c1 = await session.get(Node, id)
        const c2 = new Node({ parent: c1 })
        session.add(c2)
        await session.flush()
        expect(c2.parentId).toBe(c1.id)
      })
    })

    // test_cycles.py::SelfReferentialTest::test_setnull_ondelete
    it('deleting a parent leaves its child with a NULL key, in memory and in the row', async () => {
      await models.inSession(async (session) => {
        const c1 = new Node({})
        const c2 = new Node({})
        ;(await c1.children).push(c2)
        session.add(c1)
        await session.flush()
        expect(c2.parentId).toBe(c1.id)
        session.delete(c1)
        await session.flush()
        expect(c2.parentId).toBeNull()
        session.expireAll()
        expect(await session.refresh(c2).then(() => c2.parentId)).toBeNull()
      })
    })

    // test_cycles.py::SelfReferentialPostUpdateTest2::test_one
    it('a new row pointing at a row flushed earlier reads it back after a reload', async () => {
      const ids = await models.inSession(async (session) => {
        const f1 = new Node({ data: 'f1' })
        session.add(f1)
        await session.flush()
        const f2 = new Node({ data: 'f2', parent: f1 })
        session.add(f2)
        await session.commit()
        return { f1: f1.id as number, f2: f2.id as number }
      })
      await models.inSession(async (session) => {
        const f1 = await session.get(Node, ids.f1)
        const f2 = await session.get(Node, ids.f2)
        expect(await f2.parent).toBe(f1)
      })
    })
  })

  describe('SelfReferentialNoPKTest', () => {
    let models: InlineModels
    let TT: ModelClass
    let counter = 0
    const make = () => new TT({ uuid: `tt-${++counter}` })
    beforeAll(async () => {
      models = await inlineModels('cycles-no-pk', NO_PK_SCHEMA, dialect)
      ;({ TT } = models.classes)
    })
    afterAll(() => models.dispose())

    // test_cycles.py::SelfReferentialNoPKTest::test_basic
    it('children point at their parent through its uuid', async () => {
      const t1Id = await models.inSession(async (session) => {
        const t1 = make()
        ;(await t1.children).push(make(), make())
        session.add(t1)
        await session.commit()
        return t1.id as number
      })
      await models.inSession(async (session) => {
        const t = await session.query(TT).filterBy({ id: t1Id }).one()
        const [first] = await t.children
        expect(first.parentUuid).toBe(t.uuid)
      })
    })

    // test_cycles.py::SelfReferentialNoPKTest::test_lazy_clause
    it('a child loads its parent through the uuid', async () => {
      const ids = await models.inSession(async (session) => {
        const t1 = make()
        const t2 = make()
        ;(await t1.children).push(t2)
        session.add(t1)
        await session.commit()
        return { t1: t1.uuid as string, t2: t2.id as number }
      })
      await models.inSession(async (session) => {
        const t = await session.query(TT).filterBy({ id: ids.t2 }).one()
        expect((await t.parent).uuid).toBe(ids.t1)
      })
    })
  })

  describe('BiDirectionalManyToOneTest and BiDirectionalOneToManyTest', () => {
    let models: InlineModels
    let T1: ModelClass
    let T2: ModelClass
    let T3: ModelClass
    beforeAll(async () => {
      models = await inlineModels('cycles-bidirectional', BIDIRECTIONAL_SCHEMA, dialect)
      ;({ T1, T2, T3 } = models.classes)
    })
    afterEach(() => models.database.execute('DELETE FROM "t3"; UPDATE "t1" SET "t2id" = NULL; DELETE FROM "t2"; DELETE FROM "t1";'))
    afterAll(() => models.dispose())

    // test_cycles.py::BiDirectionalManyToOneTest::test_reflush
    it('t1 -> t2 in one flush (t1.t2id is the deferred key), then a t3 pointing at both', async () => {
      await models.inSession(async (session) => {
        const o1 = new T1({})
        o1.t2 = new T2({})
        session.add(o1)
        const o2 = await o1.t2
        expect(await statementsOf(models, () => session.flush())).toEqual([
          [insertOne('INSERT INTO "t1" ("data", "t2id")', '(?, ?)'), [null, null]],
          [insertOne('INSERT INTO "t2" ("data", "t1id")', '(?, ?)'), [null, null]],
          ['UPDATE "t1" SET "t2id" = ? WHERE "id" = ?', [o2.id, o1.id]],
        ])
        const o3 = new T3({ t1: o1, t2: o2 })
        session.add(o3)
        await session.flush()
        expect([o3.t1id, o3.t2id]).toEqual([o1.id, o2.id])
        await session.commit()
      })
    })

    // test_cycles.py::BiDirectionalManyToOneTest::test_reflush_2
    it('new t1 and t2 rows and two t3 rows, old and new, in one flush', async () => {
      await models.inSession(async (session) => {
        const o1 = new T1({})
        o1.t2 = new T2({})
        session.add(o1)
        await session.flush()
        const o1a = new T1({})
        const o2a = new T2({})
        session.addAll([o1a, o2a])
        const o3b = new T3({ t1: o1a, t2: o2a })
        const o3 = new T3({ t1: o1, t2: await o1.t2 })
        session.addAll([o3b, o3])
        await session.commit()
        expect([o3b.t1id, o3b.t2id, o3.t1id, o3.t2id]).toEqual([o1a.id, o2a.id, o1.id, o1.t2id])
      })
      expect(await models.readRows('SELECT count(*) AS n FROM "t3"')).toEqual([{ n: dialect === 'postgresql' ? '2' : 2 }])
    })

    // test_cycles.py::BiDirectionalOneToManyTest::test_cycle
    it('rows of both tables in each other\'s collections save in one flush', async () => {
      await models.inSession(async (session) => {
        const [a, c] = [new T1({}), new T1({})]
        const [b, d, e, f] = [new T2({}), new T2({}), new T2({}), new T2({})]
        ;(await a.t2s).push(b)
        ;(await d.t1s).push(c)
        ;(await b.t1s).push(c)
        session.addAll([a, b, c, d, e, f])
        await session.flush()
        expect([b.t1id, c.t2id]).toEqual([a.id, b.id])
        await session.commit()
      })
    })
  })

  describe('OneToManyManyToOneTest', () => {
    let models: InlineModels
    let Ball: ModelClass
    let Person: ModelClass
    beforeAll(async () => {
      models = await inlineModels('cycles-balls', BALLS_SCHEMA, dialect)
      ;({ Ball, Person } = models.classes)
    })
    afterEach(() => models.database.execute('UPDATE "ball" SET "person_id" = NULL; DELETE FROM "person"; DELETE FROM "ball";'))
    afterAll(() => models.dispose())

    /** The INSERTs of `n` new balls holding `data` and no person, with their parameters: one multi-row INSERT, or one per row on MySQL. */
    const insertBalls = (n: number, data: string): [string, unknown[]][] => {
      const statements = generatedKeyInserts(dialect, 'INSERT INTO "ball" ("person_id", "data")', '(?, ?)', n)
      return statements.map((text) => [text, Array.from({ length: n / statements.length }, () => [null, data]).flat()])
    }
    const INSERT_PERSON = insertOne('INSERT INTO "person" ("favorite_ball_id", "data")', '(?, ?)')
    const SET_PERSON = 'UPDATE "ball" SET "person_id" = ? WHERE "id" = ?'

    // test_cycles.py::OneToManyManyToOneTest::test_cycle
    it('a person with a ball in its collection saves', async () => {
      await models.inSession(async (session) => {
        const b = new Ball({})
        const p = new Person({})
        ;(await p.balls).push(b)
        session.add(p)
        await session.flush()
        expect(b.personId).toBe(p.id)
      })
    })

    // test_cycles.py::OneToManyManyToOneTest::test_post_update_o2m (and test_post_update_m2o's rows: there the
    // person's favorite is the post_update; here the rule defers Ball.person, so the statements are those of _o2m)
    it('balls inserted with person_id NULL, the person with its favorite, then one UPDATE per ball; deletes in reverse', async () => {
      await models.inSession(async (session) => {
        const p = new Person({ data: 'some data' })
        const balls = [1, 2, 3, 4].map(() => new Ball({ data: 'some data' }))
        ;(await p.balls).push(...balls)
        p.favorite = balls[0]
        session.addAll([balls[0], p, ...balls.slice(1)])
        expect(await statementsOf(models, () => session.flush())).toEqual([
          ...insertBalls(4, 'some data'),
          [INSERT_PERSON, [balls[0].id, 'some data']],
          ...balls.map((ball): [string, unknown[]] => [SET_PERSON, [p.id, ball.id]]),
        ])
        for (const doomed of [p, ...balls]) session.delete(doomed)
        expect(await statementsOf(models, () => session.flush())).toEqual([
          ...balls.map((ball): [string, unknown[]] => [SET_PERSON, [null, ball.id]]),
          ['DELETE FROM "person" WHERE "id" IN (?)', [p.id]],
          ['DELETE FROM "ball" WHERE "id" IN (?, ?, ?, ?)', balls.map((ball) => ball.id)],
        ])
        await session.commit()
      })
      expect([await models.readRows('SELECT "id" FROM "person"'), await models.readRows('SELECT "id" FROM "ball"')]).toEqual([[], []])
    })

    // test_cycles.py::OneToManyManyToOneTest::test_post_update_m2o_no_cascade
    it('deleting a person whose favorite ball stays: one DELETE (SQLAlchemy\'s declared post_update also nulls the key first)', async () => {
      await models.inSession(async (session) => {
        const b = new Ball({ data: 'some data' })
        const p = new Person({ data: 'some data', favorite: b })
        session.addAll([b, p])
        await session.flush()
        session.delete(p)
        expect(await statementsOf(models, () => session.flush())).toEqual([['DELETE FROM "person" WHERE "id" IN (?)', [p.id]]])
      })
    })

    // test_cycles.py::OneToManyManyToOneTest::test_post_update_m2o_detect_none
    it('setting an unloaded person to null writes the NULL', async () => {
      await models.inSession(async (session) => {
        session.add(new Ball({ person: new Person({}) }))
        await session.commit()
        const b1 = await session.query(Ball).first()
        b1.person = null
        expect(await statementsOf(models, () => session.flush())).toEqual([[SET_PERSON, [null, b1.id]]])
        expect(await b1.person).toBeNull()
      })
    })

    // test_cycles.py::OneToManyManyToOneTest::test_post_update_backref
    it('moving a ball between persons, from either side, across commits', async () => {
      await models.inSession(async (session: Session) => {
        const [p1, p2, p3] = ['p1', 'p2', 'p3'].map((data) => new Person({ data }))
        const b1 = new Ball({ data: 'b1' })
        b1.person = p1
        session.addAll([p1, p2, p3])
        await session.commit()
        b1.person = p2
        await session.commit()
        expect(await b1.person).toBe(p2)
        ;(await p3.balls).push(b1)
        await session.commit()
        expect(await b1.person).toBe(p3)
      })
      expect(await models.readRows('SELECT "data" FROM "person" WHERE "id" = (SELECT "person_id" FROM "ball")')).toEqual([{ data: 'p3' }])
    })
  })

  describe('PostUpdateBatchingTest and PostUpdateOnUpdateTest', () => {
    let models: InlineModels
    let Parent: ModelClass
    let Child1: ModelClass
    let Child2: ModelClass
    let Child3: ModelClass
    let A: ModelClass
    let B: ModelClass
    beforeAll(async () => {
      models = await inlineModels('cycles-batching', BATCHING_SCHEMA, dialect)
      ;({ Parent, Child1, Child2, Child3, A, B } = models.classes)
    })
    afterAll(() => models.dispose())

    // test_cycles.py::PostUpdateBatchingTest::test_one
    it('three keys changed on one row: one UPDATE setting all three, then one setting all to NULL', async () => {
      await models.inSession(async (session) => {
        const p1 = new Parent({ name: 'p1' })
        const [c11, c12, c13] = ['c1', 'c2', 'c3'].map((name) => new Child1({ name }))
        const [c21, c22, c23] = ['c1', 'c2', 'c3'].map((name) => new Child2({ name }))
        const [c31, c32, c33] = ['c1', 'c2', 'c3'].map((name) => new Child3({ name }))
        ;(await p1.c1s).push(c11, c12, c13)
        ;(await p1.c2s).push(c21, c22, c23)
        ;(await p1.c3s).push(c31, c32, c33)
        session.add(p1)
        await session.flush()
        p1.c1 = c12
        p1.c2 = c23
        p1.c3 = c31
        const UPDATE = 'UPDATE "parent" SET "c1_id" = ?, "c2_id" = ?, "c3_id" = ? WHERE "id" = ?'
        expect(await statementsOf(models, () => session.flush())).toEqual([[UPDATE, [c12.id, c23.id, c31.id, p1.id]]])
        p1.c1 = null
        p1.c2 = null
        p1.c3 = null
        expect(await statementsOf(models, () => session.flush())).toEqual([[UPDATE, [null, null, null, p1.id]]])
        expect([c11, c13, c21, c22, c32, c33].every((child) => child.parentId === p1.id)).toBe(true)
      })
    })

    // test_cycles.py::PostUpdateOnUpdateTest::test_update_defaults (SQLAlchemy's onupdate fires for the post UPDATE; a
    // row inserted in the same flush already holds the flush's @updatedAt, so here the UPDATE sets the key alone)
    it('a row inserted and post-updated in one flush: the UPDATE sets only the key; @updatedAt keeps the INSERT\'s value', async () => {
      await models.inSession(async (session) => {
        const a1 = new A({})
        const b1 = new B({})
        ;(await a1.bs).push(b1)
        a1.favoriteB = b1
        session.add(a1)
        const statements = await statementsOf(models, () => session.flush())
        expect(statements.map(([sql]) => sql)).toEqual([
          insertOne('INSERT INTO "a" ("data", "favorite_b_id", "updated")', '(?, ?, ?)'),
          insertOne('INSERT INTO "b" ("a_id")', '(?)'),
          'UPDATE "a" SET "favorite_b_id" = ? WHERE "id" = ?',
        ])
        expect(statements[0][1].slice(0, 2)).toEqual([null, null])
        expect(statements[2][1]).toEqual([b1.id, a1.id])
        expect(a1.updated).toBeInstanceOf(Date)
        expect(a1.favoriteBId).toBe(b1.id)
        await session.commit()
      })
    })

    // test_cycles.py::PostUpdateOnUpdateTest::test_update_defaults_no_postupdate, for a row this flush did not write yet
    it('a persistent row whose only change is a deferred key: its post UPDATE also sets @updatedAt', async () => {
      await models.inSession(async (session) => {
        const a1 = new A({})
        session.add(a1)
        await session.commit()
        const before = a1.updated as Date
        const b1 = new B({})
        a1.favoriteB = b1
        session.add(b1)
        const statements = await statementsOf(models, () => session.flush())
        expect(statements.map(([sql]) => sql)).toEqual([insertOne('INSERT INTO "b" ("a_id")', '(?)'), 'UPDATE "a" SET "favorite_b_id" = ?, "updated" = ? WHERE "id" = ?'])
        expect(statements[1][1][0]).toBe(b1.id)
        expect((a1.updated as Date).getTime()).toBeGreaterThanOrEqual(before.getTime())
        await session.commit()
      })
    })
  })
})
