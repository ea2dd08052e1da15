// Generator test helpers: the SchemaError a schema fails with, and where its diagnostics point.
import { expect } from 'vitest'
import type { SchemaFile } from '../../generator/dmmf/load-schema.js'
import { SchemaError, type Diagnostic } from '../../generator/errors.js'
import { generateFromFiles } from '../../generator/generate.js'

/** Generates from `files` and returns the SchemaError it must fail with (the test fails if it generates). */
export async function schemaErrorOf(files: readonly SchemaFile[]): Promise<SchemaError> {
  const error: unknown = await generateFromFiles(files, 'schema').then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(SchemaError)
  return error as SchemaError
}

/** The diagnostics' file, line, column and severity, without the messages. */
export function located(error: SchemaError): Omit<Diagnostic, 'message'>[] {
  return error.diagnostics.map(({ file, line, column, severity }) => ({ file, line, column, severity }))
}
