/** A session's OpenTelemetry spans: flush (what it wrote), statements (database semantic-convention attributes), commit and rollback; direct calls when tracing is off. */
import type { Attributes } from '@opentelemetry/api'
import type { Engine } from '../engine/engine.js'
import { attributesOf, inSpan, SPAN_NAMES, tracing } from '../engine/tracing.js'
import type { CompiledQuery } from '../sql/compiled-query.js'
import type { StatementNode } from '../sql/nodes.js'
import type { Mapper } from './mapper.js'
import type { FlushResult } from './unit-of-work/flush-result.js'

/** `db.operation.name` of each statement kind the ORM builds; raw SQL has none (the text is the user's). */
const OPERATIONS: Readonly<Record<StatementNode['kind'], string | undefined>> = {
  select: 'SELECT',
  insert: 'INSERT',
  update: 'UPDATE',
  delete: 'DELETE',
  raw: undefined,
}

/**
 * What a traced flush records besides its duration: the statements run inside it (counted by their
 * spans, found through the active context) and, once it succeeded, the rows it wrote.
 * @internal
 */
export class FlushTrace {
  statements = 0
  #result: Pick<FlushResult, 'inserted' | 'updated' | 'deleted'> | undefined

  /** The flush succeeded with `result`: its counts become the span's attributes. */
  wrote(result: Pick<FlushResult, 'inserted' | 'updated' | 'deleted'>): void {
    this.#result = result
  }

  /** The span's closing attributes. */
  attributes(): Record<string, number> {
    const result = this.#result
    const attributes: Record<string, number> = { 'prismalchemy.flush.statements': this.statements }
    if (result === undefined) return attributes
    return {
      ...attributes,
      'prismalchemy.flush.inserts': result.inserted.length,
      'prismalchemy.flush.updates': result.updated.length,
      'prismalchemy.flush.deletes': result.deleted.length,
    }
  }
}

/** Runs a flush inside a `prismalchemy.flush` span, handing it the {@link FlushTrace} to report to; without tracing, `flush(undefined)`. */
export function traceFlush(flush: (trace: FlushTrace | undefined) => Promise<void>): Promise<void> {
  const loaded = tracing()
  if (loaded === undefined) return flush(undefined)
  const trace = new FlushTrace()
  return inSpan(loaded, SPAN_NAMES.flush, loaded.internal, {}, () => flush(trace), { key: loaded.flushKey, value: trace }, (span) =>
    span.setAttributes(trace.attributes()),
  )
}

/**
 * Runs one statement of a session on `engine` inside a `prismalchemy.query` span (kind CLIENT):
 * the engine's attributes, `db.query.text` (the SQL with its placeholders: values are always bound,
 * never in the text), `db.operation.name` and `db.collection.name` for the ORM's own statements.
 */
export function traceQuery<T>(engine: Engine, mapper: Mapper | undefined, kind: StatementNode['kind'], query: CompiledQuery, run: () => Promise<T>): Promise<T> {
  const loaded = tracing()
  if (loaded === undefined) return run()
  const flush = loaded.active().getValue(loaded.flushKey) as FlushTrace | undefined
  if (flush !== undefined) flush.statements++
  const attributes: Attributes = { ...attributesOf(engine), 'db.query.text': query.sql }
  const operation = OPERATIONS[kind]
  if (operation !== undefined) attributes['db.operation.name'] = operation
  if (mapper !== undefined) attributes['db.collection.name'] = mapper.table
  return inSpan(loaded, SPAN_NAMES.query, loaded.client, attributes, run)
}

/** Runs a session's commit (its flushes included) or rollback inside a span named `name`; without tracing, `work()`. */
export function traceTransactionEnd(name: typeof SPAN_NAMES.commit | typeof SPAN_NAMES.rollback, work: () => Promise<void>): Promise<void> {
  const loaded = tracing()
  return loaded === undefined ? work() : inSpan(loaded, name, loaded.internal, {}, work)
}
