/** JSON out and the console repr of model objects: `toJSON()` writes columns as Prisma's JSON protocol does, and `util.inspect` prints `User { id: 1, ... }`. */
import type { Decimal } from 'decimal.js'
import type { InspectOptionsStylized, inspect as utilInspect } from 'node:util'
import { InvalidRequestError } from '../errors.js'
import type { ScalarType } from '../sql/nodes.js'
import { compileColumnsJsonWriter, type ColumnsJsonWriter } from './columns-json.js'
import type { ColumnInfo, Mapper } from './mapper.js'
import type { Model } from './model.js'
import { STATE, type InstanceState, type Instrumented } from './state.js'

/**
 * One non-null value as Prisma's JSON protocol writes it (`serializeJsonQuery`): a date as its ISO
 * string, BigInt as its digits, Decimal as `toFixed()` (never exponent notation), bytes as base64;
 * Json values, enums (their names), strings, numbers and booleans as they are.
 */
function scalarJSON(scalar: ScalarType, value: unknown): unknown {
  switch (scalar) {
    case 'DateTime':
      return value instanceof Date ? value.toISOString() : value
    case 'BigInt':
      return String(value)
    case 'Decimal':
      return typeof value === 'object' ? (value as Decimal).toFixed() : String(value)
    case 'Bytes':
      return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') : value
    default:
      return value
  }
}

/** A column's value in JSON (element by element for a list). */
function columnJSON(column: ColumnInfo, value: unknown): unknown {
  if (value === null) return null
  if (column.list) return (value as readonly unknown[]).map((item) => (item === null ? null : scalarJSON(column.scalar, item)))
  return scalarJSON(column.scalar, value)
}

/** Scalar types whose values JSON writes as they are (see {@link scalarJSON}). */
const AS_THEY_ARE: ReadonlySet<ScalarType> = new Set(['String', 'Int', 'Float', 'Boolean', 'Json', 'Enum'])

/** Per mapper: its columns' compiled JSON writer (see `compileColumnsJsonWriter`). */
const WRITERS = new WeakMap<Mapper, ColumnsJsonWriter>()

/** The compiled JSON writer of `mapper`'s columns: a list, a date, a BigInt, a Decimal or bytes goes through {@link columnJSON}. */
function writerOf(mapper: Mapper): ColumnsJsonWriter {
  let writer = WRITERS.get(mapper)
  if (writer === undefined) {
    const converters = mapper.columns.map((column) => (!column.list && AS_THEY_ARE.has(column.scalar) ? undefined : (value: unknown) => columnJSON(column, value)))
    writer = compileColumnsJsonWriter(mapper.columns, converters)
    WRITERS.set(mapper, writer)
  }
  return writer
}

/** The JSON of `state`'s loaded columns: at once when all are in memory (no column expired or deferred, none unset), else column by column. */
function columnsJSON(state: InstanceState): Record<string, unknown> {
  const mapper = state.mapper
  if ((state.expired === null || state.expired.size === 0) && (state.deferred === null || state.deferred.size === 0)) {
    const json = writerOf(mapper)(state.dict)
    if (json !== undefined) return json
  }
  const json: Record<string, unknown> = {}
  for (const column of mapper.columns) if (loaded(state, column.name)) json[column.name] = columnJSON(column, state.dict[column.name])
  return json
}

/** True when a column's value is in memory: not deferred by the query, not expired, and set. */
function loaded(state: InstanceState, name: string): boolean {
  return !(state.expired?.has(name) ?? false) && !(state.deferred?.has(name) ?? false) && state.dict[name] !== undefined
}

/** The relationships of an include, as [name, nested options] pairs (a falsy entry of the object form is skipped). */
function includeEntries(include: unknown): [string, unknown][] {
  if (Array.isArray(include)) return include.map((name) => [String(name), undefined])
  return Object.entries(include as Record<string, unknown>).filter(([, nested]) => Boolean(nested))
}

/**
 * The JSON form of a model object: its loaded columns (see {@link scalarJSON}), the loaded
 * relationships `options.include` names (one not loaded is left out: nothing loads here), then `_count`
 * when the object has it. `JSON.stringify` calls it with a property key, which is no options object.
 * An unknown or dynamic relationship in `include` raises `InvalidRequestError`.
 * @internal
 */
export function modelToJSON(obj: Model, options?: unknown): Record<string, unknown> {
  const state = (obj as Instrumented)[STATE]
  const mapper = state.mapper
  const json = columnsJSON(state)
  const include = typeof options === 'object' && options !== null ? (options as { include?: unknown }).include : undefined
  if (include !== undefined && include !== null) {
    for (const [name, nested] of includeEntries(include)) {
      const relationship = mapper.relationships.get(name)
      if (relationship === undefined) throw InvalidRequestError.unknownJsonRelationship(mapper.name, name, mapper.relationships.keys())
      if (relationship.strategy === 'dynamic') throw InvalidRequestError.dynamicInJson(mapper.name, name)
      if (!(name in state.related)) continue
      const value = state.related[name]
      const deeper = nested === true ? undefined : nested
      json[name] = Array.isArray(value) ? value.map((member: Model) => modelToJSON(member, deeper)) : value === null ? null : modelToJSON(value as Model, deeper)
    }
  }
  if (Object.hasOwn(obj, '_count')) json._count = (obj as { _count?: unknown })._count
  return json
}

/**
 * The `util.inspect` (and `console.log`) form of a model object: its class name, its object state when
 * not persistent (`User (pending)`), and its loaded columns, e.g. `User { id: 1, username: 'ann' }`.
 * Relationships and the session's bookkeeping are left out.
 * @internal
 */
export function modelRepr(obj: Model, depth: number, options: InspectOptionsStylized, inspect: typeof utilInspect): string {
  const state = (obj as Instrumented)[STATE]
  const objectState = state.objectState
  const label = objectState === 'persistent' ? state.mapper.name : `${state.mapper.name} (${objectState})`
  if (depth < 0) return options.stylize(`[${label}]`, 'special')
  const values: Record<string, unknown> = {}
  for (const column of state.mapper.columns) if (loaded(state, column.name)) values[column.name] = state.dict[column.name]
  return `${label} ${inspect(values, { ...options, depth: options.depth === null || options.depth === undefined ? options.depth : options.depth - 1 })}`
}

/** Node's hook for a custom `util.inspect` form. */
const INSPECT_CUSTOM = Symbol.for('nodejs.util.inspect.custom')

/** Installs `toJSON` and the inspect hook on a model class's prototype, both non-enumerable. @internal */
export function installJSON(prototype: object): void {
  Object.defineProperty(prototype, 'toJSON', {
    configurable: true,
    writable: true,
    value: function toJSON(this: Model, options?: unknown) {
      return modelToJSON(this, options)
    },
  })
  Object.defineProperty(prototype, INSPECT_CUSTOM, {
    configurable: true,
    writable: true,
    value: function (this: Model, depth: number, options: InspectOptionsStylized, inspect: typeof utilInspect) {
      return modelRepr(this, depth, options, inspect)
    },
  })
}
