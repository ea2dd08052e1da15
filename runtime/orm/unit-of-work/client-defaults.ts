/** Client-side defaults: the values an INSERT sends for the columns a new object left unset, as Prisma Client computes them. */
import { randomUUID } from 'node:crypto'
import cuid from '@bugsnag/cuid'
import { createId as cuid2 } from '@paralleldrive/cuid2'
import { nanoid } from 'nanoid'
import { ulid } from 'ulid'
import type { ColumnInfo } from '../mapper.js'

/** UUID v7: a 48-bit millisecond timestamp, then random bits (RFC 9562). */
function uuidV7(): string {
  const hex = Date.now().toString(16).padStart(12, '0')
  const random = randomUUID().replaceAll('-', '')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${random.slice(13, 16)}-${random.slice(16, 20)}-${random.slice(20, 32)}`
}

/** Milliseconds in a day: what `@db.Date` drops and `@db.Time` keeps. */
const DAY_MS = 86_400_000

/**
 * The flush's time as `column` stores it, so an object holds what its row holds (PrismaClient reads
 * the stored value back): a fresh `Date`, rounded half up to the column's fractional-second digits
 * when it keeps fewer than milliseconds (as PostgreSQL rounds on store), only the day for
 * `@db.Date`, only the time of day (on 1970-01-01, as it reads back) for `@db.Time`/`Timetz`.
 * @internal
 */
export function storedTime(column: ColumnInfo, now: Date): Date {
  const { precision, nativeType } = column.definition
  let time = now.getTime()
  if (precision !== undefined && precision < 3) {
    const unit = 10 ** (3 - precision)
    time = Math.round(time / unit) * unit
  }
  if (nativeType === 'Date') time -= time % DAY_MS
  else if (nativeType === 'Time' || nativeType === 'Timetz') time %= DAY_MS
  return new Date(time)
}

/**
 * The value Prisma Client would send for an unset column with a client-side default: `now()`,
 * a generated id (`uuid`, `cuid`, `nanoid`, `ulid`), or the column's constant (a list's empty value);
 * undefined for the database's own defaults and for columns without one.
 * @internal
 */
export function clientDefault(column: ColumnInfo, now: Date): unknown {
  const definition = column.definition.default
  switch (definition?.kind) {
    case 'now':
      return storedTime(column, now)
    case 'uuid':
      return definition.version === 7 ? uuidV7() : randomUUID()
    case 'cuid':
      return definition.version === 2 ? cuid2() : cuid()
    case 'nanoid':
      return nanoid(definition.size)
    case 'ulid':
      return ulid()
    default:
      return column.constantDefault?.()
  }
}

/**
 * What a new object's INSERT sends for `column` when the object left it unset: the flush's time
 * for `@updatedAt`, else the client-side default, else NULL for a nullable column the database
 * does not generate (so rows share one INSERT shape). Undefined leaves the column out: an unset
 * required column is then named by the database's NOT NULL error.
 * @internal
 */
export function unsetColumnValue(column: ColumnInfo, now: Date): unknown {
  const value = column.definition.updatedAt ? storedTime(column, now) : clientDefault(column, now)
  return value === undefined && column.nullable && !column.serverGenerated ? null : value
}
