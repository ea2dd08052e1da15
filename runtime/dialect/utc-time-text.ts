/** Date and time text as PrismaClient sends and reads it through adapter-pg and adapter-mariadb: UTC fields, no offset. */

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0')
}

/** Milliseconds as the adapters write them: `.mmm`, or nothing when zero. */
function fraction(date: Date): string {
  const ms = date.getUTCMilliseconds()
  return ms === 0 ? '' : `.${pad(ms, 3)}`
}

/** `YYYY-MM-DD`: what a `@db.Date` column is sent. */
export function formatDate(date: Date): string {
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`
}

/** `HH:MM:SS[.mmm]`: what a `@db.Time` (or PostgreSQL's `@db.Timetz`) column is sent. */
export function formatTime(date: Date): string {
  return `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${fraction(date)}`
}

/** `YYYY-MM-DD HH:MM:SS[.mmm]`: a timestamp, as adapter-pg and adapter-mariadb format a `Date` (pg and mariadb themselves would use local time). */
export function formatTimestamp(date: Date): string {
  return `${formatDate(date)} ${formatTime(date)}`
}

/**
 * A time of day read back (`HH:MM:SS[.ffffff]`; adapter-pg drops a `timetz` offset; MySQL gives six digits) as PrismaClient
 * returns it: that time on 1970-01-01 UTC, to the millisecond.
 */
export function parseTime(raw: unknown): Date | null {
  if (raw === null) return null
  if (raw instanceof Date) return raw
  const [clock, digits = ''] = String(raw).split('.')
  const ms = digits === '' ? '' : `.${digits.slice(0, 3).padEnd(3, '0')}`
  return new Date(`1970-01-01T${clock}${ms}Z`)
}
