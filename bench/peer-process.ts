/** The child process of `npm run bench`: opens one peer and runs what the parent asks over IPC (verify every workload once, or time one workload round by round), reporting its figures and memory. */
// Started by peer-runner.ts with `fork()`. A verify job answers `done` once. A time job warms up, answers `ready`,
// then runs one timed round per `round` message (after one untimed operation, so that caches and pooled
// connections left idle while the other peers ran their rounds are warm again), and ends on `finish`.
// While it works the child may ask for resets (the parent holds the admin connection).
import { readFileSync } from 'node:fs'
import { runBatch, type Contender, type Plan } from './measure.js'
import { openPeer, type PeerTarget } from './open-peer.js'
import type { Peer, PeerName } from './peer.js'
import { WORKLOADS, type ResetKind, type Workload, type WorkloadContext, type WorkloadKey } from './workloads.js'

/** What the parent asks a child to do. */
export interface Job {
  readonly peer: PeerName
  readonly target: PeerTarget
  readonly context: WorkloadContext
  /** `verify`: each of `workloads` once, on fixed inputs; `time`: the one workload in `workloads`, with `plan`. */
  readonly mode: 'verify' | 'time'
  readonly workloads: readonly WorkloadKey[]
  /** Time jobs: warm-up operations, and operations per round (the parent decides how many rounds). */
  readonly plan?: Plan
}

/** What a verify job answers. */
export interface VerifyResult {
  readonly describe: string
  /** Per workload: the summary every peer must match (`n/a` where the peer lacks the workload). */
  readonly digests: Partial<Record<WorkloadKey, string>>
  /** prismalchemy only: the SQL each workload sent. */
  readonly statements?: Partial<Record<WorkloadKey, string[]>>
}

/** Parent to child. */
export type JobMessage =
  | { readonly type: 'job'; readonly job: Job }
  | { readonly type: 'reset-done'; readonly count: number }
  | { readonly type: 'round' }
  | { readonly type: 'finish' }

/** Child to parent. */
export type JobReply =
  | { readonly type: 'reset'; readonly kind: ResetKind }
  /** Time job, warmed up: the peer in a few words, RSS right after opening it (MiB), and whether it has the workload at all. */
  | { readonly type: 'ready'; readonly describe: string; readonly setupRssMb: number; readonly supported: boolean }
  /** One timed round: µs per unit of the workload (per get, role, row, request...). */
  | { readonly type: 'round-done'; readonly us: number }
  /** Verify job: its result; time job: the process's RSS high-water mark (MiB). */
  | { readonly type: 'done'; readonly verified?: VerifyResult; readonly peakRssMb: number }
  | { readonly type: 'failed'; readonly error: string }

/** Messages from the parent, in order, whenever they come. */
const inbox: JobMessage[] = []
let waiting: ((message: JobMessage) => void) | undefined
process.on('message', (message: JobMessage) => {
  if (waiting === undefined) inbox.push(message)
  else {
    const resolve = waiting
    waiting = undefined
    resolve(message)
  }
})

/** The parent's next message. */
function receive(): Promise<JobMessage> {
  const message = inbox.shift()
  return message === undefined ? new Promise((resolve) => (waiting = resolve)) : Promise.resolve(message)
}

/** The parent's next message, which must be of `type`. */
async function expect<T extends JobMessage['type']>(type: T): Promise<Extract<JobMessage, { type: T }>> {
  const message = await receive()
  if (message.type !== type) throw new Error(`Expected ${type} from the parent, got ${message.type}`)
  return message as Extract<JobMessage, { type: T }>
}

function send(reply: JobReply): Promise<void> {
  return new Promise((resolve, reject) => process.send!(reply, undefined, {}, (error) => (error ? reject(error) : resolve())))
}

/** Asks the parent to reset; resolves to the rows it deleted or restored. */
async function reset(kind: ResetKind): Promise<number> {
  await send({ type: 'reset', kind })
  return (await expect('reset-done')).count
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10

/**
 * This process's peak resident set size, MiB. On Linux, `VmHWM` of /proc/self/status: the `maxRSS` of
 * `process.resourceUsage()` also counts the parent's memory that the forked copy held before it ran node.
 */
function peakRssMb(): number {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    if (kib !== null) return mib(Number(kib[1]) * 1024)
  } catch {
    // Not Linux: fall back to getrusage's figure.
  }
  return mib(process.resourceUsage().maxRSS * 1024)
}

async function verify(peer: Peer, job: Job): Promise<VerifyResult> {
  const digests: Partial<Record<WorkloadKey, string>> = {}
  const statements: Partial<Record<WorkloadKey, string[]>> = {}
  const capture = 'capture' in peer ? (peer.capture as (fn: () => Promise<unknown>) => Promise<string[]>).bind(peer) : undefined
  for (const key of job.workloads) {
    const run = () => WORKLOADS[key].verify(peer, job.context, reset)
    if (capture === undefined) digests[key] = await run()
    else statements[key] = await capture(async () => (digests[key] = await run()))
  }
  return { describe: await peer.describe(), digests, ...(capture ? { statements } : {}) }
}

/** Warm-up (batches no larger than a round), `ready`, then one round per `round` message until `finish`. */
async function time(peer: Peer, job: Job): Promise<void> {
  const workload: Workload<unknown> = WORKLOADS[job.workloads[0]]
  const setupRssMb = mib(process.memoryUsage().rss)
  const operation = workload.operation(peer, job.context)
  const describe = await peer.describe()
  const plan = job.plan!
  // Batches are numbered alike in every peer's process, so batch n draws the same inputs everywhere.
  let batch = 0
  // A process of its own: no other contender's garbage to collect first, and the heap stays as a running app's.
  const run = (contender: Contender<unknown>, count: number) => runBatch(contender, workload.inputs(job.context, batch++, count), false)
  if (operation !== undefined) {
    const kind = workload.reset
    const contender: Contender<unknown> = { name: peer.name, run: operation, after: kind && (() => reset(kind)) }
    for (let done = 0; done < plan.warmup; done += plan.opsPerRound) await run(contender, Math.min(plan.opsPerRound, plan.warmup - done))
    await send({ type: 'ready', describe, setupRssMb, supported: true })
    let message = await receive()
    for (; message.type === 'round'; message = await receive()) {
      await run(contender, 1)
      await send({ type: 'round-done', us: (await run(contender, plan.opsPerRound)) / workload.perOp })
    }
    if (message.type !== 'finish') throw new Error(`Expected round or finish from the parent, got ${message.type}`)
  } else {
    await send({ type: 'ready', describe, setupRssMb, supported: false })
    await expect('finish')
  }
}

try {
  const { job } = await expect('job')
  const peer = await openPeer(job.peer, job.target)
  try {
    if (job.mode === 'verify') await send({ type: 'done', verified: await verify(peer, job), peakRssMb: peakRssMb() })
    else {
      await time(peer, job)
      await send({ type: 'done', peakRssMb: peakRssMb() })
    }
  } finally {
    await peer.close()
  }
  process.exit(0)
} catch (error) {
  await send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
  process.exit(1)
}
