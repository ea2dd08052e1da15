/** MikroORM entities for the benchmark (EntitySchema, no decorators): the `Role` and `users` tables of the example schema, as prismalchemy's createAll creates them and Prisma stores their values. */
import { BigIntType, Collection, EntitySchema, OptionalProps, Type } from '@mikro-orm/core'
import type { BenchDb } from './db-option.js'

/** A role: table `Role`. */
export class Role {
  id!: number
  name!: string
  users = new Collection<User>(this)
}

/** A user: table `users`. Initialisers give new users the schema defaults (MikroORM runs the constructor for new entities only). */
export class User {
  /** The properties `em.create` may leave out: they have defaults. */
  [OptionalProps]?: 'email' | 'role' | 'plan' | 'active' | 'quota' | 'score' | 'balance' | 'settings' | 'avatar' | 'createdAt' | 'updatedAt'
  id!: number
  username!: string
  email: string | null = null
  role: Role | null = null
  plan: 'FREE' | 'PRO' | 'ENTERPRISE' = 'FREE'
  active = true
  quota = 0n
  score = 0
  balance = '0'
  settings: unknown = null
  avatar: Buffer | null = null
  createdAt = new Date()
  updatedAt = new Date()
}

/**
 * A Prisma `DateTime` on SQLite: ISO 8601 text with `+00:00`, as Prisma and prismalchemy write it
 * (MikroORM's own SQLite dates are epoch milliseconds, which Prisma would not read back).
 */
class PrismaSqliteDateTime extends Type<Date, string> {
  override convertToDatabaseValue(value: Date | string): string {
    return value instanceof Date ? value.toISOString().replace('Z', '+00:00') : value
  }

  override convertToJSValue(value: Date | string): Date {
    return value instanceof Date ? value : new Date(value)
  }

  override getColumnType(): string {
    return 'datetime'
  }
}

/** The two entity schemas for `db` (only the DateTime mapping differs). */
export function mikroOrmEntities(db: BenchDb): EntitySchema[] {
  const dateTime = db === 'sqlite' ? PrismaSqliteDateTime : 'datetime'
  const role = new EntitySchema<Role>({
    class: Role,
    tableName: 'Role',
    properties: {
      id: { type: 'number', primary: true },
      name: { type: 'string', unique: true },
      users: { kind: '1:m', entity: () => User, mappedBy: 'role' },
    },
  })
  const user = new EntitySchema<User>({
    class: User,
    tableName: 'users',
    properties: {
      id: { type: 'number', primary: true },
      username: { type: 'string', unique: true },
      email: { type: 'string', nullable: true },
      role: { kind: 'm:1', entity: () => Role, fieldName: 'roleId', nullable: true, index: 'users_roleId_idx' },
      plan: { enum: true, items: ['FREE', 'PRO', 'ENTERPRISE'], nativeEnumName: 'Plan' },
      active: { type: 'boolean' },
      quota: { type: new BigIntType('bigint') },
      score: { type: 'double' },
      balance: { type: 'decimal', precision: 65, scale: 30 },
      settings: { type: 'json', nullable: true },
      avatar: { type: 'blob', nullable: true },
      createdAt: { type: dateTime, fieldName: 'created_at', length: 3 },
      updatedAt: { type: dateTime, fieldName: 'updated_at', length: 3, onUpdate: () => new Date() },
    },
  })
  return [role, user] as EntitySchema[]
}
