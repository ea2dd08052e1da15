/** The workloads of `npm run bench` (issue 15): what one operation is, its inputs, its run sizes, and the untimed verification pass that makes every peer return the same rows. */
import { createHash } from 'node:crypto'
import { check, type Plan } from './measure.js'
import { renamed, type LoadedRole, type MaybePromise, type NewUserRow, type Peer } from './peer.js'
import { drawDistinctInts, drawInts, mulberry32 } from './rng.js'

/** Seed of every input generator: batch `n` of every peer draws the same inputs. */
export const SEED = 20240611

/** The data every run seeds: 1,000 roles with 100 users each (issue 15). */
export const DATA = { roles: 1_000, usersPerRole: 100 } as const

/** Roles per loading operation (d, e, f). */
export const ROLES_PER_LOAD = 200
/** Gets of the same key per operation in (b). */
export const REPEATED_GETS = 1_000
/** Rows per operation in (g). */
export const INSERT_ROWS = 10_000
/** Users loaded and renamed per operation in (h). */
export const RENAMED_USERS = 1_000
/** Requests per operation in (i), and how many are in flight at once. */
export const REQUESTS = 1_000
export const IN_FLIGHT = 50

/** Facts about the seeded database a workload needs. */
export interface WorkloadContext {
  /** Roles seeded, ids 1..roles, named `role<id>`. */
  readonly roles: number
  /** Largest seeded user id; users 1..maxUserId. */
  readonly maxUserId: number
}

/** What the parent process cleans up after a batch of a writing workload: added users, or renamed ones. */
export type ResetKind = 'users' | 'renames'

/** Asks the parent process to clean up; resolves to the number of rows it deleted or restored. */
export type Reset = (kind: ResetKind) => Promise<number>

/** One workload. `I` is the input of one operation. */
export interface Workload<I> {
  readonly key: WorkloadKey
  /** Row title in the report. */
  readonly title: string
  /** What the reported time is per: one operation counts `perOp` of them. */
  readonly unit: string
  readonly perOp: number
  readonly plans: { readonly full: Plan; readonly quick: Plan }
  /** Untimed: the inputs of batch `batch` (warm-up batches first, then rounds), `count` operations. */
  inputs(context: WorkloadContext, batch: number, count: number): I[]
  /** One operation. Undefined when the peer has no way to do it (the report says n/a). */
  operation(peer: Peer, context: WorkloadContext): ((input: I) => MaybePromise<unknown>) | undefined
  /** Set for writing workloads: what to clean up after every batch. */
  readonly reset?: ResetKind
  /** Untimed: one operation on fixed inputs, summarised as a string every peer must match (writes are checked in the database too). */
  verify(peer: Peer, context: WorkloadContext, reset: Reset): Promise<string>
}

/** The keys of {@link WORKLOADS}, in report order. */
export const WORKLOAD_KEYS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] as const

/** One of {@link WORKLOAD_KEYS}. */
export type WorkloadKey = (typeof WORKLOAD_KEYS)[number]

/** The username of the `i`-th seeded user. */
export function seedUsername(i: number): string {
  return `user${String(i).padStart(5, '0')}`
}

/** `count` new users named `<prefix>-<n>`, spread over the roles. */
export function newUsers(prefix: string, count: number, roles: number): NewUserRow[] {
  return Array.from({ length: count }, (_, i) => ({ username: `${prefix}-${i}`, email: `${prefix}-${i}@example.com`, roleId: (i % roles) + 1 }))
}

/** Runs `task(0..total-1)` with at most `concurrency` unfinished at any time, like that many clients each waiting for its answer. */
export async function inFlight(total: number, concurrency: number, task: (n: number) => MaybePromise<unknown>): Promise<void> {
  let next = 0
  const client = async () => {
    while (next < total) await task(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, client))
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}

/** The compared columns of users, in the given order. */
function summaries(peer: Peer, users: readonly unknown[]): string[] {
  return users.map((user) => {
    const { id, username, roleId } = peer.summarize(user)
    return `${id}:${username}:${roleId}`
  })
}

/** Loaded roles as counts plus a hash of every role with its users' compared columns (users sorted by id: none of the loads orders them). */
async function describeRoles(peer: Peer, rolesPromise: MaybePromise<readonly LoadedRole[]>): Promise<string> {
  const roles = await rolesPromise
  let users = 0
  const lines = roles.map((role) => {
    users += role.users.length
    for (const user of role.users) check(peer.summarize(user).roleId === role.id, `${peer.name}: a user of role ${role.id} has roleId ${peer.summarize(user).roleId}`)
    const sorted = [...role.users].sort((a, b) => peer.summarize(a).id - peer.summarize(b).id)
    return `${role.id}=${summaries(peer, sorted).join(',')}`
  })
  return `${roles.length} roles, ${users} users, ${sha(lines.join('\n'))}`
}

