// Flush planning without a database: the order of the INSERTs of one table (rows pointed at first, a cycle broken at a
// nullable key or refused), the order of its DELETEs (children first, a cycle of rows last), and row switches.
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FlushError } from '../../runtime/errors.js'
import { deleteLevels, nextInsertLevel, rowSwitches } from '../../runtime/orm/unit-of-work/flush-plan.js'
import { IdentityMap } from '../../runtime/orm/identity-map.js'
import type { Mapper } from '../../runtime/orm/mapper.js'
import { stateOf, type InstanceState } from '../../runtime/orm/state.js'
import { importInlineModels, type InlineRegistry } from '../helpers/inline-models.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model Node {
  id       Int    @id
  parentId Int?
  parent   Node?  @relation("tree", fields: [parentId], references: [id])
  children Node[] @relation("tree")
}

model Link {
  id     Int    @id
  nextId Int    @unique
  next   Link   @relation("chain", fields: [nextId], references: [id])
  prev   Link?  @relation("chain")
}
`

let models: InlineRegistry
let Node: new (init?: object) => object
let Link: new (init?: object) => object

beforeAll(async () => {
  models = await importInlineModels('flush-plan', SCHEMA)
  Node = models.classes.Node
  Link = models.classes.Link
})

afterAll(() => rmSync(models.dir, { recursive: true, force: true }))

function mapperOf(name: string): Mapper {
  return [...models.registry.insertOrder].find((mapper) => mapper.name === name)!
}

/** A new object's state. */
function pending(modelClass: new (init?: object) => object, init: object): InstanceState {
  return stateOf(new modelClass(init))!
}

/** A state as loaded from its row: with its identity key. */
function persistent(modelClass: new (init?: object) => object, init: object): InstanceState {
  const state = pending(modelClass, init)
  state.key = state.mapper.identityKeyOf(state.dict)
  return state
}

/** Assigns a to-one relationship through the model's property, as application code does. */
function assign(state: InstanceState, name: string, target: InstanceState): void {
  ;(state.obj as unknown as Record<string, unknown>)[name] = target.obj
}

function ids(states: readonly InstanceState[]): unknown[] {
  return states.map((state) => state.dict.id)
}

describe('nextInsertLevel', () => {
  it('inserts first the rows no other new row of the table must wait for', () => {
    const root = pending(Node, { id: 1 })
    const child = pending(Node, { id: 2 })
    const grandchild = pending(Node, { id: 3 })
    assign(child, 'parent', root)
    assign(grandchild, 'parent', child)
    const mapper = mapperOf('Node')
    expect(ids(nextInsertLevel(mapper, [grandchild, child, root]))).toEqual([1])
    expect(ids(nextInsertLevel(mapper, [grandchild, child]))).toEqual([2])
  })

  it('breaks a cycle of new rows at the first one whose keys into it are nullable', () => {
    const a = pending(Node, { id: 1 })
    const b = pending(Node, { id: 2 })
    assign(a, 'parent', b)
    assign(b, 'parent', a)
    expect(ids(nextInsertLevel(mapperOf('Node'), [a, b]))).toEqual([1])
  })

  it('refuses a cycle of required keys, naming the row and the key', () => {
    const a = pending(Link, { id: 1 })
    const b = pending(Link, { id: 2 })
    assign(a, 'next', b)
    assign(b, 'next', a)
    expect(() => nextInsertLevel(mapperOf('Link'), [a, b])).toThrow(FlushError)
  })
})

describe('deleteLevels', () => {
  it('deletes children before the rows they refer to', () => {
    const root = persistent(Node, { id: 1, parentId: null })
    const child = persistent(Node, { id: 2, parentId: 1 })
    const grandchild = persistent(Node, { id: 3, parentId: 2 })
    const { levels, cycle } = deleteLevels(mapperOf('Node'), [root, child, grandchild])
    expect([levels.map(ids), cycle]).toEqual([[[3], [2], [1]], null])
  })

  it('puts rows that refer to each other last, as one level, and names it the cycle', () => {
    const leaf = persistent(Node, { id: 1, parentId: 2 })
    const a = persistent(Node, { id: 2, parentId: 3 })
    const b = persistent(Node, { id: 3, parentId: 2 })
    const { levels, cycle } = deleteLevels(mapperOf('Node'), [leaf, a, b])
    expect(levels.map(ids)).toEqual([[1], [2, 3]])
    expect(cycle).toBe(levels[1])
  })

  it('keeps one level for a single row or a table without a key to itself', () => {
    const only = persistent(Node, { id: 1, parentId: 1 })
    expect(deleteLevels(mapperOf('Node'), [only]).levels.map(ids)).toEqual([[1]])
  })
})

describe('rowSwitches', () => {
  it('lets a new object take over the row of a deleted object with its key', () => {
    const identityMap = new IdentityMap()
    const old = persistent(Node, { id: 1, parentId: null })
    identityMap.add(old)
    const replacement = pending(Node, { id: 1 })
    const switches = rowSwitches(identityMap, [replacement], [old])
    expect([...switches]).toEqual([[replacement, old]])
  })

  it('refuses a new object whose key a kept object holds, and a second one for the same deleted row', () => {
    const identityMap = new IdentityMap()
    const old = persistent(Node, { id: 1, parentId: null })
    identityMap.add(old)
    expect(() => rowSwitches(identityMap, [pending(Node, { id: 1 })], [])).toThrow(FlushError)
    expect(() => rowSwitches(identityMap, [pending(Node, { id: 1 }), pending(Node, { id: 1 })], [old])).toThrow(FlushError)
  })
})
