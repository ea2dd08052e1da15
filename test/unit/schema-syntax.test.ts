// The Prisma schema syntax tree the DDL renderers read: blocks, fields, attributes and their arguments as written.
import { describe, expect, it } from 'vitest'
import { argument, attribute, parseSchema } from '../../runtime/engine/schema-syntax.js'

const SCHEMA = `// a comment with "quotes" and @attributes
datasource db {
  provider     = "mysql" // trailing comment
  relationMode = "prisma"
}

generator client {
  provider        = "prisma-client"
  previewFeatures = ["views", "fullTextIndex"]
}

/// A documented enum.
enum Kind {
  A @map("a // not a comment")
  B

  @@map("kinds")
}

model Item {
  id    Int     @id @default(autoincrement())
  name  String  @default("say \\"hi\\"\\n") @db.VarChar(64)
  price Decimal @default(-1.50) @db.Decimal(10, 2)
  geo   Unsupported("point")?
  tags  Tag[]
  kind  Kind?   @default(A)

  @@index(
    [name(sort: Desc, length: 10),
     price],
    map: "item_name_price"
  )
}

view Summary {
  id Int @unique
}
`

describe('parseSchema', () => {
  const blocks = parseSchema([{ path: 'schema.prisma', content: SCHEMA }])

  it('reads every block with its keyword and name, and datasource properties as expressions', () => {
    expect(blocks.map((block) => `${block.keyword} ${block.name}`)).toEqual(['datasource db', 'generator client', 'enum Kind', 'model Item', 'view Summary'])
    expect(blocks[0].properties.get('relationMode')).toEqual({ kind: 'string', value: 'prisma' })
    expect(blocks[1].properties.get('previewFeatures')).toEqual({ kind: 'array', items: [{ kind: 'string', value: 'views' }, { kind: 'string', value: 'fullTextIndex' }] })
  })

  it('reads enum values with their attributes (a // inside a string is no comment) and block attributes', () => {
    expect(blocks[2].values).toEqual([
      { name: 'A', attributes: [{ name: 'map', args: [{ value: { kind: 'string', value: 'a // not a comment' } }] }] },
      { name: 'B', attributes: [] },
    ])
    expect(blocks[2].attributes).toEqual([{ name: 'map', args: [{ value: { kind: 'string', value: 'kinds' } }] }])
  })

  it('reads fields: type, arity, Unsupported text, unescaped strings, numbers as written, dotted attribute names', () => {
    const item = blocks[3]
    expect(item.fields.map((field) => [field.name, field.type, field.arity])).toEqual([
      ['id', 'Int', 'required'],
      ['name', 'String', 'required'],
      ['price', 'Decimal', 'required'],
      ['geo', 'Unsupported', 'optional'],
      ['tags', 'Tag', 'list'],
      ['kind', 'Kind', 'optional'],
    ])
    expect(item.fields[3].unsupported).toBe('point')
    expect(argument(attribute(item.fields[1].attributes, 'default')!.args, 'value', 0)).toEqual({ kind: 'string', value: 'say "hi"\n' })
    expect(attribute(item.fields[1].attributes, 'db.VarChar')).toEqual({ name: 'db.VarChar', args: [{ value: { kind: 'number', text: '64' } }] })
    expect(attribute(item.fields[2].attributes, 'default')!.args).toEqual([{ value: { kind: 'number', text: '-1.50' } }])
    expect(attribute(item.fields[0].attributes, 'default')!.args).toEqual([{ value: { kind: 'call', name: 'autoincrement', args: [] } }])
  })

  it('reads arguments spread over several lines, named and positional, with calls inside arrays', () => {
    const index = attribute(blocks[3].attributes, 'index')!
    expect(argument(index.args, 'fields', 0)).toEqual({
      kind: 'array',
      items: [
        { kind: 'call', name: 'name', args: [{ name: 'sort', value: { kind: 'constant', name: 'Desc' } }, { name: 'length', value: { kind: 'number', text: '10' } }] },
        { kind: 'constant', name: 'price' },
      ],
    })
    expect(argument(index.args, 'map')).toEqual({ kind: 'string', value: 'item_name_price' })
  })
})