/** True for a promise or any thenable (a PrismaPromise is not a `Promise`). */
function isThenable<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as Partial<PromiseLike<T>> | null)?.then === 'function'
}

/**
 * What a page listing the loaded roles does with their users: reads each one's id, username and role
 * (through the peer's `summarize`), so that no peer is timed on objects nobody reads. Returns the count.
 */
function listUsers(peer: Peer, roles: readonly LoadedRole[]): number {
  let listed = 0
  for (const role of roles) for (const user of role.users) if (peer.summarize(user).username !== '') listed++
  return listed
}

const loadInputs = (context: WorkloadContext, batch: number, count: number) => drawInts(mulberry32(SEED + batch), count, 1, context.roles - ROLES_PER_LOAD + 1)
const LOAD_PLANS = { full: { warmup: 1, rounds: 5, opsPerRound: 2 }, quick: { warmup: 0, rounds: 2, opsPerRound: 1 } }
/** The roles (d), (e) and (f) verify: 11..210. */
const VERIFY_FIRST_ROLE = 11

function loading(key: WorkloadKey, title: string, load: (peer: Peer) => ((first: number, last: number) => MaybePromise<readonly LoadedRole[]>) | undefined): Workload<number> {
  return {
    key,
    title,
    unit: 'role',
    perOp: ROLES_PER_LOAD,
    plans: LOAD_PLANS,
    inputs: loadInputs,
    operation(peer) {
      const run = load(peer)
      if (run === undefined) return undefined
      return (first) => {
        const roles = run(first, first + ROLES_PER_LOAD - 1)
        // A PrismaPromise is a thenable, not a Promise; the synchronous peers (Drizzle, raw) return the roles.
        return isThenable(roles) ? Promise.resolve(roles).then((loaded) => listUsers(peer, loaded)) : listUsers(peer, roles)
      }
    },
    async verify(peer) {
      const run = load(peer)
      if (run === undefined) return 'n/a'
      return describeRoles(peer, run(VERIFY_FIRST_ROLE, VERIFY_FIRST_ROLE + ROLES_PER_LOAD - 1))
    },
  }
}

/** Input of one (i) operation: usernames start with `prefix`; roles are taken round-robin from `firstRole`. */
interface RequestBatch {
  readonly prefix: string
  readonly firstRole: number
}

/** Runs `count` requests, `IN_FLIGHT` at a time. */
function requests(peer: Peer, context: WorkloadContext, input: RequestBatch, count: number): Promise<void> {
  return inFlight(count, IN_FLIGHT, (n) => peer.addUserToRole(`${input.prefix}-${n}`, `role${((input.firstRole + n) % context.roles) + 1}`))
}

/** A workload with its input type erased: its `inputs` and `operation` only ever meet each other. */
function erase<I>(workload: Workload<I>): Workload<unknown> {
  return workload as unknown as Workload<unknown>
}

