// Each loading strategy's accessor type, checked by compiling a usage module against models generated for every strategy.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { generateFromFiles } from '../../generator/generate.js'
import { typeCheck, writeGenerated } from '../helpers/type-check.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model Owner {
  id       Int    @id @default(autoincrement())
  /// @lazy(select)
  selected Item[] @relation("selected")
  /// @lazy(selectin)
  eager    Item[] @relation("eager")
  /// @lazy(joined)
  joined   Item[] @relation("joined")
  /// @lazy(dynamic)
  dynamic  Item[] @relation("dynamic")
  /// @lazy(raise)
  raising  Item[] @relation("raising")
  /// @lazy(noload)
  ignored  Item[] @relation("ignored")
  tags     Tag[]
}

model Item {
  id    Int    @id @default(autoincrement())
  a     Int?
  b     Int?
  c     Int?
  d     Int?
  e     Int?
  f     Int?
  /// @lazy(raise)
  owner Owner? @relation("selected", fields: [a], references: [id])
  o2    Owner? @relation("eager", fields: [b], references: [id])
  o3    Owner? @relation("joined", fields: [c], references: [id])
  o4    Owner? @relation("dynamic", fields: [d], references: [id])
  o5    Owner? @relation("raising", fields: [e], references: [id])
  o6    Owner? @relation("ignored", fields: [f], references: [id])
}

model Tag {
  id     Int     @id @default(autoincrement())
  owners Owner[]
}
`

const USAGE = `import { DynamicRelationship, Query } from 'prismalchemy'
import { Item, Owner, Tag } from './models.js'

declare const owner: Owner
declare const item: Item
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
function expectType<T extends true>(): void {}

expectType<Equal<typeof owner.selected, Promise<Item[]>>>()
expectType<Equal<typeof owner.eager, Promise<Item[]>>>()
expectType<Equal<typeof owner.joined, Promise<Item[]>>>()
expectType<Equal<typeof owner.raising, Promise<Item[]>>>()
expectType<Equal<typeof owner.ignored, Promise<Item[]>>>()
expectType<Equal<typeof owner.dynamic, DynamicRelationship<Item>>>()
expectType<Equal<typeof owner.tags, Promise<Tag[]>>>()
expectType<Equal<Awaited<typeof item.owner>, Owner | null>>()
expectType<Equal<typeof Owner.query, Query<Owner>>>()
item.owner = owner
item.owner = null
// @ts-expect-error a collection is read-only: assign the owner on the other side
owner.selected = []
// @ts-expect-error a dynamic relationship is a query, not a list
owner.dynamic.push(item)
// @ts-expect-error the wrong model
item.owner = item
`

const dir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-strategy-types-'))

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

it('types select, selectin, joined, raise and noload as awaitable values, dynamic as a query, and to-one setters by model', async () => {
  const result = await generateFromFiles([{ path: 'schema/strategies.prisma', content: SCHEMA }], 'schema')
  const files = writeGenerated(dir, result, { 'usage.ts': USAGE })
  expect(typeCheck(files).errors).toEqual([])
}, 60_000)
