/** OpenTelemetry spans through `@opentelemetry/api`, an optional peer dependency: imported once in the background, and nothing at all when it is not installed. */
import type { Attributes, Context, Span, SpanKind, Tracer } from '@opentelemetry/api'
import { importIfInstalled } from './optional-package.js'

/**
 * The names of the spans the runtime starts, in its own namespace (Prisma's are `prisma:client:operation`,
 * `prisma:engine:db_query`, ...). The statement attributes follow OpenTelemetry's database semantic
 * conventions (`db.system.name`, `db.query.text`, ...).
 */
export const SPAN_NAMES = {
  /** A session's flush: every statement it runs is a child. */
  flush: 'prismalchemy.flush',
  /** One statement a session runs (kind CLIENT). */
  query: 'prismalchemy.query',
  /** A session's commit, with the flushes it runs first as children. */
  commit: 'prismalchemy.commit',
  /** A session's rollback of an open transaction. */
  rollback: 'prismalchemy.rollback',
  /** A connection checked out of an engine's pool: its duration is the wait for the connection. */
  checkout: 'prismalchemy.pool.checkout',
} as const

/** What of an engine the span attributes describe (structural, so that this module does not import the engine). */
export interface TracedEngine {
  readonly url: string
  readonly dialect: { readonly name: string }
}

/**
 * The loaded API, reduced to what the runtime uses: a tracer (a proxy that finds the provider an
 * application registers later), the active context, and the key under which a flush counts its statements.
 * @internal
 */
export interface Tracing {
  readonly tracer: Tracer
  active(): Context
  /** Runs `work` with `context` active (the API's `context.with`). */
  within<T>(context: Context, work: () => Promise<T>): Promise<T>
  /** `parent` with `span` as its active span. */
  withSpan(parent: Context, span: Span): Context
  /** False for the span a tracer without a provider hands out outside any trace: nothing to record or pass on. */
  traced(span: Span): boolean
  /** The context key under which a flush's span keeps its statement counter. */
  readonly flushKey: symbol
  /** `SpanKind.CLIENT`, of statements. */
  readonly client: SpanKind
  /** `SpanKind.INTERNAL`, of flushes, commits, rollbacks and checkouts. */
  readonly internal: SpanKind
  /** `SpanStatusCode.ERROR`. */
  readonly error: number
  /**
   * True when a span started now would neither record nor carry a trace: no tracer provider is
   * registered behind the runtime's tracer and the active context holds no span (the API's no-op
   * tracer then hands out an invalid span, which {@link traced} rejects).
   */
  idle(): boolean
}

/** Undefined before the first engine asks; a promise while the import runs; null when the package is not installed (or failed to load). */
let state: Tracing | null | Promise<void> | undefined

/** Imports `@opentelemetry/api` once, in the background; called by every new engine. A missing or broken package turns tracing off, never an application's database work. */
export function startTracing(): void {
  if (state !== undefined) return
  state = importIfInstalled('@opentelemetry/api', () => import('@opentelemetry/api')).then(
    (api) => {
      if (api === undefined) {
        state = null
        return
      }
      // The tracer's provider hands out no-op spans until an application registers a real one behind it.
      const provider = api.trace.getTracerProvider()
      const noop = provider instanceof api.ProxyTracerProvider ? new api.ProxyTracerProvider().getDelegate() : undefined
      const unregistered = () => noop !== undefined && (provider as InstanceType<typeof api.ProxyTracerProvider>).getDelegate() === noop
      state = {
        tracer: api.trace.getTracer('prismalchemy'),
        idle: () => unregistered() && api.trace.getSpan(api.context.active()) === undefined,
        active: () => api.context.active(),
        within: (context, work) => api.context.with(context, work),
        withSpan: (parent, span) => api.trace.setSpan(parent, span),
        traced: (span) => span.isRecording() || api.isSpanContextValid(span.spanContext()),
        flushKey: api.createContextKey('prismalchemy.flush'),
        client: api.SpanKind.CLIENT,
        internal: api.SpanKind.INTERNAL,
        error: api.SpanStatusCode.ERROR,
      }
    },
    () => {
      state = null
    },
  )
}

/**
 * The loaded API, or undefined while it loads, when it is absent, before any engine exists, or while
 * it is idle (no provider registered and no active span: every span would be a no-op): then nothing
 * is traced, and no span or attribute is built.
 */
