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
  /**
   * Values set by the flush, in order: object, column, previous value; or object, the columns its
   * defaults filled (unset before), undefined: one entry per new object rather than one per default.
   */
  private readonly entries: [InstanceState, string | readonly string[], unknown][] = []
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
    this.entries.push([state, name, state.dict[name]])
    state.dict[name] = value
  }

  /** Puts back every value the flush set, newest first. */
  undo(): void {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const [state, names, previous] = this.entries[i]
      if (typeof names === 'string') state.dict[names] = previous
      else for (const name of names) state.dict[name] = undefined
    }
  }

  /** Fills a new object's unset columns as its INSERT sends them: `@updatedAt`, client defaults, NULL for nullable ones. */
  applyDefaults(state: InstanceState): void {
    const dict = state.dict
    let filled: string[] | undefined
    for (const column of state.mapper.columns) {
      if (dict[column.name] !== undefined) continue
      const value = unsetColumnValue(column, this.now)
      if (value === undefined) continue
      ;(filled ??= []).push(column.name)
      dict[column.name] = value
    }
    if (filled !== undefined) this.entries.push([state, filled, undefined])
  }
}
