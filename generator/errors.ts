/** The generator's errors: each has a stable `code`, and schema problems carry file, line and column. */

/** Where in the schema a problem is. Lines and columns are 1-based. */
export interface SourceLocation {
  readonly file: string
  readonly line: number
  readonly column: number
}

/** One problem found in the schema. */
export interface Diagnostic extends SourceLocation {
  readonly message: string
  /** `error` fails generation; `warning` is reported only. */
  readonly severity: 'error' | 'warning'
}

/** Base class of generator errors. */
export class GeneratorError extends Error {
  override readonly name: string = 'GeneratorError'
  /** Stable, machine-readable identifier. */
  readonly code: string

  /** @internal */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** The schema is invalid: Prisma's own validation errors, or our annotation errors. Exit code 1. */
export class SchemaError extends GeneratorError {
  override readonly name = 'SchemaError'
  /** Every problem found, with its location. */
  readonly diagnostics: readonly Diagnostic[]

  /** @internal */
  constructor(code: string, diagnostics: readonly Diagnostic[], cause?: unknown) {
    super(code, diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`).join('\n'), { cause })
    this.diagnostics = diagnostics
  }

  /** Prisma rejected the schema. */
  static prismaValidation(diagnostics: readonly Diagnostic[], cause: unknown): SchemaError {
    return new SchemaError('schema_invalid', diagnostics, cause)
  }

  /** A `///` annotation is unknown, malformed or misplaced. */
  static annotation(diagnostics: readonly Diagnostic[]): SchemaError {
    return new SchemaError('annotation_invalid', diagnostics)
  }

  /** A relation joins models of two binds (`/// @bind(...)`): two databases cannot share a foreign key or a join. */
  static crossBind(diagnostics: readonly Diagnostic[]): SchemaError {
    return new SchemaError('relation_across_binds', diagnostics)
  }

  /** The schema uses a Prisma feature prismalchemy cannot generate yet. */
  static unsupported(diagnostics: readonly Diagnostic[]): SchemaError {
    return new SchemaError('schema_unsupported', diagnostics)
  }
}

/** The command line or configuration is wrong (missing schema file, bad flag). Exit code 2. */
export class UsageError extends GeneratorError {
  override readonly name = 'UsageError'

  /** @internal */
  constructor(message: string) {
    super('usage', message)
  }

  /** A configuration option has a bad value or is unknown. */
  static badConfig(source: string, option: string, expected: string): UsageError {
    return new UsageError(`Invalid configuration in ${source}: "${option}" must be ${expected}.`)
  }

  /** No flag, configuration or Prisma default names a schema in the project at `cwd`; `looked` lists where it looked. */
  static noSchemaFound(cwd: string, looked: readonly string[]): UsageError {
    return new UsageError(
      `No Prisma schema found in ${cwd}. Looked at: ${looked.join(', ')}. Pass --schema <file.prisma or folder>, set "schema" in prisma.config.ts or gen-models.config.json, or create prisma/schema.prisma.`,
    )
  }

  /** The project's Prisma config file exists but neither Prisma's loader nor a plain read finds its schema. */
  static prismaConfig(file: string, reason: string): UsageError {
    return new UsageError(`Cannot load ${file}: ${reason}. Fix it, or pass --schema <file.prisma or folder>.`)
  }

  /** No schema file or folder at `path`. */
  static schemaNotFound(path: string): UsageError {
    return new UsageError(`No Prisma schema at "${path}". Pass --schema <file.prisma or folder of .prisma files>.`)
  }
}