export function tracing(): Tracing | undefined {
  return typeof state === 'object' && state !== null && !(state instanceof Promise) && !state.idle() ? state : undefined
}

/** Resolves once the import of the API has settled (at once when it has, or never started). */
export function tracingSettled(): Promise<void> | undefined {
  return state instanceof Promise ? state : undefined
}

/** Marks a span failed: the exception as an event, status ERROR, and `error.type` (the error's name, e.g. `UniqueViolationError`). */
function fail(tracing: Tracing, span: Span, error: unknown): void {
  const exception = error instanceof Error ? error : new Error(String(error))
  span.recordException(exception)
  span.setStatus({ code: tracing.error, message: exception.message })
  span.setAttribute('error.type', exception.name)
}

/**
 * Runs `work` inside a new span `name`, child of the active span, made the active span while `work`
 * runs (with `extra` added to the context, e.g. a flush's statement counter). The span ends when the
 * promise settles, after `finish` added what is known only then; a rejection is recorded on it. A span
 * that neither records nor carries a trace (no provider is registered) is skipped: `work()` runs bare.
 * A span a sampler dropped still becomes the active span, so that its children know the decision.
 */
export function inSpan<T>(
  tracing: Tracing,
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  work: () => Promise<T>,
  extra?: { readonly key: symbol; readonly value: unknown },
  finish?: (span: Span) => void,
): Promise<T> {
  const parent = tracing.active()
  const span = tracing.tracer.startSpan(name, { kind, attributes }, parent)
  // No provider registered (the API's no-op tracer): run the work as if tracing were off.
  if (!tracing.traced(span)) return work()
  let context = tracing.withSpan(parent, span)
  if (extra !== undefined) context = context.setValue(extra.key, extra.value)
  const end = (): void => {
    finish?.(span)
    span.end()
  }
  let running: Promise<T>
  try {
    running = tracing.within(context, work)
  } catch (error) {
    fail(tracing, span, error)
    end()
    throw error
  }
  return running.then(
    (value) => {
      end()
      return value
    },
    (error: unknown) => {
      fail(tracing, span, error)
      end()
      throw error
    },
  )
}

/** Per engine: the attributes every span about it carries, computed once. */
const engineAttributes = new WeakMap<TracedEngine, Attributes>()

/**
 * `db.system.name` (the dialect: `sqlite`, `postgresql`, `mysql`), `db.namespace` (the database name, or the
 * SQLite file as the URL names it) and, for a server, `server.address` and `server.port`: never the
 * user name or password.
 */
export function attributesOf(engine: TracedEngine): Attributes {
  let attributes = engineAttributes.get(engine)
  if (attributes === undefined) {
    attributes = Object.freeze(describeUrl(engine.dialect.name, engine.url))
    engineAttributes.set(engine, attributes)
  }
  return attributes
}

function describeUrl(system: string, url: string): Attributes {
  const file = /^(?:file:|sqlite:(?:\/\/)?)(.+)$/.exec(url)
  if (file !== null) return { 'db.system.name': system, 'db.namespace': file[1]! }
  try {
    const parsed = new URL(url)
    const attributes: Attributes = { 'db.system.name': system, 'server.address': parsed.hostname.replace(/^\[(.*)\]$/, '$1') }
    if (parsed.port !== '') attributes['server.port'] = Number(parsed.port)
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''))
    if (database !== '') attributes['db.namespace'] = database
    return attributes
  } catch {
    return { 'db.system.name': system }
  }
}

/** True when a checkout records no span and waits for no loading API: it may then be made synchronously (see `Engine.connectNow`). */
export function checkoutUntraced(): boolean {
  return tracing() === undefined && tracingSettled() === undefined
}

/**
 * Runs a pool checkout inside a `prismalchemy.pool.checkout` span. Before the API has loaded, waits
 * for it (a checkout is asynchronous anyway): spans are recorded from the first checkout on, and only
 * what began before it (a process's first flush and first statement) goes untraced.
 */
export function traceCheckout<T>(engine: TracedEngine, checkout: () => Promise<T>): Promise<T> {
  const loaded = tracing()
  if (loaded !== undefined) return inSpan(loaded, SPAN_NAMES.checkout, loaded.internal, attributesOf(engine), checkout)
  const settling = tracingSettled()
  return settling === undefined ? checkout() : settling.then(() => traceCheckout(engine, checkout))
}
