/** A Prisma schema's syntax tree (blocks, fields, attributes and their arguments), parsed from its source text, for the databases that render their own DDL. */
import type { SchemaSource } from './schema-push.js'

/** An attribute argument's value, as written. */
export type SchemaExpression =
  /** A string literal, unescaped. */
  | { readonly kind: 'string'; readonly value: string }
  /** A number literal, as written (`1.50`, `-3`). */
  | { readonly kind: 'number'; readonly text: string }
  /** A bare name: a field, an enum value, `true`, `Desc`, `Cascade`. */
  | { readonly kind: 'constant'; readonly name: string }
  | { readonly kind: 'array'; readonly items: readonly SchemaExpression[] }
  /** A function call or a field with arguments: `now()`, `dbgenerated("...")`, `email(sort: Desc)`. */
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly SchemaArgument[] }

/** One argument of an attribute or call; `name` is absent for a positional one. */
export interface SchemaArgument {
  readonly name?: string
  readonly value: SchemaExpression
}

/** An attribute: `@id`, `@db.VarChar(191)` (name `db.VarChar`), `@@index([a, b])` (name `index`). */
export interface SchemaAttribute {
  readonly name: string
  readonly args: readonly SchemaArgument[]
}

/** A field of a model, a view or a composite type. */
export interface SchemaField {
  readonly name: string
  /** The type's name: a scalar (`String`), a model, an enum, or `Unsupported`. */
  readonly type: string
  /** The database type of an `Unsupported("...")` field. */
  readonly unsupported?: string
  readonly arity: 'required' | 'optional' | 'list'
  readonly attributes: readonly SchemaAttribute[]
}

/** An enum value. */
export interface SchemaEnumValue {
  readonly name: string
  readonly attributes: readonly SchemaAttribute[]
}

/** A top-level block: `model`, `view`, `enum`, `type`, `datasource` or `generator`. */
export interface SchemaBlock {
  readonly keyword: string
  readonly name: string
  /** Fields of a model, view or type. */
  readonly fields: readonly SchemaField[]
  /** Values of an enum. */
  readonly values: readonly SchemaEnumValue[]
  /** `key = value` lines of a datasource or generator. */
  readonly properties: ReadonlyMap<string, SchemaExpression>
  /** Block attributes (`@@...`). */
  readonly attributes: readonly SchemaAttribute[]
}

/** The first argument named `name`, or else the positional argument at `position` (Prisma's "default argument"). */
export function argument(args: readonly SchemaArgument[], name: string, position?: number): SchemaExpression | undefined {
  const named = args.find((arg) => arg.name === name)
  if (named !== undefined || position === undefined) return named?.value
  return args.filter((arg) => arg.name === undefined)[position]?.value
}

/** The attribute named `name` (`id`, `db.VarChar`, ...) among `attributes`. */
export function attribute(attributes: readonly SchemaAttribute[], name: string): SchemaAttribute | undefined {
  return attributes.find((candidate) => candidate.name === name)
}

/** The string value of `expression`, if it is a string literal. */
export function stringValue(expression: SchemaExpression | undefined): string | undefined {
  return expression?.kind === 'string' ? expression.value : undefined
}

/**
 * Parses the blocks of every source file. The schema must already be valid (Prisma validates it first):
 * this parser reads what Prisma accepted and throws a plain Error on text it does not understand.
 */
export function parseSchema(sources: readonly SchemaSource[]): SchemaBlock[] {
  return sources.flatMap((source) => new Parser(tokenize(source), source.path).blocks())
}

type Token =
  | { readonly kind: 'name'; readonly text: string }
  | { readonly kind: 'string'; readonly text: string }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'punct'; readonly text: string }
  | { readonly kind: 'newline'; readonly text: '\n' }

/** @internal PSL's escapes inside a string literal. */
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '0': '\0', '"': '"', "'": "'", '\\': '\\' }

/** @internal The file's tokens; comments are dropped, and so are line ends inside brackets (arguments may span lines). */
function tokenize(source: SchemaSource): Token[] {
  const text = source.content
  const tokens: Token[] = []
  let depth = 0
  let i = 0
  while (i < text.length) {
    const char = text[i]
    if (char === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++
    } else if (char === '\n') {
      if (depth === 0) tokens.push({ kind: 'newline', text: '\n' })
      i++
    } else if (/\s/.test(char)) {
      i++
    } else if (char === '"') {
      let value = ''
      i++
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') {
          const next = text[i + 1]
          if (next === 'u') {
            value += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16))
            i += 6
          } else {
            value += ESCAPES[next] ?? next
            i += 2
          }
        } else {
          value += text[i++]
        }
      }
      i++
      tokens.push({ kind: 'string', text: value })
    } else if (/[0-9]/.test(char) || (char === '-' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const match = /^-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/.exec(text.slice(i))!
      tokens.push({ kind: 'number', text: match[0] })
      i += match[0].length
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i))!
      tokens.push({ kind: 'name', text: match[0] })
      i += match[0].length
    } else {
      if (char === '(' || char === '[') depth++
      if (char === ')' || char === ']') depth = Math.max(0, depth - 1)
      tokens.push({ kind: 'punct', text: char })
      i++
    }
  }
  return tokens
}

