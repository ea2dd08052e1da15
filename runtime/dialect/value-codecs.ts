/** Encoders and decoders for a column's whole value type (list, native type, stored enum names), built once per type from a dialect's scalar codecs. */
import { InvalidRequestError } from '../errors.js'
import type { ColumnType, ScalarType, ValueType } from '../sql/nodes.js'
import type { Decoder } from './dialect.js'

/** The value of a NULL list column: empty and frozen, so one array serves every row. */
const EMPTY_LIST: readonly unknown[] = Object.freeze([])

/** Turns a non-null JavaScript value into what the driver binds. */
export type Encoder = (value: unknown) => unknown

/** How a native type's values differ from its scalar kind's: either side absent means "as the scalar kind". */
export interface NativeTypeCodec {
  readonly encode?: Encoder
  readonly decode?: Decoder
}

/** What a dialect knows about single values; {@link ValueCodecs} derives lists, native types and enum names from it. */
export interface ScalarCodecs {
  /** Encodes a non-null value of a scalar kind. */
  encode(value: unknown, scalar: ScalarType): unknown
  /** Encodes a non-null element of a list, where the driver needs it differently from a single value. */
  encodeElement(value: unknown, scalar: ScalarType): unknown
  /** The decoder of each scalar kind (decoders receive null too). */
  readonly decoders: Readonly<Record<ScalarType, Decoder>>
  /** Native types (`@db.*` names) whose values are read or written differently from their scalar kind. */
  readonly nativeTypes: Readonly<Record<string, NativeTypeCodec>>
}

/** Inverts an enum's name -> stored-name table. */
function storedToName(enumValues: Readonly<Record<string, string>>): ReadonlyMap<unknown, string> {
  return new Map(Object.entries(enumValues).map(([name, stored]) => [stored, name]))
}

/**
 * One dialect's codecs for every {@link ColumnType}. A plain scalar kind goes straight to the
 * dialect's table; a {@link ValueType} gets its encoder and decoder composed once (cached by the
 * type object, which each mapped column builds once), so reading a row stays one call per column.
 */
export class ValueCodecs {
  private readonly encoders = new WeakMap<ValueType, Encoder>()
  private readonly decoders = new WeakMap<ValueType, Decoder>()

  constructor(private readonly scalar: ScalarCodecs) {}

  /** Encodes a non-null value of `type`. */
  encode(value: unknown, type: ColumnType): unknown {
    if (typeof type === 'string') return this.scalar.encode(value, type)
    let encoder = this.encoders.get(type)
    if (encoder === undefined) {
      encoder = this.composeEncoder(type)
      this.encoders.set(type, encoder)
    }
    return encoder(value)
  }

  /** The decoder of `type`. */
  decoder(type: ColumnType): Decoder {
    if (typeof type === 'string') return this.scalar.decoders[type]
    let decoder = this.decoders.get(type)
    if (decoder === undefined) {
      decoder = this.composeDecoder(type)
      this.decoders.set(type, decoder)
    }
    return decoder
  }

  private composeEncoder(type: ValueType): Encoder {
    const { scalar } = type
    const native = type.nativeType === undefined ? undefined : this.scalar.nativeTypes[type.nativeType]?.encode
    const enumValues = type.enumValues
    const single = type.list ? (value: unknown) => this.scalar.encodeElement(value, scalar) : (value: unknown) => this.scalar.encode(value, scalar)
    const element: Encoder = native ?? (enumValues ? (value) => single(enumValues[value as string] ?? value) : single)
    if (!type.list) return element
    return (value) => {
      if (!Array.isArray(value)) throw InvalidRequestError.listValueExpected(scalar, value)
      return value.map((item) => (item === null || item === undefined ? null : element(item)))
    }
  }

  private composeDecoder(type: ValueType): Decoder {
    const base = (type.nativeType === undefined ? undefined : this.scalar.nativeTypes[type.nativeType]?.decode) ?? this.scalar.decoders[type.scalar]
    const names = type.enumValues === undefined ? undefined : storedToName(type.enumValues)
    const element: Decoder = names ? (raw) => (raw === null ? null : (names.get(raw) ?? raw)) : base
    if (!type.list) return element
    // PrismaClient reads a NULL list (a row written without the column) as an empty list. Lists read are
    // frozen: a list is a value, so a change in place throws instead of being lost (see instrumentation).
    return (raw) => (raw === null || raw === undefined ? EMPTY_LIST : Object.freeze((raw as readonly unknown[]).map(element)))
  }
}
