/** Column JSON writers: per mapper, one compiled function that writes every column of an object in memory as its JSON value, in a single object literal. */
import { compiledOr } from './run-time-code.js'

/** What a writer needs of a column (a mapper's `ColumnInfo`). */
export interface JsonColumn {
  /** The property name. */
  readonly name: string
}

/** A non-null value's JSON form for one column (a date's ISO string, ...); undefined in the list: the value as it is. */
export type JsonConverter = ((value: unknown) => unknown) | undefined

/**
 * The JSON values of an object's columns from its `dict`, in the mapper's column order, when every
 * column holds a value; undefined when one holds none (a pending object not flushed yet), for the
 * caller to write the columns one by one.
 */
export type ColumnsJsonWriter = (dict: Readonly<Record<string, unknown>>) => Record<string, unknown> | undefined

/**
 * The writer of `columns`, each converted by its entry of `converters`. Compiled once (`new Function`)
 * into one object literal, as the row reader is (see `compileRowReader`): every JSON object of a mapper
 * has one shape and no property is added one by one. Where the runtime forbids compiling code from
 * strings, a writer that always answers undefined, so that the caller's loop writes every object.
 * Column names are schema identifiers, written as JSON string literals; no value is ever in the code.
 */
export function compileColumnsJsonWriter(columns: readonly JsonColumn[], converters: readonly JsonConverter[]): ColumnsJsonWriter {
  return compiledOr<ColumnsJsonWriter>(
    () => compiled(columns, converters),
    () => undefined,
  )
}

function compiled(columns: readonly JsonColumn[], converters: readonly JsonConverter[]): ColumnsJsonWriter {
  const values = columns.map((column, i) => `const v${i} = dict[${JSON.stringify(column.name)}]`)
  const unset = columns.map((_, i) => `v${i} === undefined`).join(' || ')
  const properties = columns.map((column, i) => `${JSON.stringify(column.name)}: ${converters[i] === undefined ? `v${i}` : `v${i} === null ? null : converters[${i}](v${i})`}`)
  const body = [
    'return function writeColumns(dict) {',
    ...values.map((line) => `  ${line}`),
    `  if (${unset || 'false'}) return undefined`,
    `  return { ${properties.join(', ')} }`,
    '}',
  ].join('\n')
  return new Function('converters', body)(converters) as ColumnsJsonWriter
}
