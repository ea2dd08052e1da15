// Type-checks generated files in a worker thread, so the CPU-bound checker runs while the corpus waits on its databases.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type ts from 'typescript'

/** The checker's code, run in the worker: one program per option set, the next reusing the last one's parsed files. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const path = require('node:path')
const ts = require(workerData.typescript)
const results = {}
let oldProgram
for (const [name, options] of Object.entries(workerData.optionSets)) {
  const program = ts.createProgram({ rootNames: workerData.rootNames, options, oldProgram })
  oldProgram = program
  const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]
  for (const file of workerData.rootNames) {
    const sourceFile = program.getSourceFile(file)
    if (sourceFile === undefined) throw new Error(file + ' is not in the program')
    diagnostics.push(...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile))
  }
  results[name] = diagnostics.map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\\n')
    if (diagnostic.file === undefined || diagnostic.start === undefined) return 'TS' + diagnostic.code + ': ' + message
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
    return path.resolve(diagnostic.file.fileName) + ':' + (line + 1) + ':' + (character + 1) + ': TS' + diagnostic.code + ': ' + message
  })
}
parentPort.postMessage(results)
`

/**
 * Type-checks `rootNames` once per option set, in a worker thread, and returns each set's diagnostics
 * (`file:line:column: TSnnnn: message`) of the root files only: the runtime's sources are checked as
 * far as the generated code uses them (`npm run typecheck` covers the rest).
 */
export function typeCheckInWorker(rootNames: readonly string[], optionSets: Readonly<Record<string, ts.CompilerOptions>>): Promise<Record<string, string[]>> {
  const typescript = createRequire(import.meta.url).resolve('typescript')
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { rootNames, optionSets, typescript } })
    worker.once('message', (results: Record<string, string[]>) => resolve(results))
    worker.once('error', reject)
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the type-check worker exited with code ${code}`))
    })
  })
}
