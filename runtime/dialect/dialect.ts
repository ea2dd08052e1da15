/** What the session needs to know about a database's SQL: its compiler, its value codecs and its limits. */
import type { DefaultCompiler } from '../sql/compiler.js'
import type { ColumnType } from '../sql/nodes.js'

/** Turns a value read from the driver into the JavaScript value of a column's type. */
export type Decoder = (raw: unknown) => unknown

/** A SQL dialect: one per database family. */
export interface Dialect {
  /** The dialect's name, e.g. `sqlite`. */
  readonly name: string
  /** A fresh compiler (compilers are stateful while compiling one statement). */
  createCompiler(): DefaultCompiler
  /** The decoder for a column type (the same function for the same type: callers pick it once per column). */
  decoder(type: ColumnType): Decoder
  /** Encodes a non-null JavaScript value of `type` into what the driver binds. */
  encode(value: unknown, type: ColumnType): unknown
  /** Whether INSERT ... RETURNING is available. */
  readonly supportsReturning: boolean
  /** The most bind parameters one statement may carry. */
  readonly maxParameters: number
}
