// Type-checks generated code under `strict` with the TypeScript compiler API, `prismalchemy` mapped to runtime/index.ts (and `/internal` to runtime/internal.ts).
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import type { GenerationResult } from '../../generator/generate.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The runtime's source entry point, which `prismalchemy` resolves to in checked programs. */
export const RUNTIME_INDEX = path.join(REPO_ROOT, 'runtime', 'index.ts')

/** The runtime's internal entry point (for generated code), which `prismalchemy/internal` resolves to in checked programs. */
export const RUNTIME_INTERNAL = path.join(REPO_ROOT, 'runtime', 'internal.ts')

/** The project's compiler settings (tsconfig.json), as an in-memory program needs them. */
export const STRICT_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts'],
  types: ['node'],
  typeRoots: [path.join(REPO_ROOT, 'node_modules', '@types')],
  skipLibCheck: true,
  isolatedModules: true,
  verbatimModuleSyntax: true,
  noImplicitOverride: true,
  esModuleInterop: true,
  paths: { prismalchemy: [RUNTIME_INDEX], 'prismalchemy/internal': [RUNTIME_INTERNAL] },
}

/** Writes a generation result (and any extra files) into `dir`, an ES-module package; returns the paths of its .ts files. */
export function writeGenerated(dir: string, result: GenerationResult, extra: Readonly<Record<string, string>> = {}): string[] {
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n')
  const files = [...result.files.map((file) => [file.name, file.content] as const), ...Object.entries(extra)]
  return files.filter(([name]) => name.endsWith('.ts')).map(([name, content]) => {
    const target = path.join(dir, name)
    writeFileSync(target, content)
    return target
  })
}

/** Type-checks `rootNames` in one program; each diagnostic reads `file:line:column: TSnnnn: message`. */
export function typeCheck(rootNames: readonly string[], oldProgram?: ts.Program): { program: ts.Program; errors: string[] } {
  const program = ts.createProgram({ rootNames, options: STRICT_OPTIONS, oldProgram })
  const errors = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
    if (diagnostic.file === undefined || diagnostic.start === undefined) return `TS${diagnostic.code}: ${message}`
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
    return `${diagnostic.file.fileName}:${line + 1}:${character + 1}: TS${diagnostic.code}: ${message}`
  })
  return { program, errors }
}
