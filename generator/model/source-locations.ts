/** Finds where a model, field or doc-comment line sits in the schema text, for messages with file:line:column. */
import type { SchemaFile } from '../dmmf/load-schema.js'
import type { SourceLocation } from '../errors.js'

/** Location lookups over the schema files. */
export class SourceLocator {
  constructor(private readonly files: readonly SchemaFile[]) {}

  /** The line declaring `model <name>` (or `view`), or the first line of the first file. */
  model(name: string): SourceLocation {
    const pattern = new RegExp(`^\\s*(?:model|view|enum)\\s+${name}\\s*\\{`)
    for (const file of this.files) {
      const lines = file.content.split('\n')
      const index = lines.findIndex((line) => pattern.test(line))
      if (index >= 0) return { file: file.path, line: index + 1, column: lines[index].search(/\S/) + 1 }
    }
    return { file: this.files[0]?.path ?? 'schema.prisma', line: 1, column: 1 }
  }

  /** The line declaring `field` inside `model`. */
  field(model: string, field: string): SourceLocation {
    const start = this.model(model)
    const lines = this.lines(start.file)
    const pattern = new RegExp(`^\\s*${field}\\s`)
    for (let i = start.line; i < lines.length && !/^\s*\}/.test(lines[i]); i++) {
      if (pattern.test(lines[i])) return { file: start.file, line: i + 1, column: lines[i].search(/\S/) + 1 }
    }
    return start
  }

  /** The `///` line above `field` whose text contains `needle` (falls back to the field itself). */
  docLine(model: string, field: string | undefined, needle: string): SourceLocation {
    const at = field === undefined ? this.model(model) : this.field(model, field)
    const lines = this.lines(at.file)
    for (let i = at.line - 2; i >= 0 && /^\s*\/\/\//.test(lines[i]); i--) {
      const column = lines[i].indexOf(needle)
      if (column >= 0) return { file: at.file, line: i + 1, column: column + 1 }
    }
    return at
  }

  private lines(file: string): string[] {
    return this.files.find((f) => f.path === file)?.content.split('\n') ?? []
  }
}
