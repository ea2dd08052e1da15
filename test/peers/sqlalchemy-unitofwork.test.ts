// SQLAlchemy's test/orm/test_unitofworkv2.py, ported: which statements a flush emits, in which order and how many
// (dependency order between tables and within a self-referential table, batching, deletes), and what the objects hold after.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import * as prismalchemy from 'prismalchemy'
import { inspect, StaleDataError, type Session } from 'prismalchemy'
import { beginOf, DIALECTS, normalizeSql, type TestDialect } from '../helpers/dialects.js'
import { generatedKeyInserts } from '../helpers/generated-key-inserts.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { capturedSql } from '../helpers/sql-recorder.js'
import { peerModels, type PeerModels } from './fixtures.js'

type ModelClass = InlineModels['classes'][string]

// n rows with generated keys: one INSERT ... RETURNING, or one INSERT per row on MySQL (as SQLAlchemy does there, reading cursor.lastrowid).
const insertUser = (dialect: TestDialect) => generatedKeyInserts(dialect, 'INSERT INTO "users" ("name")', '(?)', 1)
const insertAddresses = (dialect: TestDialect, n: number) => generatedKeyInserts(dialect, 'INSERT INTO "addresses" ("user_id", "email_address")', '(?, ?)', n)
const insertNodes = (dialect: TestDialect, n: number) => generatedKeyInserts(dialect, 'INSERT INTO "nodes" ("parent_id", "data")', '(?, ?)', n)
const inList = (n: number) => `(${Array(n).fill('?').join(', ')})`

// A with B children, lazy="raise" on both sides (RaiseLoadIgnoredTest).
const RAISE_SCHEMA = `datasource db {
  provider = "sqlite"
}

model A {
  id Int @id @default(autoincrement())
  /// @lazy(raise)
  bs B[]
}

model B {
  id  Int  @id @default(autoincrement())
  aId Int? @map("a_id")
  /// @lazy(raise)
  a   A?   @relation(fields: [aId], references: [id])
}
`

// parent/child sharing a primary key, the child deleted with its parent and as an orphan (RowswitchAccountingTest, BasicStaleChecksTest).
const PARENT_CHILD_SCHEMA = `datasource db {
  provider = "sqlite"
}

model Parent {
  id    Int    @id
  data  Int?
  /// @cascade(delete, delete-orphan)
  child Child?
  @@map("parent")
}

model Child {
  id     Int    @id
  data   Int?
  parent Parent @relation(fields: [id], references: [id])
  @@map("child")
}
`

// a -> b (delete-orphan) -> c (RowswitchM2OTest).
const ROWSWITCH_M2O_SCHEMA = `datasource db {
  provider = "sqlite"
}

model A {
  id Int @id
  /// @cascade(delete, delete-orphan)
  bs B[]
  @@map("a")
}

model B {
  id   Int     @id
  aId  Int?    @map("aid")
  cId  Int?    @map("cid")
  data String?
  a    A?      @relation(fields: [aId], references: [id])
  c    C?      @relation(fields: [cId], references: [id])
  @@map("b")
}

model C {
  id Int @id
  bs B[]
  @@map("c")
}
`

// Tables of the batching, defaults and value-comparison tests.
const VALUES_SCHEMA = `datasource db {
  provider = "sqlite"
}

model T {
  id   Int     @id @default(autoincrement())
  data String?
  def  String? @default("def1") @map("def_")
  @@map("t")
}

model Thing {
  id     Int  @id
  foo    Int? @default(3)
  @@map("test")
}

model Counter {
  id            Int @id @default(autoincrement())
  prefetchVal   Int @default(5) @map("prefetch_val")
  returningVal  Int @default(5) @map("returning_val")
  @@map("counter")
}

model Widget {
  id        Int     @id @default(autoincrement())
  value     Bytes?
  unrelated String?
  @@map("widget")
}

model Datum {
  id      Int      @id @default(autoincrement())
  results Result[]
  @@map("datum")
}

model Result {
  id         Int    @id @default(autoincrement())
  lftDatumId Int    @map("lft_datum_id")
  label      String
  lftDatum   Datum  @relation(fields: [lftDatumId], references: [id])
  @@map("result")
}
`

