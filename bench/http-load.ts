/** The HTTP benchmark's load generator: autocannon posting new users with unique names at a fixed number of connections. */
import autocannon from 'autocannon'

/** One load run's settings. */
export interface LoadOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:4123`. */
  readonly url: string
  /** Keep-alive connections, each with one request in flight. */
  readonly connections: number
  /** Seconds to run. */
  readonly seconds: number
  /** Usernames are `<prefix>-<counter>`, so no two requests of any run collide. */
  readonly prefix: string
  /** Roles are `role1..role<roles>`, picked round-robin. */
  readonly roles: number
}

/** What one run measured. */
export interface LoadResult {
  /** Completed requests per second (any status). */
  readonly rps: number
  /** Latency percentiles and maximum, ms. */
  readonly p50: number
  readonly p99: number
  readonly max: number
  /** Responses by class, and connection errors (including timeouts). */
  readonly ok: number
  readonly non2xx: number
  readonly errors: number
}

/**
 * Runs autocannon against `POST /users` for `seconds`, every request with a fresh username, and
 * returns throughput, latency and error counts.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  let counter = 0
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    duration: options.seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/users',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => {
          const n = counter++
          return { ...request, body: JSON.stringify({ username: `${options.prefix}-${n}`, role: `role${(n % options.roles) + 1}` }) }
        },
      },
    ],
  })
  return {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
  }
}
