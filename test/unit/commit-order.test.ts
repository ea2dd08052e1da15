// commitOrder without a database: referenced tables first, which nullable foreign key of a cycle between tables is
// deferred (first by model, then field name, while it still closes a cycle), and the cycle named in refusals.
import { rmSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { commitOrder, cycleThrough, describeForeignKey, isNullableForeignKey } from '../../runtime/orm/unit-of-work/commit-order.js'
import { importInlineModels } from '../helpers/inline-models.js'
import { sqliteSchema } from '../helpers/schemas.js'

/** The registry's INSERT order and each mapper's deferred keys, for a schema of `models`. */
async function planOf(name: string, models: string) {
  const { registry, dir } = await importInlineModels(name, sqliteSchema(models))
  rmSync(dir, { recursive: true, force: true })
  const order = registry.insertOrder.map((mapper) => mapper.name)
  const deferred = registry.insertOrder.flatMap((mapper) => mapper.postUpdates.map(describeForeignKey))
  return { registry, order, deferred }
}

const USER_CALENDAR = `
model User {
  id         Int        @id
  calendarId Int?       @unique
  calendar   Calendar?  @relation("active", fields: [calendarId], references: [id])
  calendars  Calendar[] @relation("owner")
}

model Calendar {
  id       Int   @id
  ownerId  Int?
  owner    User? @relation("owner", fields: [ownerId], references: [id])
  activeOf User? @relation("active")
}
`

describe('commitOrder', () => {
  it('puts referenced tables first when there is no cycle, deferring nothing', async () => {
    const { order, deferred } = await planOf(
      'order-plain',
      'model Post {\n  id Int @id\n  authorId Int\n  author Author @relation(fields: [authorId], references: [id])\n}\n\nmodel Author {\n  id Int @id\n  posts Post[]\n}\n',
    )
    expect([order, deferred]).toEqual([['Author', 'Post'], []])
  })

  it('defers the first nullable key of a two-table cycle by model name (Calendar.ownerId), whatever the declaration order', async () => {
    const reordered = USER_CALENDAR.split('\n\nmodel Calendar').map((part, i) => (i === 1 ? `model Calendar${part}` : part)).reverse().join('\n\n')
    for (const [name, models] of [['order-uc', USER_CALENDAR], ['order-cu', reordered]] as const) {
      const { order, deferred } = await planOf(name, models)
      expect([order, deferred]).toEqual([['Calendar', 'User'], ['Calendar.ownerId -> User']])
    }
  })

  it('defers the nullable key when the other one is required', async () => {
    const models = USER_CALENDAR.replace('ownerId  Int?', 'ownerId  Int').replace('owner    User?', 'owner    User')
    const { order, deferred } = await planOf('order-required-owner', models)
    expect([order, deferred]).toEqual([['User', 'Calendar'], ['User.calendarId -> Calendar']])
  })

  it('breaks a three-table cycle with one deferred key, and keeps a required cycle for the flush to refuse, naming it', async () => {
    const ring = (optional: string) =>
      ['A', 'B', 'C']
        .map((name, i, names) => {
          const next = names[(i + 1) % 3]
          const previous = names[(i + 2) % 3]
          const mark = name === optional ? '?' : ''
          return `model ${name} {\n  id Int @id\n  toId Int${mark}\n  to ${next}${mark} @relation("${name}${next}", fields: [toId], references: [id])\n  from ${previous}[] @relation("${previous}${name}")\n}\n`
        })
        .join('\n')
    const broken = await planOf('order-ring', ring('B'))
    expect([broken.order, broken.deferred]).toEqual([['B', 'A', 'C'], ['B.toId -> C']])
    const required = await planOf('order-ring-required', ring('none'))
    expect(required.deferred).toEqual([])
    const a = required.registry.mappers.get('A')!.relationships.get('to')!
    expect(cycleThrough(a)!.map(describeForeignKey)).toEqual(['A.toId -> B', 'B.toId -> C', 'C.toId -> A'])
    expect(commitOrder([...required.registry.mappers.values()]).map((mapper) => mapper.name)).toEqual(required.order)
  })

  it('leaves a self-reference to the flush: no dependency, nothing deferred, and the cycle through it is the key alone', async () => {
    const { registry, order, deferred } = await planOf(
      'order-self',
      'model Employee {\n  id Int @id\n  managerId Int?\n  manager Employee? @relation("reports", fields: [managerId], references: [id])\n  reports Employee[] @relation("reports")\n}\n',
    )
    expect([order, deferred]).toEqual([['Employee'], []])
    const manager = registry.mappers.get('Employee')!.relationships.get('manager')!
    expect(cycleThrough(manager)!.map(describeForeignKey)).toEqual(['Employee.managerId -> Employee'])
  })

  it('finds no cycle through a key no cycle goes through, and tells nullable keys from required ones', async () => {
    const { registry } = await planOf('order-nullable', USER_CALENDAR.replace('ownerId  Int?', 'ownerId  Int').replace('owner    User?', 'owner    User'))
    const owner = registry.mappers.get('Calendar')!.relationships.get('owner')!
    const calendar = registry.mappers.get('User')!.relationships.get('calendar')!
    expect([isNullableForeignKey(owner), isNullableForeignKey(calendar)]).toEqual([false, true])
    const plain = await planOf('order-no-cycle', 'model Post {\n  id Int @id\n  authorId Int\n  author Author @relation(fields: [authorId], references: [id])\n}\n\nmodel Author {\n  id Int @id\n  posts Post[]\n}\n')
    expect(cycleThrough(plain.registry.mappers.get('Post')!.relationships.get('author')!)).toBeUndefined()
  })
})