describe.each(DIALECTS)('on %s', (dialect) => {
  const begin = beginOf(dialect)

  describe('fixture tables', () => {
    let models: PeerModels
    let User: ModelClass
    let Address: ModelClass
    let Node: ModelClass
    let Item: ModelClass
    let Keyword: ModelClass

    beforeAll(async () => {
      models = await peerModels('uow', dialect)
      ;({ User, Address, Node, Item, Keyword } = models.classes)
    }, 60_000)
    afterAll(async () => {
      await models.dispose()
    })
    beforeEach(async () => {
      await models.clear()
    })

    const sqlOf = async (work: () => Promise<unknown>) => (await capturedSql(models.engine, work)).map(normalizeSql)
    const paramsOf = async (work: () => Promise<unknown>) => {
      const { recordSql } = await import('../helpers/sql-recorder.js')
      const recorder = recordSql(models.engine)
      try {
        await work()
        return recorder.statements.map((s) => ({ sql: normalizeSql(s.sql), parameters: s.parameters }))
      } finally {
        recorder.stop()
      }
    }

    /** u1 with addresses a1 and a2 (through address.user), added. */
    function userWithTwoAddresses(session: Session) {
      const u1 = new User({ name: 'u1' })
      const a1 = new Address({ emailAddress: 'a1', user: u1 })
      const a2 = new Address({ emailAddress: 'a2', user: u1 })
      session.addAll([u1, a1, a2])
      return { u1, a1, a2 }
    }

    describe('RudimentaryFlushTest', () => {
      // test_unitofworkv2.py::RudimentaryFlushTest::test_one_to_many_save
      it('one-to-many save: INSERT the user, then both addresses in one statement with its key', async () => {
        await models.inSession(async (session) => {
          const u1 = new User({ name: 'u1' })
          session.add(u1)
          const a1 = new Address({ emailAddress: 'a1' })
          const a2 = new Address({ emailAddress: 'a2' })
          const addresses = await u1.addresses
          addresses.push(a1, a2)
          const statements = await paramsOf(() => session.flush())
          expect(statements.map((s) => s.sql)).toEqual([begin, ...insertUser(dialect), ...insertAddresses(dialect, 2)])
          expect(statements[1].parameters).toEqual(['u1'])
          expect(statements.slice(2).flatMap((s) => s.parameters)).toEqual([u1.id, 'a1', u1.id, 'a2'])
        }, { autoflush: false })
      })

      // test_unitofworkv2.py::RudimentaryFlushTest::test_one_to_many_delete_all
      it('one-to-many delete all: the addresses in one DELETE, then the user', async () => {
        await models.inSession(async (session) => {
          const { u1, a1, a2 } = userWithTwoAddresses(session)
          await session.flush()
          session.delete(u1)
          session.delete(a1)
          session.delete(a2)
          const statements = await paramsOf(() => session.flush())
          expect(statements.map((s) => s.sql)).toEqual([`DELETE FROM "addresses" WHERE "id" IN ${inList(2)}`, `DELETE FROM "users" WHERE "id" IN ${inList(1)}`])
          expect(statements[0].parameters).toEqual([a1.id, a2.id])
          expect(statements[1].parameters).toEqual([u1.id])
        })
      })

      // test_unitofworkv2.py::RudimentaryFlushTest::test_one_to_many_delete_parent
      // SQLAlchemy nulls the children's foreign key with an UPDATE before deleting the user; prismalchemy leaves that to
      // the database's ON DELETE SET NULL (Prisma's default for an optional relation) and reflects it in memory.
      it('one-to-many delete parent only: the addresses keep their rows with a null user_id', async () => {
        await models.inSession(async (session) => {
          const { u1, a1, a2 } = userWithTwoAddresses(session)
          await session.flush()
          await u1.addresses
          session.delete(u1)
          expect(await sqlOf(() => session.flush())).toEqual([`DELETE FROM "users" WHERE "id" IN ${inList(1)}`])
          expect(a1.userId).toBeNull()
          expect(a2.userId).toBeNull()
          await session.commit()
        })
        expect(await models.readRows('SELECT "email_address", "user_id" FROM "addresses" ORDER BY "id"')).toEqual([
          { email_address: 'a1', user_id: null },
          { email_address: 'a2', user_id: null },
        ])
      })

      // test_unitofworkv2.py::RudimentaryFlushTest::test_many_to_one_save
      it('many-to-one save: adding the addresses inserts their new user first', async () => {
        await models.inSession(async (session) => {
          const u1 = new User({ name: 'u1' })
          const a1 = new Address({ emailAddress: 'a1', user: u1 })
          const a2 = new Address({ emailAddress: 'a2', user: u1 })
          session.addAll([a1, a2])
          const statements = await paramsOf(() => session.flush())
          expect(statements.map((s) => s.sql)).toEqual([begin, ...insertUser(dialect), ...insertAddresses(dialect, 2)])
          expect(statements.slice(2).flatMap((s) => s.parameters)).toEqual([u1.id, 'a1', u1.id, 'a2'])
        })
      })

      // test_unitofworkv2.py::RudimentaryFlushTest::test_many_to_one_delete_all
      it('many-to-one delete all: addresses first, then the user', async () => {
        await models.inSession(async (session) => {
          const u1 = new User({ name: 'u1' })
          const a1 = new Address({ emailAddress: 'a1', user: u1 })
          const a2 = new Address({ emailAddress: 'a2', user: u1 })
          session.addAll([a1, a2])
          await session.flush()
          session.delete(u1)
          session.delete(a1)
          session.delete(a2)
          expect(await sqlOf(() => session.flush())).toEqual([`DELETE FROM "addresses" WHERE "id" IN ${inList(2)}`, `DELETE FROM "users" WHERE "id" IN ${inList(1)}`])
        })
      })

      // test_unitofworkv2.py::RudimentaryFlushTest::test_many_to_one_delete_target
      it('many-to-one delete target: the addresses set to null are updated before the user is deleted', async () => {
        await models.inSession(async (session) => {
          const u1 = new User({ name: 'u1' })
          const a1 = new Address({ emailAddress: 'a1', user: u1 })
          const a2 = new Address({ emailAddress: 'a2', user: u1 })
          session.addAll([a1, a2])
          await session.flush()
          session.delete(u1)
          a1.user = null
          a2.user = null
          const statements = await paramsOf(() => session.flush())
          expect(statements.map((s) => s.sql)).toEqual([
            'UPDATE "addresses" SET "user_id" = ? WHERE "id" = ?',
            'UPDATE "addresses" SET "user_id" = ? WHERE "id" = ?',
            `DELETE FROM "users" WHERE "id" IN ${inList(1)}`,
          ])
          expect(statements[0].parameters).toEqual([null, a1.id])
          expect(statements[1].parameters).toEqual([null, a2.id])
        })
      })

      // test_unitofworkv2.py::RudimentaryFlushTest::test_many_to_one_delete_unloaded
      it('deleting expired addresses and their expired user: the rows are read back, then addresses and user deleted', async () => {
        await models.inSession(async (session) => {
          const parent = new User({ name: 'p1' })
          const c1 = new Address({ emailAddress: 'c1', user: parent })
          const c2 = new Address({ emailAddress: 'c2', user: parent })
          session.addAll([c1, c2, parent])
          await session.flush()
          for (const obj of [parent, c1, c2]) session.expire(obj)
          session.delete(c1)
          session.delete(c2)
          session.delete(parent)
          const sql = await sqlOf(() => session.flush())
          const deletes = sql.filter((text) => text.startsWith('DELETE'))
          expect(deletes).toEqual([`DELETE FROM "addresses" WHERE "id" IN ${inList(2)}`, `DELETE FROM "users" WHERE "id" IN ${inList(1)}`])
          expect(sql.filter((text) => text.startsWith('SELECT')).length).toBeLessThanOrEqual(3)
          expect(inspect(parent).deleted && inspect(c1).deleted && inspect(c2).deleted).toBe(true)
          await session.commit()
        })
        expect(await models.readRows('SELECT "id" FROM "addresses"')).toEqual([])
        expect(await models.readRows('SELECT "id" FROM "users"')).toEqual([])
      })

      // test_unitofworkv2.py::RudimentaryFlushTest::test_many_to_one_delete_childonly_unloaded
      it('deleting expired addresses alone selects nothing about their user', async () => {
        await models.inSession(async (session) => {
          const parent = new User({ name: 'p1' })
          const c1 = new Address({ emailAddress: 'c1', user: parent })
          const c2 = new Address({ emailAddress: 'c2', user: parent })
          session.addAll([c1, c2, parent])
          await session.flush()
          session.expire(c1)
          session.expire(c2)
          session.delete(c1)
          session.delete(c2)
          const sql = await sqlOf(() => session.flush())
          expect(sql.filter((text) => text.includes('"users"'))).toEqual([])
          expect(sql.at(-1)).toBe(`DELETE FROM "addresses" WHERE "id" IN ${inList(2)}`)
        })
      })

      // test_unitofworkv2.py::RudimentaryFlushTest::test_many_to_one_delete_childonly_unloaded_expired
      it('deleting expired addresses of an expired user still selects nothing about the user', async () => {
        await models.inSession(async (session) => {
          const parent = new User({ name: 'p1' })
          const c1 = new Address({ emailAddress: 'c1', user: parent })
          const c2 = new Address({ emailAddress: 'c2', user: parent })
          session.addAll([c1, c2, parent])
          await session.flush()
          session.expire(parent)
          session.expire(c1)
          session.expire(c2)
          session.delete(c1)
          session.delete(c2)
          const sql = await sqlOf(() => session.flush())
          expect(sql.filter((text) => text.includes('"users"'))).toEqual([])
          expect(sql.at(-1)).toBe(`DELETE FROM "addresses" WHERE "id" IN ${inList(2)}`)
        })
      })

      // test_unitofworkv2.py::RudimentaryFlushTest::test_many_to_one_del_attr
      it('clearing a loaded many-to-one: one UPDATE setting the key to null', async () => {
        await models.inSession(async (session) => {
          const u1 = new User({ name: 'u1' })
          const a1 = new Address({ emailAddress: 'a1', user: u1 })
          const a2 = new Address({ emailAddress: 'a2', user: u1 })
          session.addAll([a1, a2])
          await session.flush()
          a1.user = null
          const statements = await paramsOf(() => session.flush())
          expect(statements.map((s) => s.sql)).toEqual(['UPDATE "addresses" SET "user_id" = ? WHERE "id" = ?'])
          expect(statements[0].parameters).toEqual([null, a1.id])
        })
      })

      // test_unitofworkv2.py::RudimentaryFlushTest::test_many_to_one_del_attr_unloaded
      it('clearing an expired many-to-one whose user was expunged: one UPDATE setting the key to null', async () => {
        await models.inSession(async (session) => {
          const u1 = new User({ name: 'u1' })
          const a1 = new Address({ emailAddress: 'a1', user: u1 })
          const a2 = new Address({ emailAddress: 'a2', user: u1 })
          session.addAll([a1, a2])
          await session.flush()
          session.expunge(u1)
          session.expire(a1, ['user'])
          a1.user = null
          session.add(a1)
          const statements = await paramsOf(() => session.flush())
          expect(statements.map((s) => s.sql)).toEqual(['UPDATE "addresses" SET "user_id" = ? WHERE "id" = ?'])
          expect(statements[0].parameters).toEqual([null, a1.id])
        })
      })

      // test_unitofworkv2.py::RudimentaryFlushTest::test_natural_ordering
      it('rows linked only by foreign-key values still go in dependency order, both ways', async () => {
        await models.inSession(async (session) => {
          const u1 = new User({ id: 1, name: 'u1' })
          const a1 = new Address({ id: 1, userId: 1, emailAddress: 'a2' })
          session.addAll([a1, u1])
          const inserts = await paramsOf(() => session.flush())
          expect(inserts.map((s) => s.sql)).toEqual([
            begin,
            'INSERT INTO "users" ("id", "name") VALUES (?, ?)',
            'INSERT INTO "addresses" ("id", "user_id", "email_address") VALUES (?, ?, ?)',
          ])
          expect(inserts[2].parameters).toEqual([1, 1, 'a2'])
          session.delete(u1)
          session.delete(a1)
          expect(await sqlOf(() => session.flush())).toEqual([`DELETE FROM "addresses" WHERE "id" IN ${inList(1)}`, `DELETE FROM "users" WHERE "id" IN ${inList(1)}`])
        })
      })

      // test_unitofworkv2.py::RudimentaryFlushTest::test_natural_selfref
      it('self-referential rows linked by key values alone go in one INSERT, in the order added', async () => {
        await models.inSession(async (session) => {
          session.addAll([new Node({ id: 1 }), new Node({ id: 2, parentId: 1 }), new Node({ id: 3, parentId: 2 })])
          const statements = await paramsOf(() => session.flush())
          expect(statements.map((s) => s.sql)).toEqual([begin, 'INSERT INTO "nodes" ("id", "parent_id", "data") VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?)'])
          expect(statements[1].parameters).toEqual([1, null, null, 2, 1, null, 3, 2, null])
        })
      })

      // test_unitofworkv2.py::RudimentaryFlushTest::test_many_to_many
      it('many-to-many: item, keyword, then the join row; an update of the item leaves the unloaded keywords alone', async () => {
        await models.inSession(async (session) => {
          const i1 = new Item({ description: 'i1' })
          session.add(i1)
          const k1 = new Keyword({ name: 'k1' })
          ;(await i1.keywords).push(k1)
          const statements = await paramsOf(() => session.flush())
          expect(statements.map((s) => s.sql)).toEqual([
            ...(statements[0].sql === begin ? [begin] : []),
            ...generatedKeyInserts(dialect, 'INSERT INTO "items" ("description")', '(?)', 1),
            ...generatedKeyInserts(dialect, 'INSERT INTO "keywords" ("name")', '(?)', 1),
            'INSERT INTO "_ItemToKeyword" ("A", "B") VALUES (?, ?)',
          ])
          expect(statements.at(-1)!.parameters).toEqual([i1.id, k1.id])
          session.expire(i1, ['keywords'])
          i1.description = 'i2'
          expect(await sqlOf(() => session.flush())).toEqual(['UPDATE "items" SET "description" = ? WHERE "id" = ?'])
        }, { autoflush: false })
      })
    })

    describe('SingleCycleTest', () => {
      // test_unitofworkv2.py::SingleCycleTest::test_one_to_many_save
      it('self-referential one-to-many save: the parent node, then its two children in one INSERT', async () => {
        await models.inSession(async (session) => {
          const n1 = new Node({ data: 'n1' })
          session.add(n1)
          const children = await n1.children
          children.push(new Node({ data: 'n2' }), new Node({ data: 'n3' }))
          const statements = await paramsOf(() => session.flush())
          expect(statements.map((s) => s.sql)).toEqual([begin, ...insertNodes(dialect, 1), ...insertNodes(dialect, 2)])
          expect(statements[1].parameters).toEqual([null, 'n1'])
          expect(statements.slice(2).flatMap((s) => s.parameters)).toEqual([n1.id, 'n2', n1.id, 'n3'])
        }, { autoflush: false })
      })

      // test_unitofworkv2.py::SingleCycleTest::test_one_to_many_delete_all
      it('self-referential delete all: the children in one DELETE, then the parent', async () => {
        await models.inSession(async (session) => {
          const n1 = new Node({ data: 'n1' })
          const n2 = new Node({ data: 'n2', parent: n1 })
          const n3 = new Node({ data: 'n3', parent: n1 })
          session.addAll([n1, n2, n3])
          await session.flush()
          session.delete(n1)
          session.delete(n2)
          session.delete(n3)
          const statements = await paramsOf(() => session.flush())
          expect(statements.map((s) => s.sql)).toEqual([`DELETE FROM "nodes" WHERE "id" IN ${inList(2)}`, `DELETE FROM "nodes" WHERE "id" IN ${inList(1)}`])
          expect(statements[0].parameters).toEqual([n2.id, n3.id])
          expect(statements[1].parameters).toEqual([n1.id])
        })
      })

      // test_unitofworkv2.py::SingleCycleTest::test_one_to_many_delete_parent
      // As in RudimentaryFlushTest: the children's parent_id is nulled by the database's ON DELETE SET NULL, not an UPDATE.
      it('self-referential delete of the parent only: children stay with a null parent_id', async () => {
        await models.inSession(async (session) => {
          const n1 = new Node({ data: 'n1' })
          const n2 = new Node({ data: 'n2', parent: n1 })
          const n3 = new Node({ data: 'n3', parent: n1 })
          session.addAll([n1, n2, n3])
          await session.flush()
          session.delete(n1)
          expect(await sqlOf(() => session.flush())).toEqual([`DELETE FROM "nodes" WHERE "id" IN ${inList(1)}`])
          expect(n2.parentId).toBeNull()
          expect(n3.parentId).toBeNull()
        })
      })

      // test_unitofworkv2.py::SingleCycleTest::test_many_to_one_save
      it('self-referential many-to-one save: the new parent first, then both children', async () => {
        await models.inSession(async (session) => {
          const n1 = new Node({ data: 'n1' })
          const n2 = new Node({ data: 'n2', parent: n1 })
          const n3 = new Node({ data: 'n3', parent: n1 })
          session.addAll([n2, n3])
          const statements = await paramsOf(() => session.flush())
          expect(statements.map((s) => s.sql)).toEqual([begin, ...insertNodes(dialect, 1), ...insertNodes(dialect, 2)])
          expect(statements.slice(2).flatMap((s) => s.parameters)).toEqual([n1.id, 'n2', n1.id, 'n3'])
        })
      })

      // test_unitofworkv2.py::SingleCycleTest::test_many_to_one_delete_all
      it('self-referential many-to-one delete all: children first, then the parent', async () => {
        await models.inSession(async (session) => {
          const n1 = new Node({ data: 'n1' })
          const n2 = new Node({ data: 'n2', parent: n1 })
          const n3 = new Node({ data: 'n3', parent: n1 })
          session.addAll([n2, n3])
          await session.flush()
          session.delete(n1)
          session.delete(n2)
          session.delete(n3)
          expect(await sqlOf(() => session.flush())).toEqual([`DELETE FROM "nodes" WHERE "id" IN ${inList(2)}`, `DELETE FROM "nodes" WHERE "id" IN ${inList(1)}`])
        })
      })

      // test_unitofworkv2.py::SingleCycleTest::test_many_to_one_set_null_unloaded
      it('setting an unloaded parent to null in a new session: one UPDATE', async () => {
        await models.inSession(async (session) => {
          const n1 = new Node({ data: 'n1' })
          session.addAll([n1, new Node({ data: 'n2', parent: n1 })])
          await session.commit()
        })
        await models.inSession(async (session) => {
          const n2 = await session.query(Node).filterBy({ data: 'n2' }).one()
          n2.parent = null
          const statements = await paramsOf(() => session.flush())
          expect(statements.map((s) => s.sql)).toEqual([begin, 'UPDATE "nodes" SET "parent_id" = ? WHERE "id" = ?'])
          expect(statements[1].parameters).toEqual([null, n2.id])
        })
      })

      // test_unitofworkv2.py::SingleCycleTest::test_cycle_rowswitch
      it('deleting a child and adding a new one with its key in the same flush turns into an UPDATE', async () => {
        await models.inSession(async (session) => {
          const n1 = new Node({ data: 'n1' })
          const n2 = new Node({ data: 'n2', parent: n1 })
          session.addAll([n1, n2])
          await session.flush()
          session.delete(n2)
          const n3 = new Node({ id: n2.id, data: 'n3' })
          ;(await n1.children).push(n3)
          const sql = await sqlOf(() => session.flush())
          expect(sql).toEqual(['UPDATE "nodes" SET "data" = ? WHERE "id" = ?'])
          expect(inspect(n3).persistent).toBe(true)
        })
      })

      // test_unitofworkv2.py::SingleCycleTest::test_bidirectional_mutations_one
      it('delete a child, append a new one, then delete the rest: each flush succeeds', async () => {
        await models.inSession(async (session) => {
          const n1 = new Node({ data: 'n1' })
          const n2 = new Node({ data: 'n2', parent: n1 })
          session.addAll([n1, n2])
          await session.flush()
          session.delete(n2)
          const n3 = new Node({ data: 'n3' })
          ;(await n1.children).push(n3)
          await session.flush()
          session.delete(n1)
          session.delete(n3)
          await session.flush()
          await session.commit()
        })
        expect(await models.readRows('SELECT "id" FROM "nodes"')).toEqual([])
      })

      // test_unitofworkv2.py::SingleCycleTest::test_bidirectional_multilevel_save
      it('a three-level tree: one INSERT per level, children of one parent batched', async () => {
        await models.inSession(async (session) => {
          const n1 = new Node({ data: 'n1' })
          session.add(n1)
          const n12 = new Node({ data: 'n12' })
          ;(await n1.children).push(new Node({ data: 'n11' }), n12, new Node({ data: 'n13' }))
          ;(await n12.children).push(new Node({ data: 'n121' }), new Node({ data: 'n122' }), new Node({ data: 'n123' }))
          const statements = await paramsOf(() => session.flush())
          expect(statements.map((s) => s.sql)).toEqual([begin, ...insertNodes(dialect, 1), ...insertNodes(dialect, 3), ...insertNodes(dialect, 3)])
          // The statements of each level: one, or three on MySQL.
          const perLevel = insertNodes(dialect, 3).length
          expect(statements.slice(2, 2 + perLevel).flatMap((s) => s.parameters)).toEqual([n1.id, 'n11', n1.id, 'n12', n1.id, 'n13'])
          expect(statements.slice(2 + perLevel).flatMap((s) => s.parameters)).toEqual([n12.id, 'n121', n12.id, 'n122', n12.id, 'n123'])
        }, { autoflush: false })
      })

      // test_unitofworkv2.py::SingleCycleTest::test_delete_unloaded_m2o
      it('deleting an expired parent and its expired children: children first, then the parent', async () => {
        await models.inSession(async (session) => {
          const parent = new Node({})
          const c1 = new Node({ parent })
          const c2 = new Node({ parent })
          session.addAll([c1, c2, parent])
          await session.flush()
          for (const obj of [parent, c1, c2]) session.expire(obj)
          session.delete(c1)
          session.delete(c2)
          session.delete(parent)
          const sql = await sqlOf(() => session.flush())
          expect(sql.filter((text) => text.startsWith('DELETE'))).toEqual([`DELETE FROM "nodes" WHERE "id" IN ${inList(2)}`, `DELETE FROM "nodes" WHERE "id" IN ${inList(1)}`])
          await session.commit()
        })
        expect(await models.readRows('SELECT "id" FROM "nodes"')).toEqual([])
      })
    })

    describe('LoadersUsingCommittedTest', () => {
      // test_unitofworkv2.py::LoadersUsingCommittedTest::test_before_update_m2o
      it('in beforeUpdate, a many-to-one whose key was changed reads the new target', async () => {
        const listen = (prismalchemy as unknown as { listen?: (...args: unknown[]) => () => void }).listen
        expect(listen).toBeTypeOf('function')
        const ids = await models.inSession(async (session) => {
          const u1 = new User({ name: 'u1' })
          const u2 = new User({ name: 'u2' })
          session.addAll([u1, u2, new Address({ emailAddress: 'a1', user: u1 })])
          await session.commit()
          return { u1: u1.id as number, u2: u2.id as number }
        })
        const seen: Promise<unknown>[] = []
        const stop = listen!(Address, 'beforeUpdate', (target: any) => {
          seen.push(Promise.resolve(target.user).then((user: any) => [user?.id, target.userId]))
        })
        try {
          await models.inSession(async (session) => {
            const a1 = await session.query(Address).one()
            expect(a1.userId).toBe(ids.u1)
            a1.userId = ids.u2
            await session.flush()
            expect(await Promise.all(seen)).toEqual([[ids.u2, ids.u2]])
          })
        } finally {
          stop()
        }
      })
    })
  })

  describe('RaiseLoadIgnoredTest', () => {
    let models: InlineModels
    beforeAll(async () => {
      models = await inlineModels('uow-raise', RAISE_SCHEMA, dialect)
    }, 60_000)
    afterAll(async () => {
      await models.dispose()
    })

    // test_unitofworkv2.py::RaiseLoadIgnoredTest::test_delete_head
    // SQLAlchemy loads the raise collection anyway and nulls b.a_id with an UPDATE; here the database's ON DELETE SET NULL
    // does it. What carries over: no RaiseLoadError from the flush, and the b rows survive with a null a_id.
    it('deleting the head of a raise-loaded collection flushes without raising', async () => {
      const { A, B } = models.classes
      await models.inSession(async (session) => {
        const a = new A({})
        session.addAll([a, new B({ a }), new B({ a })])
        await session.commit()
      })
      await models.inSession(async (session) => {
        const a1 = await session.query(A).first()
        session.delete(a1)
        const sql = (await capturedSql(models.engine, () => session.flush())).map(normalizeSql)
        expect(sql).toEqual([begin, `DELETE FROM "A" WHERE "id" IN ${inList(1)}`])
        await session.commit()
      })
      expect(await models.readRows('SELECT "a_id" FROM "B" ORDER BY "id"')).toEqual([{ a_id: null }, { a_id: null }])
    })
  })

  describe('parent/child sharing a key', () => {
    let models: InlineModels
    let Parent: ModelClass
    beforeAll(async () => {
      models = await inlineModels('uow-rowswitch', PARENT_CHILD_SCHEMA, dialect)
      ;({ Parent } = models.classes)
    }, 60_000)
    afterAll(async () => {
      await models.dispose()
    })
    beforeEach(async () => {
      await models.database.execute('DELETE FROM "child"; DELETE FROM "parent";')
    })

    // test_unitofworkv2.py::RowswitchAccountingTest::test_switch_on_delete
    it('a parent whose key was changed before delete() is deleted by its original key', async () => {
      await models.inSession(async (session) => {
        const p1 = new Parent({ id: 1, data: 2 })
        session.add(p1)
        await session.flush()
        p1.id = 5
        session.delete(p1)
        expect(p1.id).toBe(5)
        await session.flush()
        await session.commit()
      })
      expect(await models.readRows('SELECT "id" FROM "parent"')).toEqual([])
    })

    // test_unitofworkv2.py::BasicStaleChecksTest::test_update_single_missing
    it('an UPDATE of a row deleted behind the session raises StaleDataError naming the table and counts', async () => {
      await models.inSession(async (session) => {
        const p1 = new Parent({ id: 1, data: 2 })
        session.add(p1)
        await session.flush()
        const { sql } = prismalchemy as unknown as { sql?: (strings: TemplateStringsArray) => unknown }
        expect(sql).toBeTypeOf('function')
        // Unquoted, the one text every database reads as the table (MySQL would read "parent" as a string).
        await (session as unknown as { execute(statement: unknown): Promise<unknown> }).execute(sql!`DELETE FROM parent`)
        p1.data = 3
        const error = await session.flush().catch((e: unknown) => e)
        expect(error).toBeInstanceOf(StaleDataError)
        expect((error as Error).message).toContain('UPDATE statement on table "parent" expected to match 1 row(s); 0 were matched')
      })
    })

    // test_unitofworkv2.py::BasicStaleChecksTest::test_delete_twice
    // SQLAlchemy only warns when a DELETE matches fewer rows than expected, and the commit goes through.
    it('deleting a row already deleted in an earlier flush does not fail the commit', async () => {
      await models.inSession(async (session) => {
        const p1 = new Parent({ id: 1, data: 2 })
        session.add(p1)
        await session.commit()
        session.delete(p1)
        await session.flush()
        session.delete(p1)
        await session.commit()
      })
      expect(await models.readRows('SELECT "id" FROM "parent"')).toEqual([])
    })

    // test_unitofworkv2.py::BasicStaleChecksTest::test_delete_multi_missing_warning
    it('a DELETE of two rows already gone behind the session only warns in SQLAlchemy: the flush succeeds', async () => {
      await models.inSession(async (session) => {
        const p1 = new Parent({ id: 1, data: 2 })
        const p2 = new Parent({ id: 2, data: 3 })
        session.addAll([p1, p2])
        await session.commit()
        await models.database.execute('DELETE FROM "parent"')
        session.delete(p1)
        session.delete(p2)
        await session.flush()
        expect(inspect(p1).deleted && inspect(p2).deleted).toBe(true)
      })
    })
  })

  describe('RowswitchM2OTest', () => {
    let models: InlineModels
    let A: ModelClass
    let B: ModelClass
    let C: ModelClass
    beforeAll(async () => {
      models = await inlineModels('uow-rowswitch-m2o', ROWSWITCH_M2O_SCHEMA, dialect)
      ;({ A, B, C } = models.classes)
    }, 60_000)
    afterAll(async () => {
      await models.dispose()
    })
    beforeEach(async () => {
      await models.database.execute('DELETE FROM "b"; DELETE FROM "c"; DELETE FROM "a";')
    })

    /** Commits a(1) with b(1) (pointing at c(1), or holding data); then replaces b(1) by a new b(1) built by `replacement`. */
    async function replaceB(initial: Record<string, unknown>, replacement: () => Promise<any>) {
      await models.inSession(async (session) => {
        const a = new A({ id: 1 })
        session.add(new B({ id: 1, a, ...initial }))
        await session.commit()
      })
      return models.inSession(async (session) => {
        const a1 = await session.query(A).first()
        const bs = await a1.bs
        const b2 = await replacement()
        bs.splice(0, bs.length, b2)
        await session.commit()
        return { b: (await a1.bs)[0] }
      })
    }

    // test_unitofworkv2.py::RowswitchM2OTest::test_set_none_replaces_m2o
    it('replacing b(1) by a new b(1) with c = null writes the null', async () => {
      const { b } = await replaceB({ c: new C({ id: 1 }) }, async () => new B({ id: 1, c: null }))
      expect(b.cId).toBeNull()
      expect(await models.readRows('SELECT "cid" FROM "b"')).toEqual([{ cid: null }])
    })

    // test_unitofworkv2.py::RowswitchM2OTest::test_set_none_w_get_replaces_m2o
    it('the same after reading the new b\'s c first', async () => {
      const { b } = await replaceB({ c: new C({ id: 1 }) }, async () => {
        const b2 = new B({ id: 1 })
        expect(await b2.c).toBeNull()
        b2.c = null
        return b2
      })
      expect(b.cId).toBeNull()
      expect(await models.readRows('SELECT "cid" FROM "b"')).toEqual([{ cid: null }])
    })

    // test_unitofworkv2.py::RowswitchM2OTest::test_set_none_replaces_scalar
    it('replacing b(1) by a new b(1) with data = null writes the null', async () => {
      const { b } = await replaceB({ data: 'somedata' }, async () => new B({ id: 1, data: null }))
      expect(b.data).toBeNull()
      expect(await models.readRows('SELECT "data" FROM "b"')).toEqual([{ data: null }])
    })

    // test_unitofworkv2.py::RowswitchM2OTest::test_set_none_w_get_replaces_scalar
    it('replacing b(1) by a new b(1) whose data was never set writes null too', async () => {
      const { b } = await replaceB({ data: 'somedata' }, async () => {
        const b2 = new B({ id: 1 })
        expect(b2.data ?? null).toBeNull()
        b2.data = null
        return b2
      })
      expect(b.data).toBeNull()
      expect(await models.readRows('SELECT "data" FROM "b"')).toEqual([{ data: null }])
    })
  })

  describe('inserts, defaults and value comparison', () => {
    let models: InlineModels
    let T: ModelClass
    let Thing: ModelClass
    let Counter: ModelClass
    let Widget: ModelClass
    let Datum: ModelClass
    let Result: ModelClass
    beforeAll(async () => {
      models = await inlineModels('uow-values', VALUES_SCHEMA, dialect)
      ;({ T, Thing, Counter, Widget, Datum, Result } = models.classes)
    }, 60_000)
    afterAll(async () => {
      await models.dispose()
    })
    const sqlOf = async (work: () => Promise<unknown>) => (await capturedSql(models.engine, work)).map(normalizeSql)

    // test_unitofworkv2.py::BatchInsertsTest::test_batch_interaction
    // (The row whose value is a SQL function, func.lower(...), has no equivalent: values are plain.)
    it('batches consecutive rows with the same columns: generated keys apart from given keys, given defaults apart', async () => {
      await models.inSession(async (session) => {
        session.addAll([
          new T({ data: 't1' }),
          new T({ data: 't2' }),
          new T({ id: 3, data: 't3' }),
          new T({ id: 4, data: 't4' }),
          new T({ id: 5, data: 't5' }),
          new T({ id: 7, data: 't7' }),
          new T({ id: 8, data: 't8' }),
          new T({ id: 9, data: 't9', def: 'def2' }),
          new T({ id: 10, data: 't10', def: 'def3' }),
          new T({ id: 11, data: 't11' }),
        ])
        const sql = await sqlOf(() => session.flush())
        expect(sql).toEqual([
          begin,
          ...generatedKeyInserts(dialect, 'INSERT INTO "t" ("data", "def_")', '(?, ?)', 2),
          'INSERT INTO "t" ("id", "data", "def_") VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?)',
        ])
        await session.commit()
      })
      expect(await models.readRows('SELECT "id", "data", "def_" FROM "t" WHERE "id" >= 9 ORDER BY "id"')).toEqual([
        { id: 9, data: 't9', def_: 'def2' },
        { id: 10, data: 't10', def_: 'def3' },
        { id: 11, data: 't11', def_: 'def1' },
      ])
    })

    // test_unitofworkv2.py::EagerDefaultsTest::test_server_insert_defaults_present
    it('values given for defaulted columns are inserted and read back without SQL', async () => {
      await models.inSession(async (session) => {
        const t1 = new Thing({ id: 1, foo: 5 })
        const t2 = new Thing({ id: 2, foo: 10 })
        session.addAll([t1, t2])
        expect(await sqlOf(() => session.flush())).toEqual([begin, 'INSERT INTO "test" ("id", "foo") VALUES (?, ?), (?, ?)'])
        expect(await sqlOf(async () => [t1.foo, t2.foo])).toEqual([])
        expect([t1.foo, t2.foo]).toEqual([5, 10])
      })
    })

    // test_unitofworkv2.py::EagerDefaultsTest::test_server_insert_defaults_nonpresent
    it('defaults of columns not given are present after the flush without another SELECT', async () => {
      await models.inSession(async (session) => {
        const t1 = new Thing({ id: 3 })
        const t2 = new Thing({ id: 4 })
        session.addAll([t1, t2])
        const sql = await sqlOf(() => session.flush())
        expect(sql.filter((text) => text.startsWith('SELECT'))).toEqual([])
        expect(sql).toHaveLength(2)
        expect([t1.foo, t2.foo]).toEqual([3, 3])
      })
    })

    // test_unitofworkv2.py::NoAttrEventInFlushTest::test_no_attr_events_flush (the values; attribute events have no equivalent)
    it('the key and the defaults are set on the object by the flush', async () => {
      await models.inSession(async (session) => {
        const t1 = new Counter({})
        session.add(t1)
        await session.flush()
        expect(typeof t1.id).toBe('number')
        expect(t1.prefetchVal).toBe(5)
        expect(t1.returningVal).toBe(5)
      })
    })

    // test_unitofworkv2.py::TypeWoBoolTest::test_update_against_none
    it('a bytes value set to null is written as NULL', async () => {
      await models.inSession(async (session) => {
        session.add(new Widget({ value: new Uint8Array([102, 111, 111]) }))
        await session.commit()
        const t1 = await session.query(Widget).first()
        t1.value = null
        await session.commit()
      })
      expect(await models.readRows('SELECT "value" FROM "widget"')).toEqual([{ value: null }])
      await models.database.execute('DELETE FROM "widget"')
    })

    // test_unitofworkv2.py::TypeWoBoolTest::test_update_against_something_else
    it('a bytes value replaced by another is written', async () => {
      await models.inSession(async (session) => {
        session.add(new Widget({ value: new Uint8Array([102, 111, 111]) }))
        await session.commit()
        const t1 = await session.query(Widget).first()
        t1.value = new Uint8Array([98, 97, 114])
        await session.commit()
        expect(Buffer.from((await session.query(Widget).first()).value).toString()).toBe('bar')
      })
      await models.database.execute('DELETE FROM "widget"')
    })

    // test_unitofworkv2.py::TypeWoBoolTest::test_no_update_no_change
    it('changing another column updates only that column, not the object-valued one', async () => {
      await models.inSession(async (session) => {
        session.add(new Widget({ value: new Uint8Array([102, 111, 111]), unrelated: 'unrelated' }))
        await session.commit()
        const t1 = await session.query(Widget).first()
        t1.unrelated = 'something else'
        const sql = await sqlOf(() => session.commit())
        // One UPDATE, sent alone (singleStatementCommits, on by default): no BEGIN or COMMIT around it.
        expect(sql).toEqual(['UPDATE "widget" SET "unrelated" = ? WHERE "id" = ?'])
        expect(Buffer.from((await session.query(Widget).first()).value).toString()).toBe('foo')
      })
      await models.database.execute('DELETE FROM "widget"')
    })

    // test_unitofworkv2.py::TryToFoolInsertManyValuesTest::test_original_use_case
    it('a batched INSERT ... RETURNING gives each object its own key', async () => {
      await models.inSession(async (session) => {
        const datums = Array.from({ length: 10 }, () => new Datum({}))
        const results = datums.flatMap((datum, i) => [new Result({ lftDatum: datum, label: `r${i}a` }), new Result({ lftDatum: datum, label: `r${i}b` })])
        session.addAll(results)
        await session.commit()
        const stored = await models.readRows<{ id: number; lft_datum_id: number; label: string }>('SELECT "id", "lft_datum_id", "label" FROM "result"')
        for (const result of results) {
          const row = stored.find((r) => r.id === result.id)!
          expect(row.label).toBe(result.label)
          expect(row.lft_datum_id).toBe(result.lftDatumId)
        }
      })
    })
  })
})
