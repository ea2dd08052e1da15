/** Summarises a `node --cpu-prof` profile: top functions by self time, optionally only our runtime and only while the benchmark ran. */
// Usage (after `tsc -p tsconfig.examples.json`):
//   node --cpu-prof --cpu-prof-dir=.tmp/profiles --cpu-prof-interval=100 dist-examples/bench/run.js --only=a --peers=prismalchemy --rounds=30
//   node dist-examples/bench/cpu-profile-top.js .tmp/profiles/<file>.cpuprofile [--window=runBatch] [--filter=/dist/runtime/] [--top=25]
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

/** The parts of V8's `.cpuprofile` JSON this tool reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[]
  startTime: number
  samples: number[]
  timeDeltas: number[]
}

/** Self and total (inclusive) microseconds of one function. */
export interface FunctionCost {
  /** `name file:line` (line 1-based, in the compiled JavaScript). */
  readonly key: string
  readonly url: string
  self: number
  total: number
}

/**
 * Aggregates a profile by function (name + file + line).
 *
 * @param window When given, only samples between the first and the last sample whose stack holds a
 *   function of that name count (e.g. `runBatch`: the benchmark's timed loop, not the seeding).
 * @returns Costs by key; `total` counts each sample once per function even under recursion.
 */
export function aggregate(profile: CpuProfile, window?: string): Map<string, FunctionCost> {
  const parent = new Map<number, number>()
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const keys = new Map<number, { key: string; url: string }>()
  const keyOf = (id: number) => {
    let entry = keys.get(id)
    if (entry === undefined) {
      const frame = byId.get(id)!.callFrame
      const file = frame.url.replace(/^file:\/\//, '').replace(/^.*\/(dist|dist-examples|node_modules)\//, '$1/')
      entry = { key: `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`, url: frame.url }
      keys.set(id, entry)
    }
    return entry
  }
  const stackOf = (id: number) => {
    const ids: number[] = []
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) ids.push(at)
    return ids
  }
  let first = 0
  let last = profile.samples.length - 1
  if (window !== undefined) {
    const inWindow = profile.samples.map((id) => stackOf(id).some((at) => byId.get(at)!.callFrame.functionName === window))
    first = inWindow.indexOf(true)
    last = inWindow.lastIndexOf(true)
    if (first < 0) throw new Error(`No sample has ${window} on its stack`)
  }
  const costs = new Map<string, FunctionCost>()
  const cost = (id: number) => {
    const { key, url } = keyOf(id)
    let entry = costs.get(key)
    if (entry === undefined) costs.set(key, (entry = { key, url, self: 0, total: 0 }))
    return entry
  }
  for (let i = first; i <= last; i++) {
    // timeDeltas[i] is the gap before sample i; attribute the gap after it (the next delta) to it.
    const us = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i]
    const stack = stackOf(profile.samples[i])
    cost(stack[0]).self += us
    const counted = new Set<FunctionCost>()
    for (const id of stack) {
      const entry = cost(id)
      if (!counted.has(entry)) {
        counted.add(entry)
        entry.total += us
      }
    }
  }
  return costs
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { window: { type: 'string' }, filter: { type: 'string' }, top: { type: 'string', default: '25' } },
  })
  const profile = JSON.parse(readFileSync(positionals[0], 'utf8')) as CpuProfile
  const costs = [...aggregate(profile, values.window).values()]
  const all = costs.reduce((sum, c) => sum + c.self, 0)
  const shown = costs.filter((c) => values.filter === undefined || c.url.includes(values.filter)).sort((a, b) => b.self - a.self)
  const top = Number(values.top)
  const ourSelf = shown.reduce((sum, c) => sum + c.self, 0)
  console.log(`${(all / 1000).toFixed(0)} ms sampled${values.window ? ` inside ${values.window}` : ''}; shown functions: ${((100 * ourSelf) / all).toFixed(1)}% self`)
  console.log('self%   total%  function')
  for (const c of shown.slice(0, top)) {
    console.log(`${((100 * c.self) / all).toFixed(1).padStart(5)}  ${((100 * c.total) / all).toFixed(1).padStart(6)}   ${c.key}`)
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) main()
