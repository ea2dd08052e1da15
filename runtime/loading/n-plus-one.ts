/** The opt-in N+1 check: counts lazy loads per relationship in one session and warns or throws past a threshold. */
import { NPlusOneError, nPlusOneMessage } from '../errors.js'
import type { Relationship } from '../orm/mapper.js'

/** Settings of the N+1 check. */
export interface NPlusOneOptions {
  /** Lazy loads of one relationship allowed per session before the check fires. */
  readonly threshold: number
  /** Throw `NPlusOneError` instead of warning. */
  readonly raise?: boolean | undefined
  /** Where warnings go; default `console.warn`. */
  readonly warn?: ((message: string) => void) | undefined
}

/** One per session that asked for the check (`SessionOptions.nPlusOne`). @internal */
export class NPlusOneCounter {
  readonly #options: NPlusOneOptions
  readonly #counts = new Map<Relationship, number>()

  constructor(options: NPlusOneOptions) {
    this.#options = options
  }

  /** Counts one lazy load of `relationship`: past the threshold it throws `NPlusOneError`, or warns once. */
  count(relationship: Relationship): void {
    const count = (this.#counts.get(relationship) ?? 0) + 1
    this.#counts.set(relationship, count)
    const { threshold, raise, warn } = this.#options
    if (count <= threshold) return
    const name = `${relationship.parent.name}.${relationship.name}`
    if (raise) throw NPlusOneError.of(name, count)
    // Warn once per relationship, when it first crosses the threshold.
    if (count === threshold + 1) (warn ?? console.warn)(nPlusOneMessage(name, count))
  }
}
