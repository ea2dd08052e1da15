// Cascades through flushes with their SQL pinned: save-update, @cascade(delete) and delete-orphan, and the database's onDelete actions reflected in the session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inspect, type Engine } from 'prismalchemy'
import { DIALECTS, normalizeSql, beginOf } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { capturedSql } from '../helpers/sql-recorder.js'
import { generatedKeyInserts } from '../helpers/generated-key-inserts.js'

// Parent.children (dynamic) and Parent.pets (select) cascade deletes; Child.toys too, one level down.
// Pet and Toy keep Prisma's default for a required relation (ON DELETE RESTRICT), so a parent deleted
// before its children would fail. Notes (and their remarks) go by the database's ON DELETE CASCADE,
// tags by ON DELETE SET NULL; the session learns of both after the flush.
const SCHEMA = `datasource db {
  provider = "sqlite"
}

model Parent {
  id       Int     @id @default(autoincrement())
  name     String
  /// @lazy(dynamic)
  /// @cascade(delete, delete-orphan)
  children Child[]
  /// @cascade(delete)
  pets     Pet[]
  notes    Note[]
  tags     Tag[]
}

model Child {
  id       Int     @id @default(autoincrement())
  name     String
  parentId Int?
  parent   Parent? @relation(fields: [parentId], references: [id])
  /// @cascade(delete)
  toys     Toy[]

  @@index([parentId])
}

model Toy {
  id      Int    @id @default(autoincrement())
  childId Int
  child   Child  @relation(fields: [childId], references: [id])
}

model Pet {
  id       Int    @id @default(autoincrement())
  name     String
  parentId Int
  parent   Parent @relation(fields: [parentId], references: [id])
}

model Note {
  id       Int      @id @default(autoincrement())
  parentId Int
  parent   Parent   @relation(fields: [parentId], references: [id], onDelete: Cascade)
  remarks  Remark[]
}

model Remark {
  id     Int  @id @default(autoincrement())
  noteId Int
  note   Note @relation(fields: [noteId], references: [id], onDelete: Cascade)
}

model Tag {
  id       Int     @id @default(autoincrement())
  parentId Int?
  parent   Parent? @relation(fields: [parentId], references: [id], onDelete: SetNull)
}
`

type Name = 'Parent' | 'Child' | 'Toy' | 'Pet' | 'Note' | 'Remark' | 'Tag'

