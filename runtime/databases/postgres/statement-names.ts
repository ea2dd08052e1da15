/** Names for PostgreSQL's server-side prepared statements: one per SQL text, for at most a fixed number of texts per engine. */
import { createHash } from 'node:crypto'

/**
 * Gives each of the first `capacity` distinct SQL texts a stable name (from a hash of the text), and
 * every later text none. node-postgres prepares a named statement once per connection and keeps it
 * for the connection's life (it has no eviction), so the cap is what bounds the statements each
 * server connection holds; the hot statements of an application are among its first.
 */
export class StatementNames {
  private readonly names = new Map<string, string>()

  constructor(private readonly capacity: number) {}

  /** The name of `sql`'s prepared statement, or undefined to send it unnamed (parsed on every call). */
  nameOf(sql: string): string | undefined {
    const known = this.names.get(sql)
    if (known !== undefined || this.names.size >= this.capacity) return known
    const name = `pa_${createHash('sha256').update(sql).digest('base64url').slice(0, 22)}`
    this.names.set(sql, name)
    return name
  }
}
