// Values decoded at their first read: a load keeps DateTime and Decimal cells as the database returned them and makes
// the Date or Decimal when the attribute is first read (or the object is serialised, compared, merged, flushed).
// Checked on every database: what a read returns, that nothing is decoded before it, that change detection, JSON,
// detached objects and refreshes see the decoded values; a cell that cannot be decoded still fails its query.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Decimal, type Session } from 'prismalchemy'
import { registry, Role, User } from '../../generated/models.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { describeOn, DIALECTS, type TestDialect } from '../helpers/dialects.js'
import { inSession as inSessionOf } from '../helpers/in-session.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const CREATED = [new Date('2024-03-01T12:34:56.789Z'), new Date('2024-03-02T08:00:00.000Z'), new Date('2024-03-03T23:59:59.999Z')]
const BALANCES = ['12.5', '0.25', '-3']
const SETTINGS = [{ theme: 'dark', sizes: [1, 2] }, { theme: 'light', sizes: [] }, null]

describe.each(DIALECTS)('on %s', (dialect: TestDialect) => {
  let database: TestDatabase
  /** Calls of the User mapper's decoders by column name since the last reset (see {@link countDecoding}). */
  const decoded = new Map<string, number>()
  let restoreDecoders: (() => void) | undefined

  beforeAll(async () => {
    database = await createTestDatabase({}, dialect)
    const seeding = database.session()
    const staff = new Role({ name: 'staff' })
    seeding.addAll(
      CREATED.map(
        (createdAt, i) =>
          new User({ username: `u${i}`, role: staff, createdAt, balance: new Decimal(BALANCES[i]), settings: SETTINGS[i], quota: BigInt(i) * 10n ** 17n }),
      ),
    )
    await seeding.commit()
    await seeding.close()
  })

  afterEach(() => {
    restoreDecoders?.()
    restoreDecoders = undefined
    decoded.clear()
  })

  afterAll(() => database.dispose())

  /** Wraps the User mapper's cached decoders for this engine's dialect so that the test sees which ones run. */
  function countDecoding(): void {
    const mapper = registry.mappers.get('User')!
    const decoders = mapper.decoders(database.engine.dialect) as ((raw: unknown) => unknown)[]
    const originals = [...decoders]
    mapper.columns.forEach((column, i) => {
      decoders[i] = (raw) => {
        decoded.set(column.name, (decoded.get(column.name) ?? 0) + 1)
        return originals[i](raw)
      }
    })
    restoreDecoders = () => originals.forEach((decoder, i) => (decoders[i] = decoder))
  }

  const inSession = (work: (session: Session) => Promise<void>) => inSessionOf(database, work)
  const loadAll = (session: Session) => session.query(User).orderBy('id').all()

  it('a load decodes DateTime and Decimal cells at their first read, once; other columns at once', () =>
    inSession(async (session) => {
      countDecoding()
      const users = await loadAll(session)
      expect(users.map((user) => user.username)).toEqual(['u0', 'u1', 'u2'])
      expect(decoded.get('createdAt')).toBeUndefined()
      expect(decoded.get('balance')).toBeUndefined()
      expect(decoded.get('settings')).toBe(3)
      expect(decoded.get('username')).toBe(3)
      expect(decoded.get('quota')).toBe(3)

      const first = users[0].createdAt
      expect(first).toBeInstanceOf(Date)
      expect(first.toISOString()).toBe(CREATED[0].toISOString())
      expect(users[0].createdAt).toBe(first)
      expect(decoded.get('createdAt')).toBe(1)
      expect(decoded.get('updatedAt')).toBeUndefined()

      expect(users.map((user) => user.balance?.toString())).toEqual(BALANCES)
      expect(users.map((user) => user.settings)).toEqual(SETTINGS)
      expect(users.map((user) => user.createdAt.toISOString())).toEqual(CREATED.map((date) => date.toISOString()))
      expect(users.map((user) => user.quota)).toEqual([0n, 10n ** 17n, 2n * 10n ** 17n])
      expect(decoded.get('balance')).toBe(3)
      expect(decoded.get('createdAt')).toBe(3)
    }))

  it('JSON.stringify of an object never read decodes its values as a read would', () =>
    inSession(async (session) => {
      const [unread] = await loadAll(session)
      const json = JSON.parse(JSON.stringify(unread)) as Record<string, unknown>
      expect(json.createdAt).toBe(CREATED[0].toISOString())
      expect(json.balance).toBe(BALANCES[0])
      expect(json.settings).toEqual(SETTINGS[0])
    }))

  it('assigning a never-read column a value equal to the stored one writes nothing; a different one writes an UPDATE', () =>
    inSession(async (session) => {
      const [user] = await loadAll(session)
      user.createdAt = new Date(CREATED[0].getTime())
      user.balance = new Decimal(BALANCES[0])
      const unchanged = await capturedSql(database.engine, () => session.flush())
      expect(unchanged.filter((text) => text.startsWith('UPDATE'))).toEqual([])

      const moved = new Date('2025-01-01T00:00:00.000Z')
      user.createdAt = moved
      const changed = await capturedSql(database.engine, () => session.flush())
      expect(changed.filter((text) => text.startsWith('UPDATE'))).toHaveLength(1)
      expect(user.createdAt).toBe(moved)
      await session.rollback()
      expect(user.createdAt.toISOString()).toBe(CREATED[0].toISOString())
    }))

  it('an object detached before any read still decodes its values', async () => {
    const session = database.session()
    const users = await loadAll(session)
    await session.close()
    expect(users[1].createdAt.toISOString()).toBe(CREATED[1].toISOString())
    expect(users[1].balance?.toString()).toBe(BALANCES[1])
    expect(users[1].settings).toEqual(SETTINGS[1])
  })

  it('a refresh of an object never read takes the new row: a stale object reread, and session.refresh()', async () => {
    const reader = database.session()
    const writer = database.session()
    try {
      const [user] = await loadAll(reader)
      await reader.commit()
      const changed = (await writer.get(User, user.id))!
      const later = new Date('2026-06-06T06:06:06.606Z')
      changed.createdAt = later
      changed.settings = { theme: 'contrast' }
      await writer.commit()

      const [again] = await loadAll(reader)
      expect(again).toBe(user)
      expect(user.createdAt.toISOString()).toBe(later.toISOString())
      expect(user.settings).toEqual({ theme: 'contrast' })

      changed.createdAt = CREATED[0]
      changed.settings = SETTINGS[0]
      await writer.commit()
      await reader.refresh(user)
      expect(user.createdAt.toISOString()).toBe(CREATED[0].toISOString())
      expect(user.settings).toEqual(SETTINGS[0])
    } finally {
      await writer.close()
      await reader.close()
    }
  })

  it('merge() copies an unread object\'s decoded values into another session', async () => {
    const source = database.session()
    const target = database.session()
    try {
      const [user] = await loadAll(source)
      await source.close()
      const merged = await target.merge(user)
      expect(merged).not.toBe(user)
      expect(merged.createdAt.toISOString()).toBe(CREATED[0].toISOString())
      expect(merged.balance?.toString()).toBe(BALANCES[0])
      const sql = await capturedSql(database.engine, () => target.flush())
      expect(sql.filter((text) => text.startsWith('UPDATE'))).toEqual([])
    } finally {
      await target.close()
    }
  })
})