describe.each(DIALECTS)('on %s', (dialect) => {
  let models: InlineModels
  let classes: Record<Name, InlineModels['classes'][string]>
  let engine: Engine
  // Both databases read in autocommit and begin just before the first write (SQLite with BEGIN IMMEDIATE, taking its write lock).
  const begin = beginOf(dialect)
  const beginAfterReads = [beginOf(dialect)]

  beforeAll(async () => {
    models = await inlineModels('cascades', SCHEMA, dialect)
    classes = models.classes as typeof classes
    engine = models.engine
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  /** Commits a parent with two children (the first with a toy), a pet, a note with a remark and a tag; returns their ids. */
  async function seedFamily(name: string): Promise<Record<'parent' | 'child' | 'child2' | 'toy' | 'pet' | 'note' | 'remark' | 'tag', number>> {
    return models.inSession(async (session) => {
      const parent = new classes.Parent({ name })
      const child = new classes.Child({ name: `${name}-child`, parent })
      const child2 = new classes.Child({ name: `${name}-child2`, parent })
      const toy = new classes.Toy({ child })
      const pet = new classes.Pet({ name: `${name}-pet`, parent })
      const note = new classes.Note({ parent })
      const remark = new classes.Remark({ note })
      const tag = new classes.Tag({ parent })
      session.addAll([toy, child2, pet, remark, tag])
      await session.commit()
      return { parent: parent.id, child: child.id, child2: child2.id, toy: toy.id, pet: pet.id, note: note.id, remark: remark.id, tag: tag.id }
    })
  }

  /** Rows of `table` matching `where`, read with the plain driver (pg returns count(*), a bigint, as a string). */
  const count = async (table: string, where: string): Promise<number> =>
    Number((await models.readRows<{ n: number | string }>(`SELECT count(*) AS n FROM "${table}" WHERE ${where}`))[0].n)

  /** The SQL `work` runs, with `?` placeholders on every dialect. */
  const sqlOf = async (work: () => Promise<unknown>): Promise<string[]> => (await capturedSql(engine, work)).map(normalizeSql)

  describe('generated metadata', () => {
    it('carries @cascade on the parent side and onDelete (Prisma\'s default resolved) on the foreign-key side', () => {
      const relationship = (model: string, name: string) =>
        models.registry.mappers.get(model)!.definition.relationships.find((r: { name: string }) => r.name === name)!
      expect(relationship('Parent', 'children').cascade).toEqual(['delete', 'delete-orphan'])
      expect(relationship('Parent', 'pets').cascade).toEqual(['delete'])
      expect(relationship('Parent', 'notes').cascade).toBeUndefined()
      expect(relationship('Child', 'parent').onDelete).toBe('SetNull')
      expect(relationship('Pet', 'parent').onDelete).toBe('Restrict')
      expect(relationship('Note', 'parent').onDelete).toBe('Cascade')
      expect(relationship('Tag', 'parent').onDelete).toBe('SetNull')
      expect(relationship('Parent', 'notes').onDelete).toBeUndefined()
    })
  })

  describe('save-update', () => {
    it('adding a parent adds the new children appended through its dynamic relationship: INSERT parent, then one INSERT of both (one each on MySQL)', async () => {
      await models.inSession(async (session) => {
        const parent = new classes.Parent({ name: 'su-1' })
        parent.children.append(new classes.Child({ name: 'su-1a' }))
        parent.children.append(new classes.Child({ name: 'su-1b' }))
        session.add(parent)
        expect(session.new).toHaveLength(3)
        const sql = await sqlOf(() => session.flush())
        expect(sql).toEqual([
          begin,
          ...generatedKeyInserts(dialect, 'INSERT INTO "Parent" ("name")', '(?)', 1),
          ...generatedKeyInserts(dialect, 'INSERT INTO "Child" ("name", "parentId")', '(?, ?)', 2),
        ])
        expect(await parent.children.count()).toBe(2)
      })
    })

    it('a new parent assigned to a child is added with it and inserted first; a new parent assigned to a persistent child too', async () => {
      const ids = await seedFamily('su-2')
      await models.inSession(async (session) => {
        const child = (await session.get(classes.Child, ids.child))!
        const toy = new classes.Toy({ child: new classes.Child({ name: 'su-2x', parent: new classes.Parent({ name: 'su-2p' }) }) })
        session.add(toy)
        child.parent = new classes.Parent({ name: 'su-2q' })
        expect(session.new).toHaveLength(4)
        const sql = await sqlOf(() => session.flush())
        expect(sql).toEqual([
          ...beginAfterReads,
          ...generatedKeyInserts(dialect, 'INSERT INTO "Parent" ("name")', '(?)', 2),
          ...generatedKeyInserts(dialect, 'INSERT INTO "Child" ("name", "parentId")', '(?, ?)', 1),
          'UPDATE "Child" SET "parentId" = ? WHERE "id" = ?',
          ...generatedKeyInserts(dialect, 'INSERT INTO "Toy" ("childId")', '(?)', 1),
        ])
        expect((await toy.child).parentId).toBe((await (await toy.child).parent).id)
        expect(child.parentId).toBe((await child.parent).id)
      })
    })
  })

  describe('@cascade(delete)', () => {
    it('loads unloaded children with one SELECT ... IN per relationship and level, then deletes grandchildren, children, parents', async () => {
      const a = await seedFamily('del-a')
      const b = await seedFamily('del-b')
      await models.inSession(async (session) => {
        const parents = [(await session.get(classes.Parent, a.parent))!, (await session.get(classes.Parent, b.parent))!]
        for (const parent of parents) session.delete(parent)
        const sql = await sqlOf(() => session.flush())
        expect(sql).toEqual([
          'SELECT "id", "name", "parentId" FROM "Child" WHERE "parentId" IN (?, ?)',
          'SELECT "id", "name", "parentId" FROM "Pet" WHERE "parentId" IN (?, ?)',
          'SELECT "id", "childId" FROM "Toy" WHERE "childId" IN (?, ?, ?, ?)',
          ...beginAfterReads,
          'DELETE FROM "Toy" WHERE "id" IN (?, ?)',
          'DELETE FROM "Pet" WHERE "id" IN (?, ?)',
          'DELETE FROM "Child" WHERE "id" IN (?, ?, ?, ?)',
          'DELETE FROM "Parent" WHERE "id" IN (?, ?)',
        ])
        await session.commit()
      })
      for (const ids of [a, b]) {
        expect(await count('Child', `"parentId" = ${ids.parent}`)).toBe(0)
        expect(await count('Toy', `"id" = ${ids.toy}`)).toBe(0)
        expect(await count('Note', `"id" = ${ids.note}`)).toBe(0)
        expect(await count('Remark', `"id" = ${ids.remark}`)).toBe(0)
        expect(await models.readRows(`SELECT "parentId" FROM "Tag" WHERE "id" = ${ids.tag}`)).toEqual([{ parentId: null }])
      }
    })

    it('uses a loaded collection without SQL, and keeps a child moved to another parent before the flush', async () => {
      const ids = await seedFamily('del-c')
      const other = await seedFamily('del-d')
      await models.inSession(async (session) => {
        const parent = (await session.get(classes.Parent, ids.parent))!
        const pets = await parent.pets
        const moved = (await session.get(classes.Child, ids.child2))!
        moved.parent = (await session.get(classes.Parent, other.parent))!
        session.delete(parent)
        const sql = await sqlOf(() => session.flush())
        expect(sql).toEqual([
          'SELECT "id", "name", "parentId" FROM "Child" WHERE "parentId" = ?',
          'SELECT "id", "childId" FROM "Toy" WHERE "childId" = ?',
          ...beginAfterReads,
          'UPDATE "Child" SET "parentId" = ? WHERE "id" = ?',
          'DELETE FROM "Toy" WHERE "id" IN (?)',
          'DELETE FROM "Pet" WHERE "id" IN (?)',
          'DELETE FROM "Child" WHERE "id" IN (?)',
          'DELETE FROM "Parent" WHERE "id" IN (?)',
        ])
        expect(inspect(pets[0]).deleted).toBe(true)
        expect(inspect(moved).persistent).toBe(true)
        expect(moved.parentId).toBe(other.parent)
        await session.commit()
      })
      expect(await count('Child', `"id" = ${ids.child2} AND "parentId" = ${other.parent}`)).toBe(1)
    })

    it('a change made while the cascade loads children waits for the next flush', async () => {
      const ids = await seedFamily('del-f')
      const other = await seedFamily('del-g')
      await models.inSession(async (session) => {
        const parent = (await session.get(classes.Parent, ids.parent))!
        const bystander = (await session.get(classes.Parent, other.parent))!
        session.delete(parent)
        const flushing = session.flush()
        bystander.name = 'del-g-renamed'
        await flushing
        expect(inspect(parent).deleted).toBe(true)
        expect(session.dirty).toEqual([bystander])
        expect(await sqlOf(() => session.flush())).toEqual(['UPDATE "Parent" SET "name" = ? WHERE "id" = ?'])
      })
    })

    it('a new child appended to a parent being deleted is never inserted', async () => {
      const ids = await seedFamily('del-e')
      await models.inSession(async (session) => {
        const parent = (await session.get(classes.Parent, ids.parent))!
        const late = new classes.Child({ name: 'del-e-late' })
        parent.children.append(late)
        session.delete(parent)
        const sql = await sqlOf(() => session.flush())
        expect(sql.filter((text) => text.startsWith('INSERT'))).toEqual([])
        expect(sql.at(-1)).toBe('DELETE FROM "Parent" WHERE "id" IN (?)')
        expect(inspect(late).transient).toBe(true)
      })
    })
  })

  describe('delete-orphan', () => {
    it('a child removed through the dynamic relationship is deleted at flush instead of having its key nulled', async () => {
      const ids = await seedFamily('orph-a')
      await models.inSession(async (session) => {
        const parent = (await session.get(classes.Parent, ids.parent))!
        const child = (await session.get(classes.Child, ids.child2))!
        parent.children.remove(child)
        const sql = await sqlOf(() => session.flush())
        expect(sql).toEqual(['SELECT "id", "childId" FROM "Toy" WHERE "childId" = ?', ...beginAfterReads, 'DELETE FROM "Child" WHERE "id" IN (?)'])
        expect(inspect(child).deleted).toBe(true)
        await session.commit()
      })
      expect(await count('Child', `"id" = ${ids.child2}`)).toBe(0)
    })

    it('assigning child.parent = null orphans it too, and its own cascade deletes its toy first', async () => {
      const ids = await seedFamily('orph-b')
      await models.inSession(async (session) => {
        const child = (await session.get(classes.Child, ids.child))!
        child.parent = null
        const sql = await sqlOf(() => session.flush())
        expect(sql).toEqual([
          'SELECT "id", "childId" FROM "Toy" WHERE "childId" = ?',
          ...beginAfterReads,
          'DELETE FROM "Toy" WHERE "id" IN (?)',
          'DELETE FROM "Child" WHERE "id" IN (?)',
        ])
      })
    })

    it('a child moved to another parent is not an orphan (an UPDATE), and a pending child appended then removed is never inserted', async () => {
      const ids = await seedFamily('orph-c')
      const other = await seedFamily('orph-d')
      await models.inSession(async (session) => {
        const parent = (await session.get(classes.Parent, ids.parent))!
        const target = (await session.get(classes.Parent, other.parent))!
        const child = (await session.get(classes.Child, ids.child2))!
        target.children.append(child)
        const passing = new classes.Child({ name: 'orph-c-passing' })
        parent.children.append(passing)
        parent.children.remove(passing)
        const sql = await sqlOf(() => session.flush())
        expect(sql).toEqual([...beginAfterReads, 'UPDATE "Child" SET "parentId" = ? WHERE "id" = ?'])
        expect(inspect(passing).transient).toBe(true)
        expect(child.parentId).toBe(other.parent)
      })
    })
  })

  describe('the database\'s onDelete actions, reflected after the flush', () => {
    it('ON DELETE CASCADE: loaded notes and their remarks become deleted; get() answers null without SQL; rollback restores them', async () => {
      const ids = await seedFamily('db-a')
      await models.inSession(async (session) => {
        const note = (await session.get(classes.Note, ids.note))!
        const remark = (await session.get(classes.Remark, ids.remark))!
        expect(await remark.note).toBe(note)
        session.delete((await session.get(classes.Parent, ids.parent))!)
        const flushed = await sqlOf(() => session.flush())
        expect(flushed.filter((text) => text.startsWith('DELETE'))).toEqual([
          'DELETE FROM "Toy" WHERE "id" IN (?)',
          'DELETE FROM "Pet" WHERE "id" IN (?)',
          'DELETE FROM "Child" WHERE "id" IN (?, ?)',
          'DELETE FROM "Parent" WHERE "id" IN (?)',
        ])
        expect(inspect(note).deleted).toBe(true)
        expect(inspect(remark).deleted).toBe(true)
        const sql = await sqlOf(async () => {
          expect(await session.get(classes.Note, ids.note)).toBeNull()
          expect(await session.get(classes.Remark, ids.remark)).toBeNull()
        })
        expect(sql).toEqual([])
        expect(session.dirty).toEqual([])
        await session.rollback()
        expect(inspect(note).persistent).toBe(true)
        expect(await session.get(classes.Note, ids.note)).toBe(note)
      })
      expect(await count('Note', `"id" = ${ids.note}`)).toBe(1)
    })

    it('ON DELETE SET NULL: a loaded tag\'s foreign key and relationship read null, without marking it modified', async () => {
      const ids = await seedFamily('db-b')
      await models.inSession(async (session) => {
        const tag = (await session.get(classes.Tag, ids.tag))!
        const parent = (await session.get(classes.Parent, ids.parent))!
        expect(await tag.parent).toBe(parent)
        session.delete(parent)
        await session.flush()
        expect(tag.parentId).toBeNull()
        expect(inspect(tag).persistent).toBe(true)
        expect(inspect(tag).modified).toBe(false)
        const sql = await sqlOf(async () => expect(await tag.parent).toBeNull())
        expect(sql).toEqual([])
        await session.commit()
      })
      expect(await models.readRows(`SELECT "parentId" FROM "Tag" WHERE "id" = ${ids.tag}`)).toEqual([{ parentId: null }])
    })

    it('rollback puts a SET NULL foreign key back', async () => {
      const ids = await seedFamily('db-c')
      await models.inSession(async (session) => {
        const tag = (await session.get(classes.Tag, ids.tag))!
        session.delete((await session.get(classes.Parent, ids.parent))!)
        await session.flush()
        expect(tag.parentId).toBeNull()
        await session.rollback()
        expect(tag.parentId).toBe(ids.parent)
      })
    })
  })
})
