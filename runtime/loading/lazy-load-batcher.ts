/** Batches lazy loads of one relationship started in the same tick into one SELECT ... IN (...), and counts them for the N+1 check. */
import type { Relationship } from '../orm/mapper.js'
import type { LoadContext } from '../orm/session-context.js'
import type { InstanceState } from '../orm/state.js'
import { loadRelated } from './load-related.js'
import type { NPlusOneCounter } from './n-plus-one.js'

interface Batch {
  readonly owners: InstanceState[]
  readonly done: Promise<void>
}

/**
 * One per session. `await Promise.all(users.map((user) => user.role))` starts 200 lazy loads in one
 * tick; they wait together for a few microtasks and go out as one statement. A lone access still
 * costs one statement, as with SQLAlchemy's lazy loader.
 * @internal
 */
export class LazyLoadBatcher {
  readonly #pending = new Map<Relationship, Batch>()

  readonly #ctx: LoadContext
  readonly #nPlusOne: NPlusOneCounter | undefined

  /** `nPlusOne` counts each batch's load of a relationship when the session asked for the N+1 check. */
  constructor(ctx: LoadContext, nPlusOne?: NPlusOneCounter) {
    this.#ctx = ctx
    this.#nPlusOne = nPlusOne
  }

  /** Loads `relationship` for `owner`, together with every other owner asking in the same tick. */
  load(owner: InstanceState, relationship: Relationship): Promise<void> {
    let batch = this.#pending.get(relationship)
    if (batch === undefined) {
      const owners: InstanceState[] = []
      // Two microtask hops: every load started synchronously in this tick (and resumed from an
      // already-settled await) joins before the statement goes out.
      const done = Promise.resolve()
        .then(() => undefined)
        .then(() => {
          this.#pending.delete(relationship)
          this.#nPlusOne?.count(relationship)
          return loadRelated(this.#ctx, relationship, owners)
        })
        // One more hop, as before the loader returned nothing: owners awaiting the batch resume in the same tick as always.
        .then(() => undefined)
      batch = { owners, done }
      this.#pending.set(relationship, batch)
    }
    batch.owners.push(owner)
    return batch.done
  }
}
