/** Times gen-models on a synthetic 500-model schema (each model with scalars, an enum, and relations to earlier models). */
import { performance } from 'node:perf_hooks'
import { generateFromFiles } from '../generator/generate.js'

/** A schema of `count` models: model i has 8 scalar fields, an enum field and a dynamic/select relation pair to model i-1. */
export function syntheticSchema(count: number): string {
  const parts = ['datasource db {\n  provider = "sqlite"\n}\n', 'enum Level {\n  LOW\n  HIGH\n}\n']
  for (let i = 0; i < count; i++) {
    const lines = [
      `model M${i} {`,
      '  id        Int      @id @default(autoincrement())',
      '  name      String   @unique',
      '  note      String?',
      '  amount    Decimal  @default(0)',
      '  big       BigInt   @default(0)',
      '  flag      Boolean  @default(false)',
      '  data      Json?',
      '  createdAt DateTime @default(now())',
      '  updatedAt DateTime @updatedAt',
      '  level     Level    @default(LOW)',
    ]
    if (i > 0) {
      lines.push(`  parentId  Int?`, `  /// @lazy(select)`, `  parent    M${i - 1}? @relation(fields: [parentId], references: [id])`, '  @@index([parentId])')
    }
    if (i < count - 1) lines.push(`  /// @lazy(dynamic)`, `  children  M${i + 1}[]`)
    lines.push('}')
    parts.push(lines.join('\n'))
  }
  return `${parts.join('\n\n')}\n`
}

const count = Number(process.argv.find((arg) => arg.startsWith('--models='))?.slice('--models='.length) ?? 500)
const content = syntheticSchema(count)
const rounds = 3
const times: number[] = []
let size = 0
for (let round = 0; round < rounds; round++) {
  const started = performance.now()
  const { files } = await generateFromFiles([{ path: 'schema/synthetic.prisma', content }], 'schema')
  times.push(performance.now() - started)
  size = files.reduce((sum, file) => sum + file.content.length, 0)
}
const sorted = [...times].sort((a, b) => a - b)
console.log(`gen-models on a synthetic ${count}-model schema (${(content.length / 1024).toFixed(0)} KiB in, ${(size / 1024).toFixed(0)} KiB out)`)
console.log(`first run (cold: wasm parser and ts-morph load): ${(times[0] / 1000).toFixed(2)} s`)
console.log(`median of ${rounds}: ${(sorted[Math.floor(rounds / 2)] / 1000).toFixed(2)} s; target under 3 s`)
