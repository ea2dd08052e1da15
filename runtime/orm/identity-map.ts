/** IdentityMap: one object per primary key per session, keyed by mapper then identity key. */
import type { Mapper } from './mapper.js'
import type { InstanceState } from './state.js'

/**
 * The session's identity map. Holds strong references: objects stay until expunged or the
 * session closes (JavaScript has no cheap weak map keyed by value).
 */
export class IdentityMap {
  private readonly byMapper = new Map<Mapper, Map<unknown, InstanceState>>()
  private count = 0
  /** Sets recording the states added while they are registered (see {@link record}). */
  private readonly recorders = new Set<Set<InstanceState>>()

  /** The state stored for `key`, if any. */
  get(mapper: Mapper, key: unknown): InstanceState | undefined {
    return this.byMapper.get(mapper)?.get(key)
  }

  /** Stores `state` under its key. */
  add(state: InstanceState): void {
    let map = this.byMapper.get(state.mapper)
    if (map === undefined) {
      map = new Map()
      this.byMapper.set(state.mapper, map)
    }
    if (!map.has(state.key)) {
      this.count++
      if (this.recorders.size > 0) for (const recorder of this.recorders) recorder.add(state)
    }
    map.set(state.key, state)
  }

  /** Adds to `into` every state stored under a new key from now until the returned function is called (a stream releasing what it loaded). */
  record(into: Set<InstanceState>): () => void {
    this.recorders.add(into)
    return () => void this.recorders.delete(into)
  }

  /** Removes `state` if it is the one stored under its key. */
  remove(state: InstanceState, key: unknown = state.key): void {
    const map = this.byMapper.get(state.mapper)
    if (map?.get(key) === state) {
      map.delete(key)
      this.count--
    }
  }

  /** The stored states of one mapper. */
  statesOf(mapper: Mapper): IterableIterator<InstanceState> {
    return (this.byMapper.get(mapper) ?? new Map<unknown, InstanceState>()).values()
  }

  /** Every stored state, as an array taken now (the caller may add and remove states while it walks it). */
  states(): InstanceState[] {
    const states: InstanceState[] = []
    for (const map of this.byMapper.values()) for (const state of map.values()) states.push(state)
    return states
  }

  /** Number of stored objects. */
  get size(): number {
    return this.count
  }

  /** Forgets everything. */
  clear(): void {
    if (this.byMapper.size > 0) this.byMapper.clear()
    this.count = 0
  }
}
