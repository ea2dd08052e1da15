/** FlushJournal: what one flush did so far to objects (values set, for undo) and to rows (inserted, updated, as written). */
import { unsetColumnValue } from './client-defaults.js'
import type { InstanceState } from '../state.js'

/** An object's values when its statement was built, to spot changes made while the flush ran. */
export interface WrittenRow {
  /** The object's version when its statement was built. */
  readonly version: number
  /** The column values the row holds after the statement. */
  readonly values: Record<string, unknown>
  /** The stored values the statement replaced, for a rollback. */
  readonly originals: Record<string, unknown>
}

/**
 * The bookkeeping of one flush, shared by its writers. Every value the flush sets on an object goes
 * through {@link set}, so {@link undo} leaves objects exactly as they were before a failed flush.
 * @internal
 */
export class FlushJournal {
  /** Values set by the flush, in order, three slots each (object, column, previous value): no array per value set. */
  private readonly entries: unknown[] = []
  /** Objects whose INSERT ran. */
  readonly inserted = new Set<InstanceState>()
  /** Persistent objects whose UPDATE ran, in order. */
  readonly updated: InstanceState[] = []
  /** What each written object looked like when its statement was built. */
  readonly written = new Map<InstanceState, WrittenRow>()
  /** The flush's time: `now()` defaults and `@updatedAt` columns all take it. */
  readonly now = new Date()

  /** Sets a column value during the flush, remembering the previous one for undo. */
  set(state: InstanceState, name: string, value: unknown): void {
    this.entries.push(state, name, state.dict[name])
    state.dict[name] = value
  }

  /** Puts back every value the flush set, newest first. */
  undo(): void {
    const entries = this.entries
    for (let i = entries.length - 3; i >= 0; i -= 3) (entries[i] as InstanceState).dict[entries[i + 1] as string] = entries[i + 2]
  }

  /** Fills a new object's unset columns as its INSERT sends them: `@updatedAt`, client defaults, NULL for nullable ones. */
  applyDefaults(state: InstanceState): void {
    for (const column of state.mapper.columns) {
      if (state.dict[column.name] !== undefined) continue
      const value = unsetColumnValue(column, this.now)
      if (value !== undefined) this.set(state, column.name, value)
    }
  }
}
