/** The timing harness: warm-up, then rounds run round-robin across contenders, reported as the median µs per operation; untimed statement capture and sanity checks. */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Engine } from 'prismalchemy'

/**
 * A full garbage collection, run untimed before every batch of contenders that share a process, so
 * that one contender's garbage (PrismaClient allocates a lot) is not collected during the next one's
 * timed batch. Obtained without `--expose-gc` on the command line: the flag is set at run time and
 * `gc` read from a fresh context. It costs the batch after it: V8 sizes its heap limits from the small
 * live heap a full collection leaves, so the batch's allocations start marking again at once (2,000
 * fresh-session gets took 16 µs each without it, 46-49 µs after it, on another thread's CPU too).
 */
const fullGc: () => void = (() => {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
})()

/** One way of doing a workload's operation, timed against the others. */
export interface Contender<I> {
  /** Column key in the report, e.g. `prismalchemy`. */
  readonly name: string
  /** Runs one operation; may return a promise (awaited) or a plain value (not awaited). */
  run(input: I): unknown
  /** Untimed, after every timed or warm-up batch: undo side effects (e.g. delete inserted rows). */
  after?(): unknown
}

/** How much to run. */
export interface Plan {
  /** Untimed operations per contender before the first round (run in batches of at most `opsPerRound`). */
  readonly warmup: number
  /** Timed rounds per contender; the report is the median round. */
  readonly rounds: number
  /** Operations per round. */
  readonly opsPerRound: number
}

/** Per-contender timings: µs per operation of each round, and their median. */
export interface Timing {
  readonly rounds: readonly number[]
  readonly median: number
}

/** The median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function'
}

/**
 * Runs `contender` on every input, then its untimed `after`; returns µs per operation. With
 * `collectFirst` (contenders sharing a process), after a full garbage collection (see `fullGc`).
 */
export async function runBatch<I>(contender: Contender<I>, inputs: readonly I[], collectFirst: boolean): Promise<number> {
  if (collectFirst) fullGc()
  const started = process.hrtime.bigint()
  for (let i = 0; i < inputs.length; i++) {
    const result = contender.run(inputs[i])
    if (isThenable(result)) await result
  }
  const elapsedNs = Number(process.hrtime.bigint() - started)
  await contender.after?.()
  return elapsedNs / 1000 / inputs.length
}

/**
 * Times contenders on the same inputs. Rounds are interleaved (round 1 of every contender, then
 * round 2, ...) so drift in machine load hits all of them alike.
 *
 * @param inputs Untimed: the inputs of one batch of `count` operations. `batch` numbers a
 *   contender's batches (warm-up first, then rounds) and is the same for every contender, so a
 *   generator seeded by it gives every contender the same inputs.
 * @returns Timings by contender name.
 */
export async function compare<I>(
  contenders: readonly Contender<I>[],
  plan: Plan,
  inputs: (contender: string, batch: number, count: number) => readonly I[],
): Promise<Map<string, Timing>> {
  const rounds = new Map<string, number[]>(contenders.map((c) => [c.name, []]))
  // Warm-up in batches no larger than a round's, so `after` sees the same batch size as in the rounds.
  const warmups: number[] = []
  for (let done = 0; done < plan.warmup; done += plan.opsPerRound) warmups.push(Math.min(plan.opsPerRound, plan.warmup - done))
  for (const contender of contenders) {
    for (const [batch, count] of warmups.entries()) await runBatch(contender, inputs(contender.name, batch, count), true)
  }
  for (let round = 0; round < plan.rounds; round++) {
    for (const contender of contenders) {
      const batchInputs = inputs(contender.name, warmups.length + round, plan.opsPerRound)
      rounds.get(contender.name)!.push(await runBatch(contender, batchInputs, true))
    }
  }
  return new Map([...rounds].map(([name, list]) => [name, { rounds: list, median: median(list) }]))
}

/** Writes a progress line to stderr (the report goes to stdout). */
export function progress(message: string): void {
  process.stderr.write(`${message}\n`)
}

/** Throws `Sanity check failed: <message>` unless `condition` holds. */
export function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`Sanity check failed: ${message}`)
}

/** Statements a workload sends, as SQL texts. */
export type Statements = string[]

/** Untimed: runs `fn` and returns the SQL the engine sent meanwhile (`engine.onStatement`). */
export async function captureEngine(engine: Engine, fn: () => Promise<unknown>): Promise<Statements> {
  const statements: Statements = []
  const stop = engine.onStatement((statement) => statements.push(statement.sql))
  try {
    await fn()
  } finally {
    stop()
  }
  return statements
}
