// Models without @id, identified by their first required @unique / @@unique (NextAuth's VerificationToken, hoppscotch's
// InvitedUsers, papermark's Invitation): get(), the identity map, UPDATE/DELETE by that key and relationships through it,
// with a real PrismaClient reading the rows, on SQLite and PostgreSQL.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { FlushError } from 'prismalchemy'
import { DIALECTS, normalizeSql } from '../helpers/dialects.js'
import { generatedKeyInserts } from '../helpers/generated-key-inserts.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { loadPrismaClient, type PrismaClientLike } from '../helpers/prisma-client.js'
import { capturedSql } from '../helpers/sql-recorder.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

/// NextAuth's VerificationToken: only a two-field @@unique.
model VerificationToken {
  identifier String
  token      String
  expires    DateTime

  @@unique([identifier, token])
  @@map("verification_tokens")
}

/// hoppscotch's InvitedUsers: only a @unique e-mail, which other rows refer to.
model InvitedUser {
  adminUid     String     @map("admin_uid")
  inviteeEmail String     @unique @map("invitee_email")
  reminders    Reminder[]

  @@map("invited_users")
}

model Reminder {
  id      Int         @id @default(autoincrement())
  email   String
  note    String
  invitee InvitedUser @relation(fields: [email], references: [inviteeEmail])

  @@map("reminders")
}

