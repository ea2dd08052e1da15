// One comparable form for a value read by PrismaClient or by a session: Decimal, bigint, Date, bytes and JSON spelled out.

/** True for a decimal.js instance (PrismaClient ships its own copy, so `instanceof` cannot tell). */
function isDecimal(value: object): value is { toString(): string } {
  return 'd' in value && 'e' in value && 's' in value && typeof (value as { toFixed?: unknown }).toFixed === 'function'
}

/**
 * A plain value that `toEqual` compares by meaning: `decimal:1.5`, `bigint:9`, `date:<ISO>` (or
 * `date:invalid`), `bytes:<hex>`, arrays element-wise, objects with sorted keys; undefined becomes null.
 */
export function comparable(value: unknown): unknown {
  if (value === undefined || value === null) return null
  if (typeof value === 'bigint') return `bigint:${value}`
  if (typeof value !== 'object') return value
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'date:invalid' : `date:${value.toISOString()}`
  if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString('hex')}`
  if (Array.isArray(value)) return value.map(comparable)
  if (isDecimal(value)) return `decimal:${value.toString()}`
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return Object.fromEntries(entries.map(([key, inner]) => [key, comparable(inner)]))
}

/** The value for a message: short, one line. */
export function shown(value: unknown): string {
  const text = JSON.stringify(comparable(value)) ?? String(value)
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}
