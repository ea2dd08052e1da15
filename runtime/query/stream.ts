/** `query.stream()`: a query's objects read a batch at a time from an open statement or server-side cursor (SQLAlchemy's `yield_per`), released from the session as they pass when asked. */
import { InvalidRequestError } from '../errors.js'
import type { LoaderOption } from '../loading/loader-options.js'
import type { Mapper } from '../orm/mapper.js'
import type { Model } from '../orm/model.js'
import type { LoadContext } from '../orm/session-context.js'
import type { InstanceState } from '../orm/state.js'
import type { SelectNode } from '../sql/nodes.js'

/** Options of `query.stream()`. */
export interface StreamOptions {
  /**
   * Rows read per round trip (a `FETCH FORWARD` on PostgreSQL, a run of steps on SQLite), and the
   * batch the query's loader options load together (`selectinload` runs once per batch). Default 1000.
   */
  readonly batchSize?: number
  /**
   * Detach the objects each batch brought into the session (and the related objects its loader
   * options loaded with them) once the loop has moved past that batch, so the identity map holds one
   * batch at a time: SQLAlchemy's identity map drops them when nothing references them, ours keeps
   * every object until asked. Released objects are detached: their loaded columns stay readable, lazy
   * loads raise `DetachedInstanceError`. Objects with changes not yet flushed stay in the session,
   * so that the next flush writes them. Objects already in the session before the stream, or loaded
   * by other code in the loop, are never released. Default false.
   */
  readonly release?: boolean
}

/** Rows per batch when `batchSize` is not given. */
const DEFAULT_BATCH_SIZE = 1000

/** What a query hands its stream. @internal */
export interface StreamSource<T extends Model> {
  readonly mapper: Mapper
  /** Autoflushes and returns the session; or the objects held in memory instead (a dynamic relationship of an unsaved object). */
  prepare(): Promise<LoadContext | readonly Model[]>
  /** The entity SELECT, built after `prepare()` (its criteria may depend on the flush). */
  node(): SelectNode
  readonly loaderOptions: readonly LoaderOption[]
  /** Runs on the bind's primary (`usePrimary()`). */
  readonly primary: boolean
  /** An in-memory answer with the query's offset and limit applied. */
  slice(objects: readonly Model[]): T[]
}

/** The batch size `options` ask for, checked: an integer >= 1. */
export function streamBatchSize(options: StreamOptions): number {
  const size = options.batchSize ?? DEFAULT_BATCH_SIZE
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) throw InvalidRequestError.invalidBatchSize(size)
  return size
}

/**
 * The objects of `source`, read `batchSize` rows at a time. The session autoflushes once, before the
 * statement runs; each batch is hydrated through the identity map and its relationships loaded as the
 * query's options say (`selectin` per batch); a collection loaded in the statement itself (joined) is
 * refused, its rows not being one per object. Leaving the loop early (`break`, a throw) closes the
 * statement or cursor. The stream belongs to the session's transaction: its commit or rollback ends it.
 * @internal
 */
export async function* streamObjects<T extends Model>(source: StreamSource<T>, batchSize: number, release: boolean): AsyncGenerator<T, void, undefined> {
  const prepared = await source.prepare()
  if (Array.isArray(prepared)) {
    yield* source.slice(prepared as readonly Model[])
    return
  }
  const ctx = prepared as LoadContext
  const mapper = source.mapper
  const load = ctx.batchLoad<T>(mapper, source.node(), source.loaderOptions)
  const collection = load.joined.find((relationship) => relationship.uselist)
  if (collection !== undefined) throw InvalidRequestError.joinedCollectionInStream(mapper.name, collection.name)
  const run = <R>(work: () => Promise<R>): Promise<R> => (source.primary ? ctx.routing.onPrimary(work) : work())
  const batches = await run(() => ctx.streamRows(mapper, load.node, load.exactIntegers, batchSize))
  const loaded = new Set<InstanceState>()
  for await (const rows of batches) {
    const stopRecording = release ? ctx.identityMap.record(loaded) : undefined
    let objects: T[]
    try {
      objects = await run(async () => load.load(rows))
    } finally {
      stopRecording?.()
    }
    yield* objects
    if (release) releaseLoaded(ctx, loaded)
  }
}

/**
 * Detaches the objects a batch brought into the session, one by one (no expunge cascade: a related
 * object holding changes stays), except those with changes a flush must still write.
 */
function releaseLoaded(ctx: LoadContext, states: Set<InstanceState>): void {
  for (const state of states) {
    if (state.session !== ctx || state.modified || state.deleted || ctx.dirtyStates.has(state) || ctx.deletedStates.has(state)) continue
    ctx.identityMap.remove(state)
    state.session = null
    // A transaction that wrote remembers what it read, to expire it at rollback: nothing to do for a detached object.
    if (ctx.readsUncommitted) ctx.forgetUncommittedRead(state)
  }
  states.clear()
}
