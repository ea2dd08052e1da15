/** Drizzle's SQLite schema for the benchmark: the `Role` and `users` tables of the example schema (created by prismalchemy's createAll), mapped as Prisma stores them, with their relations. */
import { relations } from 'drizzle-orm'
import { blob, customType, index, integer, numeric, real, sqliteTable, text } from 'drizzle-orm/sqlite-core'

/** A Prisma `DateTime` on SQLite: ISO 8601 text with `+00:00` (how Prisma and prismalchemy write it), a Date in JavaScript. */
const prismaDateTime = customType<{ data: Date; driverData: string }>({
  dataType: () => 'datetime',
  toDriver: (value) => value.toISOString().replace('Z', '+00:00'),
  fromDriver: (value) => new Date(value),
})

/** A Prisma `BigInt` on SQLite: an INTEGER column, a bigint in JavaScript. */
const bigintInteger = customType<{ data: bigint; driverData: number | bigint }>({
  dataType: () => 'bigint',
  fromDriver: (value) => BigInt(value),
})

/** Table `Role`. */
export const roles = sqliteTable('Role', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
})

/** Table `users`; `createdAt`/`updatedAt` are filled by the client, as Prisma's `@default(now())` and `@updatedAt` are. */
export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    username: text('username').notNull().unique(),
    email: text('email'),
    roleId: integer('roleId').references(() => roles.id, { onDelete: 'set null', onUpdate: 'cascade' }),
    plan: text('plan', { enum: ['FREE', 'PRO', 'ENTERPRISE'] }).notNull().default('FREE'),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    quota: bigintInteger('quota').notNull().default(0n),
    score: real('score').notNull().default(0),
    balance: numeric('balance').notNull().default('0'),
    settings: text('settings', { mode: 'json' }),
    avatar: blob('avatar', { mode: 'buffer' }),
    createdAt: prismaDateTime('created_at')
      .notNull()
      .$defaultFn(() => new Date()),
    updatedAt: prismaDateTime('updated_at')
      .notNull()
      .$defaultFn(() => new Date())
      .$onUpdateFn(() => new Date()),
  },
  (table) => [index('users_roleId_idx').on(table.roleId)],
)

/** `Role.users`: one-to-many. */
export const rolesRelations = relations(roles, ({ many }) => ({ users: many(users) }))

/** `User.role`: many-to-one through `roleId`. */
export const usersRelations = relations(users, ({ one }) => ({ role: one(roles, { fields: [users.roleId], references: [roles.id] }) }))
