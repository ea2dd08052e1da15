/** Drizzle's PostgreSQL schema for the benchmark: the `Role` and `users` tables (and enum `Plan`) of the example schema, as prismalchemy's createAll creates them, with their relations. */
import { relations } from 'drizzle-orm'
import { bigint, boolean, customType, doublePrecision, index, integer, jsonb, numeric, pgEnum, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core'

/** A Prisma `Bytes` column on PostgreSQL. */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' })

/** Enum `Plan`. */
export const plan = pgEnum('Plan', ['FREE', 'PRO', 'ENTERPRISE'])

/** Table `Role`. */
export const roles = pgTable('Role', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
})

/** Table `users`; `createdAt`/`updatedAt` are filled by the client, as Prisma's `@default(now())` and `@updatedAt` are. */
export const users = pgTable(
  'users',
  {
    id: serial('id').primaryKey(),
    username: text('username').notNull().unique(),
    email: text('email'),
    roleId: integer('roleId').references(() => roles.id, { onDelete: 'set null', onUpdate: 'cascade' }),
    plan: plan('plan').notNull().default('FREE'),
    active: boolean('active').notNull().default(true),
    quota: bigint('quota', { mode: 'bigint' }).notNull().default(0n),
    score: doublePrecision('score').notNull().default(0),
    balance: numeric('balance', { precision: 65, scale: 30 }).notNull().default('0'),
    settings: jsonb('settings'),
    avatar: bytea('avatar'),
    createdAt: timestamp('created_at', { precision: 3, mode: 'date' })
      .notNull()
      .$defaultFn(() => new Date()),
    updatedAt: timestamp('updated_at', { precision: 3, mode: 'date' })
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
