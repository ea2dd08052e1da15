/** The parent's side of a peer process (peer-process.ts): starts it on a job, serves its reset requests from the fixture, and hands over its other replies in order. */
import { fork, type ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Fixture } from './fixture.js'
import type { Job, JobMessage, JobReply } from './peer-process.js'

/** The replies a caller waits for (resets are served here, failures reject). */
type Reply = Exclude<JobReply, { type: 'reset' } | { type: 'failed' }>

const PROCESS = join(dirname(fileURLToPath(import.meta.url)), 'peer-process.js')

/** One peer process running one job. */
export class PeerRunner {
  private readonly child: ChildProcess
  private readonly replies: Reply[] = []
  private waiting: { resolve(reply: Reply): void; reject(error: Error): void } | undefined
  private failure: Error | undefined
  private finished = false

  /** Forks the process (it inherits node's flags, e.g. `--cpu-prof`) and sends it `job`. */
  constructor(
    readonly job: Job,
    private readonly fixture: Fixture,
  ) {
    this.child = fork(PROCESS, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.child.on('message', (message: JobReply) => this.receive(message))
    this.child.once('exit', (code) => {
      if (!this.finished) this.fail(new Error(`${this.label}: its process exited with ${code} before answering`))
    })
    this.send({ type: 'job', job })
  }

  /** Sends the process a message. */
  send(message: JobMessage): void {
    this.child.send(message)
  }

  /** The process's next reply, which must be of `type`; rejects if it failed or exited. */
  async expect<T extends Reply['type']>(type: T): Promise<Extract<Reply, { type: T }>> {
    const reply = this.replies.shift() ?? (await this.next())
    if (reply.type !== type) throw new Error(`${this.label}: expected ${type}, got ${reply.type}`)
    if (reply.type === 'done') this.finished = true
    return reply as Extract<Reply, { type: T }>
  }

  /** Ends the process if it is still running (after a failure elsewhere). */
  kill(): void {
    this.finished = true
    if (this.child.exitCode === null) this.child.kill()
  }

  private get label(): string {
    return `${this.job.peer} (${this.job.mode} ${this.job.workloads.join(',')})`
  }

  private next(): Promise<Reply> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }))
  }

  private receive(message: JobReply): void {
    if (message.type === 'reset') {
      const reset = message.kind === 'users' ? this.fixture.resetUsers() : this.fixture.restoreRenamedUsers()
      reset.then(
        (count) => this.send({ type: 'reset-done', count }),
        (error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))),
      )
    } else if (message.type === 'failed') {
      this.finished = true
      this.fail(new Error(`${this.label} failed in its process:\n${message.error}`))
    } else if (this.waiting === undefined) this.replies.push(message)
    else {
      const { resolve } = this.waiting
      this.waiting = undefined
      resolve(message)
    }
  }

  private fail(error: Error): void {
    this.failure ??= error
    const waiting = this.waiting
    this.waiting = undefined
    waiting?.reject(error)
  }
}
