/** Row readers: per mapper and decoders, one compiled function that builds a loaded object's column values from its row in a single object literal. */
import type { Decoder } from '../dialect/dialect.js'
import { compiledOr } from './run-time-code.js'

/** What a reader needs of a column (a mapper's `ColumnInfo`). */
export interface ReadColumn {
  /** The property name. */
  readonly name: string
  /** Set when a cell of the column may stay as read until its first read; 0 otherwise. */
  readonly decodeLaterBit: number
  /** True when `cell` stays as read (certain to decode later). */
  leavesRaw(cell: unknown): boolean
}

/**
 * Builds the column values of one entity from `row`, its cells from `start` on, in the mapper's column
 * order. A DateTime or Decimal cell that is certain to decode stays as read (`ColumnInfo.leavesRaw`);
 * the reader sets those columns' `decodeLaterBit`s in `raw.mask`.
 */
export type RowReader = (row: readonly unknown[], start: number, raw: RawCells) => Record<string, unknown>

/** Where a {@link RowReader} reports which values it left as read. */
export interface RawCells {
  mask: number
}

/**
 * The reader of `columns`' rows with `decoders`. Compiled once (`new Function`) into one object
 * literal, so every object of a mapper shares one shape and no property is added one by one (the
 * loop it replaces spent most of a load's JavaScript time in keyed stores); where the runtime forbids
 * compiling code from strings (`--disallow-code-generation-from-strings`, a CSP), the loop itself.
 * Column names are schema identifiers, written as JSON string literals; no value is ever in the code.
 */
export function compileRowReader(columns: readonly ReadColumn[], decoders: readonly Decoder[]): RowReader {
  return compiledOr<RowReader>(
    () => compiled(columns, decoders),
    (row, start, raw) => readInLoop(columns, decoders, row, start, raw),
  )
}

function compiled(columns: readonly ReadColumn[], decoders: readonly Decoder[]): RowReader {
  const cells: string[] = []
  const properties: string[] = []
  columns.forEach((column, i) => {
    const cell = `c${i}`
    cells.push(`const ${cell} = row[start + ${i}]`)
    const decoded = `decoders[${i}](${cell})`
    properties.push(
      `${JSON.stringify(column.name)}: ${column.decodeLaterBit === 0 ? decoded : `columns[${i}].leavesRaw(${cell}) ? ((mask |= ${column.decodeLaterBit}), ${cell}) : ${decoded}`}`,
    )
  })
  const body = [
    'return function readRow(row, start, raw) {',
    '  let mask = 0',
    ...cells.map((line) => `  ${line}`),
    `  const values = { ${properties.join(', ')} }`,
    '  raw.mask = mask',
    '  return values',
    '}',
  ].join('\n')
  return new Function('columns', 'decoders', body)(columns, decoders) as RowReader
}

/** What a compiled reader does, column by column. */
function readInLoop(columns: readonly ReadColumn[], decoders: readonly Decoder[], row: readonly unknown[], start: number, raw: RawCells): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  let mask = 0
  for (let i = 0; i < columns.length; i++) {
    const cell = row[start + i]
    const column = columns[i]
    if (column.leavesRaw(cell)) {
      values[column.name] = cell
      mask |= column.decodeLaterBit
    } else values[column.name] = decoders[i](cell)
  }
  raw.mask = mask
  return values
}
