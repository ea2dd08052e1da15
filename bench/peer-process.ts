/** The child process of `npm run bench`: opens one peer, runs the job the parent sends (verify every workload once, or time one workload), and reports its figures and memory. */
// Started by run.ts with `fork()`; talks over the IPC channel only: receives one {@link JobMessage}, may ask
// for resets while timing (the parent holds the admin connection), and ends with one {@link JobReply}.
import { compare, type Timing } from './measure.js'
import { openPeer, type PeerTarget } from './open-peer.js'
import type { Peer, PeerName } from './peer.js'
import { WORKLOADS, type ResetKind, type WorkloadContext, type WorkloadKey } from './workloads.js'

/** What the parent asks a child to do. */
export interface Job {
  readonly peer: PeerName
  readonly target: PeerTarget
  readonly context: WorkloadContext
  /** `verify`: each of `workloads` once, on fixed inputs; `time`: the one workload in `workloads`, with `plan`. */
  readonly mode: 'verify' | 'time'
  readonly workloads: readonly WorkloadKey[]
  readonly plan: 'full' | 'quick'
  /** Overrides the plan's rounds. */
  readonly rounds?: number
}

/** What a verify job answers. */
export interface VerifyResult {
  readonly describe: string
  /** Per workload: the summary every peer must match (`n/a` where the peer lacks the workload). */
  readonly digests: Partial<Record<WorkloadKey, string>>
  /** prismalchemy only: the SQL each workload sent. */
  readonly statements?: Partial<Record<WorkloadKey, string[]>>
}

/** What a time job answers. */
export interface TimeResult {
  readonly describe: string
  /** µs per unit of the workload (per get, role, row, request...); absent when the peer lacks the workload. */
  readonly timing?: Timing
  /** RSS after the peer was opened, and the process's RSS high-water mark at the end, MiB. */
  readonly setupRssMb: number
  readonly peakRssMb: number
}

/** Parent to child. */
export type JobMessage = { readonly type: 'job'; readonly job: Job } | { readonly type: 'reset-done'; readonly count: number }

/** Child to parent. */
export type JobReply =
  | { readonly type: 'reset'; readonly kind: ResetKind }
  | { readonly type: 'done'; readonly result: VerifyResult | TimeResult }
  | { readonly type: 'failed'; readonly error: string }

function send(reply: JobReply): Promise<void> {
  return new Promise((resolve, reject) => process.send!(reply, undefined, {}, (error) => (error ? reject(error) : resolve())))
}

function nextMessage(): Promise<JobMessage> {
  return new Promise((resolve) => process.once('message', (message) => resolve(message as JobMessage)))
}

/** Asks the parent to reset; resolves to the rows it deleted or restored. */
async function reset(kind: ResetKind): Promise<number> {
  const answer = nextMessage()
  await send({ type: 'reset', kind })
  const message = await answer
  if (message.type !== 'reset-done') throw new Error(`Expected reset-done, got ${message.type}`)
  return message.count
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10

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

async function time(peer: Peer, job: Job): Promise<TimeResult> {
  const [key] = job.workloads
  const workload = WORKLOADS[key]
  const operation = workload.operation(peer, job.context)
  const setupRssMb = mib(process.memoryUsage().rss)
  const describe = await peer.describe()
  if (operation === undefined) return { describe, setupRssMb, peakRssMb: mib(process.resourceUsage().maxRSS * 1024) }
  const plan = { ...workload.plans[job.plan], ...(job.rounds ? { rounds: job.rounds } : {}) }
  const kind = workload.reset
  const timings = await compare(
    [{ name: peer.name, run: operation, after: kind && (() => reset(kind)) }],
    plan,
    (_name, batch, count) => workload.inputs(job.context, batch, count),
  )
  const { rounds, median } = timings.get(peer.name)!
  return {
    describe,
    timing: { rounds: rounds.map((us) => us / workload.perOp), median: median / workload.perOp },
    setupRssMb,
    peakRssMb: mib(process.resourceUsage().maxRSS * 1024),
  }
}

const first = await nextMessage()
if (first.type !== 'job') throw new Error(`Expected a job, got ${first.type}`)
const { job } = first
try {
  const peer = await openPeer(job.peer, job.target)
  try {
    await send({ type: 'done', result: job.mode === 'verify' ? await verify(peer, job) : await time(peer, job) })
  } finally {
    await peer.close()
  }
  process.exit(0)
} catch (error) {
  await send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
  process.exit(1)
}