describeOn('sqlite', 'a cell that cannot be decoded', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase({}, 'sqlite')
    const seeding = database.session()
    const staff = new Role({ name: 'staff' })
    seeding.addAll([new User({ username: 'good', role: staff, balance: new Decimal('1.5') }), new User({ username: 'bad', role: staff, balance: new Decimal('2') })])
    await seeding.commit()
    await seeding.close()
    // Written behind the ORM's back: SQLite keeps text that is not a number in a DECIMAL column.
    await database.execute(`UPDATE "users" SET "balance" = 'n/a' WHERE "username" = 'bad'`)
  })

  afterAll(() => database.dispose())

  it('fails the query that reads it, as PrismaClient would; the session rolls back and closes, other rows still load', async () => {
    const session = database.session()
    const [good] = await session.query(User).filterBy({ username: 'good' }).all()
    good.username = 'renamed'
    await expect(session.query(User).orderBy('id').all()).rejects.toThrow(/Decimal/)
    await session.rollback()
    expect(good.username).toBe('good')
    expect(good.balance?.toString()).toBe('1.5')
    await session.close()
  })
})

describe.each(DIALECTS)('a dynamic collection keyed by a DateTime, on %s', (dialect: TestDialect) => {
  let models: InlineModels

  beforeAll(async () => {
    const provider = dialect === 'postgresql' ? 'postgresql' : dialect
    models = await inlineModels(
      'datetime-keys',
      `datasource db {
  provider = "${provider}"
}

model Slot {
  startsAt DateTime  @id
  /// @lazy(dynamic)
  bookings Booking[]
}

model Booking {
  id       Int       @id @default(autoincrement())
  slotAt   DateTime?
  slot     Slot?     @relation(fields: [slotAt], references: [startsAt])
}
`,
      dialect,
    )
  })

  afterAll(() => models?.dispose())

  it('remove() of a member loaded from the database clears its foreign key (keys compared as dates, not by reference)', async () => {
    const { Slot, Booking } = models.classes
    const startsAt = new Date('2026-01-02T09:30:00.000Z')
    await models.inSession(async (session) => {
      const slot = new Slot({ startsAt })
      session.addAll([slot, new Booking({ slot })])
      await session.commit()
    })
    await models.inSession(async (session) => {
      const slot = await session.get(Slot, new Date(startsAt.getTime()))
      const [booking] = await session.query(Booking).all()
      slot.bookings.remove(booking)
      await session.commit()
      expect(booking.slotAt).toBeNull()
    })
    const rows = await models.readRows<{ slotAt: unknown }>('SELECT "slotAt" FROM "Booking"')
    expect(rows.map((row) => row.slotAt)).toEqual([null])
  })
})
