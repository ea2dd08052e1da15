/** Scopes on AsyncLocalStorage: one per request, job or `db.scope()` call, each owning at most one session. */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { ConnectionOwner } from '../engine/driver.js'
import { NoScopeError } from '../errors.js'
import type { BindTarget } from './routing.js'
import type { Session } from './session.js'

/** One statement recorded for a scope (Flask-SQLAlchemy's `get_recorded_queries()`). */
export interface RecordedQuery {
  readonly statement: string
  readonly parameters: readonly unknown[]
  /** `performance.now()` when the statement finished minus its duration. */
  readonly startTime: number
  readonly endTime: number
  /** Milliseconds. */
  readonly duration: number
  /** `file:line:column` of the first caller outside prismalchemy and node_modules, when known. */
  readonly location: string | undefined
}

let nextScopeId = 1

/**
 * One scope. Its session is created on first use of `db.session` inside it and closed when the
 * scope ends. @internal
 */
export class Scope {
  readonly id = nextScopeId++
  session: Session | undefined = undefined
  ended = false
  /** Statements recorded in this scope, when recording is on. */
  readonly queries: RecordedQuery[] = []

  /**
   * `owner` names the scope's session in `PoolTimeoutError` (`GET /orders`, `db.scope(nightlyExport)`);
   * `bind`, when given, is the session's default database instead of the factory's (a tenant's engine).
   */
  constructor(
    readonly owner?: ConnectionOwner,
    readonly bind?: BindTarget,
  ) {}
}

/**
 * SQLAlchemy's `ScopedRegistry` over AsyncLocalStorage: everything a scope's function awaits,
 * schedules (timers, promises, `Promise.all` fan-out) or emits within it sees the same {@link Scope}.
 * Different scopes never share one. @internal
 */
export class ScopeRegistry {
  private readonly storage = new AsyncLocalStorage<Scope>()
  private globalScope: Scope | undefined

  /** The scope of the running code, or the global scope when enabled, or undefined. */
  find(): Scope | undefined {
    return this.storage.getStore() ?? this.globalScope
  }

  /** The scope of the running code; {@link NoScopeError} when there is none or it has ended. */
  current(): Scope {
    const scope = this.find()
    if (scope === undefined) throw NoScopeError.outsideScope()
    if (scope.ended) throw NoScopeError.scopeEnded()
    return scope
  }

  /** Runs `fn` inside `scope`. */
  run<R>(scope: Scope, fn: () => R): R {
    return this.storage.run(scope, fn)
  }

  /** Opts in to one process-wide scope for code outside any request (scripts, REPLs, tests). */
  enableGlobalScope(): void {
    this.globalScope ??= new Scope('the global scope')
  }

  /** The process-wide scope, if enabled. */
  get global(): Scope | undefined {
    return this.globalScope
  }
}
