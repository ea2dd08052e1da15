// --er-diagram: the Mermaid diagram draws one-to-many, one-to-one and implicit many-to-many relations, each once.
import { describe, expect, it } from 'vitest'
import { generateFromFiles } from '../../generator/generate.js'

const SCHEMA = `datasource db {
  provider = "sqlite"
}

model Post {
  id       Int       @id
  authorId Int
  author   User      @relation(fields: [authorId], references: [id])
  /// @lazy(dynamic)
  tags     Tag[]
  readers  User[]    @relation("Reads")
}

model Tag {
  id    Int    @id
  posts Post[]
}

model User {
  id    Int    @id
  posts Post[]
  reads Post[] @relation("Reads")
}
`

async function diagram(content: string): Promise<string> {
  const { files } = await generateFromFiles([{ path: 'schema/schema.prisma', content }], 'schema', { erDiagram: true })
  return files.find((file) => file.name === 'schema.md')!.content
}

describe('--er-diagram', () => {
  it('draws each implicit many-to-many once, many at both ends, with both strategies and the join table', async () => {
    const lines = (await diagram(SCHEMA)).split('\n').filter((line) => line.startsWith('  ') && line.includes('--'))
    expect(lines).toEqual([
      '  User ||--o{ Post : "author (select) / posts (select)"',
      '  Post }o--o{ User : "readers (select) / reads (select) via _Reads"',
      '  Post }o--o{ Tag : "tags (dynamic) / posts (select) via _PostToTag"',
    ])
  })
})