/** @internal A recursive-descent parser over one file's tokens. */
class Parser {
  private at = 0

  constructor(
    private readonly tokens: readonly Token[],
    private readonly path: string,
  ) {}

  blocks(): SchemaBlock[] {
    const blocks: SchemaBlock[] = []
    for (;;) {
      this.skipNewlines()
      if (this.peek() === undefined) return blocks
      blocks.push(this.block())
    }
  }

  private block(): SchemaBlock {
    const keyword = this.name()
    const name = this.name()
    this.expect('{')
    const fields: SchemaField[] = []
    const values: SchemaEnumValue[] = []
    const properties = new Map<string, SchemaExpression>()
    const attributes: SchemaAttribute[] = []
    for (;;) {
      this.skipNewlines()
      if (this.accept('}')) return { keyword, name, fields, values, properties, attributes }
      if (this.peekText() === '@') {
        this.expect('@')
        this.expect('@')
        attributes.push(this.attribute())
      } else if (keyword === 'datasource' || keyword === 'generator') {
        const key = this.name()
        this.expect('=')
        properties.set(key, this.expression())
      } else if (keyword === 'enum') {
        values.push({ name: this.name(), attributes: this.fieldAttributes() })
      } else {
        fields.push(this.field())
      }
      this.endOfLine()
    }
  }

  private field(): SchemaField {
    const name = this.name()
    const type = this.name()
    let unsupported: string | undefined
    if (this.accept('(')) {
      unsupported = this.string()
      this.expect(')')
    }
    let arity: SchemaField['arity'] = 'required'
    if (this.accept('?')) arity = 'optional'
    else if (this.accept('[')) {
      this.expect(']')
      arity = 'list'
    }
    return { name, type, ...(unsupported !== undefined ? { unsupported } : {}), arity, attributes: this.fieldAttributes() }
  }

  private fieldAttributes(): SchemaAttribute[] {
    const attributes: SchemaAttribute[] = []
    while (this.accept('@')) attributes.push(this.attribute())
    return attributes
  }

  /** `name(.name)*` and its arguments, after the `@` or `@@`. */
  private attribute(): SchemaAttribute {
    let name = this.name()
    while (this.accept('.')) name += `.${this.name()}`
    return { name, args: this.accept('(') ? this.argumentsUntil(')') : [] }
  }

  private argumentsUntil(close: string): SchemaArgument[] {
    const args: SchemaArgument[] = []
    while (!this.accept(close)) {
      const next = this.tokens[this.at + 1]
      if (this.peek()?.kind === 'name' && next?.kind === 'punct' && next.text === ':') {
        const name = this.name()
        this.expect(':')
        args.push({ name, value: this.expression() })
      } else {
        args.push({ value: this.expression() })
      }
      if (!this.accept(',')) {
        this.expect(close)
        break
      }
    }
    return args
  }

  private expression(): SchemaExpression {
    const token = this.peek()
    if (token?.kind === 'string') return { kind: 'string', value: this.string() }
    if (token?.kind === 'number') {
      this.at++
      return { kind: 'number', text: token.text }
    }
    if (this.accept('[')) {
      const items: SchemaExpression[] = []
      while (!this.accept(']')) {
        items.push(this.expression())
        if (!this.accept(',')) {
          this.expect(']')
          break
        }
      }
      return { kind: 'array', items }
    }
    let name = this.name()
    while (this.accept('.')) name += `.${this.name()}`
    return this.accept('(') ? { kind: 'call', name, args: this.argumentsUntil(')') } : { kind: 'constant', name }
  }

  private endOfLine(): void {
    const token = this.peek()
    if (token === undefined || token.kind === 'newline' || (token.kind === 'punct' && token.text === '}')) return
    this.fail('a line end')
  }

  private skipNewlines(): void {
    while (this.peek()?.kind === 'newline') this.at++
  }

  private name(): string {
    const token = this.peek()
    if (token?.kind !== 'name') this.fail('a name')
    this.at++
    return token.text
  }

  private string(): string {
    const token = this.peek()
    if (token?.kind !== 'string') this.fail('a string')
    this.at++
    return token.text
  }

  private peek(): Token | undefined {
    return this.tokens[this.at]
  }

  private peekText(): string | undefined {
    const token = this.peek()
    return token?.kind === 'punct' ? token.text : undefined
  }

  private accept(punct: string): boolean {
    if (this.peekText() !== punct) return false
    this.at++
    return true
  }

  private expect(punct: string): void {
    if (!this.accept(punct)) this.fail(`"${punct}"`)
  }

  private fail(expected: string): never {
    const token = this.peek()
    throw new Error(`${this.path}: cannot read the schema: expected ${expected}, found ${token === undefined ? 'the end' : JSON.stringify(token.text)}`)
  }
}