/** Every workload, by key. */
export const WORKLOADS: { readonly [K in WorkloadKey]: Workload<unknown> } = {
  a: erase({
    key: 'a',
    title: '(a) get by key, fresh session',
    unit: 'get',
    perOp: 1,
    plans: { full: { warmup: 1_000, rounds: 7, opsPerRound: 2_000 }, quick: { warmup: 300, rounds: 3, opsPerRound: 300 } },
    inputs: (context, batch, count) => drawInts(mulberry32(SEED + batch), count, 1, context.maxUserId),
    operation: (peer) => (id: number) => peer.getUser(id),
    async verify(peer) {
      return summaries(peer, [await peer.getUser(1234)]).join()
    },
  }),
  b: erase({
    key: 'b',
    title: `(b) same key x${REPEATED_GETS}, one session`,
    unit: 'get',
    perOp: REPEATED_GETS,
    plans: { full: { warmup: 2, rounds: 7, opsPerRound: 3 }, quick: { warmup: 0, rounds: 3, opsPerRound: 1 } },
    inputs: (context, batch, count) => drawInts(mulberry32(SEED + batch), count, 1, context.maxUserId),
    operation: (peer) => (id: number) => peer.getUserRepeatedly(id, REPEATED_GETS),
    async verify(peer) {
      return summaries(peer, [await peer.getUserRepeatedly(4321, REPEATED_GETS)]).join()
    },
  }),
  c: erase({
    key: 'c',
    title: '(c) filter + order + limit 50',
    unit: 'query',
    perOp: 1,
    plans: { full: { warmup: 200, rounds: 7, opsPerRound: 500 }, quick: { warmup: 50, rounds: 3, opsPerRound: 100 } },
    inputs: (context, batch, count) => drawInts(mulberry32(SEED + batch), count, 1, context.roles),
    operation: (peer) => (roleId: number) => peer.usersPage(roleId),
    async verify(peer) {
      const users = await peer.usersPage(7)
      check(users.length === 50, `${peer.name}: usersPage(7) returned ${users.length} users`)
      return `${users.length} users, ${sha(summaries(peer, users).join('\n'))}`
    },
  }),
  d: erase(loading('d', `(d) lazy N+1, ${ROLES_PER_LOAD} roles one by one`, (peer) => peer.rolesLazy.bind(peer))),
  e: erase(loading('e', '(e) eager, select-in', (peer) => peer.rolesSelectin.bind(peer))),
  f: erase(loading('f', '(f) eager, joined', (peer) => peer.rolesJoined?.bind(peer))),
  g: erase({
    key: 'g',
    title: `(g) insert ${INSERT_ROWS} rows, one commit`,
    unit: 'row',
    perOp: INSERT_ROWS,
    plans: { full: { warmup: 1, rounds: 5, opsPerRound: 1 }, quick: { warmup: 0, rounds: 2, opsPerRound: 1 } },
    inputs: (context, batch, count) => Array.from({ length: count }, (_, i) => newUsers(`ins-${batch}-${i}`, INSERT_ROWS, context.roles)),
    operation: (peer) => (rows: readonly NewUserRow[]) => peer.insertUsers(rows),
    reset: 'users',
    async verify(peer, context, reset) {
      const returned = await peer.insertUsers(newUsers('verify', 600, context.roles))
      return `${returned.length} returned, ${await reset('users')} rows written`
    },
  }),
  h: erase({
    key: 'h',
    title: `(h) load ${RENAMED_USERS} by id, rename, commit`,
    unit: 'row',
    perOp: RENAMED_USERS,
    plans: { full: { warmup: 1, rounds: 5, opsPerRound: 1 }, quick: { warmup: 0, rounds: 2, opsPerRound: 1 } },
    inputs: (context, batch, count) => {
      const random = mulberry32(SEED + batch)
      return Array.from({ length: count }, (_, i) => ({ ids: drawDistinctInts(random, RENAMED_USERS, 1, context.maxUserId), tag: `b${batch}o${i}` }))
    },
    operation: (peer) => (input: { ids: readonly number[]; tag: string }) => peer.renameUsers(input.ids, input.tag),
    reset: 'renames',
    async verify(peer, context, reset) {
      const ids = drawDistinctInts(mulberry32(SEED), RENAMED_USERS, 1, context.maxUserId)
      const returned = await peer.renameUsers(ids, 'verify')
      const sample = [...ids].sort((a, b) => a - b).slice(0, 5)
      const read = await Promise.all(sample.map(async (id) => summaries(peer, [await peer.getUser(id)]).join()))
      for (const [i, line] of read.entries()) check(line.endsWith(`:${renamed(seedUsername(sample[i]), 'verify')}:${((sample[i] - 1) % context.roles) + 1}`), `${peer.name}: user ${sample[i]} reads back as ${line}`)
      return `${returned.length} returned, ${await reset('renames')} rows renamed, ${read.join(' ')}`
    },
  }),
  i: erase({
    key: 'i',
    title: `(i) request, ${IN_FLIGHT} in flight`,
    unit: 'request',
    perOp: REQUESTS,
    plans: { full: { warmup: 1, rounds: 5, opsPerRound: 1 }, quick: { warmup: 0, rounds: 2, opsPerRound: 1 } },
    inputs: (_context, batch, count) => Array.from({ length: count }, (_, i) => ({ prefix: `req-${batch}-${i}`, firstRole: (batch * 7 + i) * 13 })),
    operation: (peer, context) => (input: RequestBatch) => requests(peer, context, input, REQUESTS),
    reset: 'users',
    async verify(peer, context, reset) {
      const ids: number[] = []
      await inFlight(100, IN_FLIGHT, async (n) => ids.push(await peer.addUserToRole(`verify-${n}`, `role${(n % context.roles) + 1}`)))
      const above = ids.filter((id) => id > context.maxUserId)
      const roles = await Promise.all(ids.map(async (id) => peer.summarize(await peer.getUser(id))))
      const matching = roles.filter((user) => user.roleId === Number(/-(\d+)$/.exec(user.username)![1]) % context.roles + 1).length
      return `${ids.length} requests, ${new Set(above).size} distinct new ids, ${matching} in the requested role, ${await reset('users')} rows written`
    },
  }),
}