/// papermark's Invitation: a one-field @unique and a two-field @@unique; the one-field one identifies.
model Invitation {
  email  String
  teamId String @map("team_id")
  token  String @unique

  @@unique([email, teamId])
  @@map("invitations")
}
`

const EXPIRES = new Date('2030-01-02T03:04:05.000Z')
const LATER = new Date('2031-06-07T08:09:10.000Z')

describe.each(DIALECTS)('models identified by a unique, on %s', (dialect) => {
  let models: InlineModels
  let client: PrismaClientLike
  let schemaDir: string
  let VerificationToken: InlineModels['classes'][string]
  let InvitedUser: InlineModels['classes'][string]
  let Reminder: InlineModels['classes'][string]
  let Invitation: InlineModels['classes'][string]

  beforeAll(async () => {
    models = await inlineModels('unique-identity', SCHEMA, dialect)
    ;({ VerificationToken, InvitedUser, Reminder, Invitation } = models.classes)
    schemaDir = mkdtempSync(path.join(tmpdir(), 'prismalchemy-unique-identity-'))
    writeFileSync(path.join(schemaDir, 'schema.prisma'), SCHEMA)
    client = (await loadPrismaClient(path.join(schemaDir, 'schema.prisma'), dialect))(models.database.url)
  }, 120_000)

  afterEach(() => models.database.execute(['reminders', 'invited_users', 'verification_tokens', 'invitations'].map((table) => `DELETE FROM "${table}";`).join('\n')))

  afterAll(async () => {
    await client?.$disconnect()
    await models?.dispose()
    if (schemaDir) rmSync(schemaDir, { recursive: true, force: true })
  })

  /** The statements `work` runs, without transaction control (BEGIN, COMMIT, ROLLBACK). */
  const sqlOf = (work: () => Promise<unknown>) =>
    capturedSql(models.engine, work).then((statements) => statements.map(normalizeSql).filter((text) => !/^(BEGIN|COMMIT|ROLLBACK)\b/.test(text)))

  it('maps the unique fields as the key: the registry holds them as the primary key, in the unique\'s order', () => {
    expect(models.registry.mappers.get('VerificationToken')!.primaryKey.map((column) => column.name)).toEqual(['identifier', 'token'])
    expect(models.registry.mappers.get('InvitedUser')!.primaryKey.map((column) => column.name)).toEqual(['inviteeEmail'])
    expect(models.registry.mappers.get('Invitation')!.primaryKey.map((column) => column.name)).toEqual(['token'])
  })

  it('get() finds a row by its compound unique, once: the identity map answers the second time with no SQL', async () => {
    await models.inSession(async (session) => {
      session.add(new VerificationToken({ identifier: 'ann@example.com', token: 't1', expires: EXPIRES }))
      await session.commit()
    })
    expect(await client.verificationToken.findUnique({ where: { identifier_token: { identifier: 'ann@example.com', token: 't1' } } })).toEqual({
      identifier: 'ann@example.com',
      token: 't1',
      expires: EXPIRES,
    })
    await models.inSession(async (session) => {
      const first = await session.get(VerificationToken, { identifier: 'ann@example.com', token: 't1' })
      expect(first.expires).toEqual(EXPIRES)
      let again: unknown
      expect(await sqlOf(async () => (again = await session.get(VerificationToken, { token: 't1', identifier: 'ann@example.com' })))).toEqual([])
      expect(again).toBe(first)
      expect(await session.get(VerificationToken, { identifier: 'ann@example.com', token: 'other' })).toBeNull()
    })
  })

  it('writes an UPDATE and a DELETE by the unique columns, which PrismaClient sees', async () => {
    await models.inSession(async (session) => {
      session.add(new VerificationToken({ identifier: 'ann@example.com', token: 't1', expires: EXPIRES }))
      session.add(new VerificationToken({ identifier: 'ann@example.com', token: 't2', expires: EXPIRES }))
      await session.commit()
      const token = await session.get(VerificationToken, { identifier: 'ann@example.com', token: 't1' })
      token.expires = LATER
      expect(await sqlOf(() => session.flush())).toEqual(['UPDATE "verification_tokens" SET "expires" = ? WHERE "identifier" = ? AND "token" = ?'])
      await session.commit()
      expect((await client.verificationToken.findUnique({ where: { identifier_token: { identifier: 'ann@example.com', token: 't1' } } })).expires).toEqual(LATER)
      session.delete(await session.get(VerificationToken, { identifier: 'ann@example.com', token: 't2' }))
      expect(await sqlOf(() => session.flush())).toEqual(['DELETE FROM "verification_tokens" WHERE "identifier" = ? AND "token" = ?'])
      await session.commit()
    })
    expect(await client.verificationToken.findMany({ select: { token: true } })).toEqual([{ token: 't1' }])
  })

  it('changing a unique key column updates the row found by the old value and moves the object in the identity map', async () => {
    await models.inSession(async (session) => {
      const invitation = new Invitation({ email: 'bob@example.com', teamId: 'team-1', token: 'old' })
      session.add(invitation)
      await session.commit()
      invitation.token = 'new'
      expect(await sqlOf(() => session.flush())).toEqual(['UPDATE "invitations" SET "token" = ? WHERE "token" = ?'])
      let found: unknown
      expect(await sqlOf(async () => (found = await session.get(Invitation, 'new')))).toEqual([])
      expect(found).toBe(invitation)
      await session.commit()
    }, { expireOnCommit: false })
    expect(await client.invitation.findMany()).toEqual([{ email: 'bob@example.com', teamId: 'team-1', token: 'new' }])
  })

  it('a relationship through the unique column loads the same object as get(), both ways', async () => {
    await models.inSession(async (session) => {
      const invitee = new InvitedUser({ adminUid: 'admin-1', inviteeEmail: 'cy@example.com' })
      session.add(new Reminder({ note: 'first', invitee }))
      session.add(new Reminder({ note: 'second', invitee }))
      const sql = await sqlOf(() => session.flush())
      expect(sql.filter((text) => text.startsWith('INSERT'))).toEqual([
        'INSERT INTO "invited_users" ("admin_uid", "invitee_email") VALUES (?, ?)',
        ...generatedKeyInserts(dialect, 'INSERT INTO "reminders" ("email", "note")', '(?, ?)', 2),
      ])
      await session.commit()
    })
    const fromPrisma = await client.invitedUser.findUnique({ where: { inviteeEmail: 'cy@example.com' }, include: { reminders: { orderBy: { note: 'asc' } } } })
    expect(fromPrisma.adminUid).toBe('admin-1')
    expect(fromPrisma.reminders.map((reminder: { email: string; note: string }) => [reminder.email, reminder.note])).toEqual([
      ['cy@example.com', 'first'],
      ['cy@example.com', 'second'],
    ])
    await models.inSession(async (session) => {
      const reminder = await session.query(Reminder).filterBy({ note: 'first' }).one()
      const invitee = await reminder.invitee
      expect(invitee).toBe(await session.get(InvitedUser, 'cy@example.com'))
      expect((await invitee.reminders).map((r: { note: string }) => r.note).sort()).toEqual(['first', 'second'])
      // Moving a reminder to another invitee writes the other e-mail.
      const other = new InvitedUser({ adminUid: 'admin-1', inviteeEmail: 'dee@example.com' })
      reminder.invitee = other
      await session.commit()
    })
    expect((await client.reminder.findMany({ where: { note: 'first' } }))[0].email).toBe('dee@example.com')
  })

  it('a new object with the unique key of a persistent one is refused before any SQL, as for @id', async () => {
    await models.inSession(async (session) => {
      session.add(new InvitedUser({ adminUid: 'a', inviteeEmail: 'eve@example.com' }))
      await session.flush()
      session.add(new InvitedUser({ adminUid: 'b', inviteeEmail: 'eve@example.com' }))
      let error: unknown
      expect(await sqlOf(() => session.flush().catch((caught: unknown) => (error = caught)))).toEqual([])
      expect(error).toBeInstanceOf(FlushError)
      expect((error as FlushError).code).toBe('flush_identity_conflict')
    })
  })

  it('reads rows PrismaClient wrote into the identity map by their unique key', async () => {
    await client.invitation.create({ data: { email: 'fay@example.com', teamId: 'team-2', token: 'tok-fay' } })
    await models.inSession(async (session) => {
      const [loaded] = await session.query(Invitation).all()
      expect(await session.get(Invitation, 'tok-fay')).toBe(loaded)
      expect(loaded.email).toBe('fay@example.com')
    })
  })
})
