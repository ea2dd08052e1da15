/** The types of `model.toJSON()`: a model's columns as JSON values, plus the relationships asked for with `include`. */
import type { Decimal } from 'decimal.js'

/** Column values `toJSON()` writes as strings: ISO dates, BigInt and Decimal digits, base64 bytes. */
type Stringified = Date | bigint | Decimal | Uint8Array

/** A column value as `toJSON()` writes it (a list element by element); everything else, Json values and enums included, as it is. */
export type JSONColumn<V> = V extends Stringified ? string : V extends readonly (infer E)[] ? ([E] extends [Stringified] ? string[] : V) : V

/** The columns of a model (its type-only `$columns`). */
type Columns<T> = T extends { readonly $columns: infer C } ? C : never
/** The relationships of a model (its type-only `$relations`). */
type Relations<T> = T extends { readonly $relations: infer R } ? R : never
/** A dynamic relationship's property: a query with `append`/`remove`, never loaded. */
type DynamicProperty = { readonly append: unknown; readonly remove: unknown; readonly all: unknown }
/** The model a relationship leads to (the element model of a to-many). */
type Target<T, N extends keyof Relations<T>> = NonNullable<Relations<T>[N]> extends readonly (infer M)[] ? M : NonNullable<Relations<T>[N]>

/** The relationships of `T` that `toJSON({ include })` can include: every one but the dynamic ones, which are queries. */
export type JSONRelationName<T> = {
  [N in keyof Relations<T> & string]: N extends keyof T ? (T[N] extends DynamicProperty ? never : N) : N
}[keyof Relations<T> & string]

/**
 * What `toJSON({ include })` takes: relationship names (`['role', 'posts']`), or an object naming
 * each with `true` or its own options, to include relationships of the related objects too
 * (`{ posts: { include: ['comments'] } }`).
 */
export type JSONInclude<T> =
  | readonly JSONRelationName<T>[]
  | { readonly [N in JSONRelationName<T>]?: true | { readonly include?: JSONInclude<Target<T, N>> } }

/** The options of `toJSON()`. */
export interface ToJSONOptions<I> {
  /** Loaded relationships to add; one not loaded is left out (`toJSON()` never loads). */
  readonly include?: I
}

/** The nested include of one entry of an object-form include (none for `true`). */
type NestedInclude<E> = E extends { readonly include?: infer J } ? Exclude<J, undefined> : never

/** A relationship's value in JSON: a list for a to-many, null for an empty to-one. */
type RelationJSON<R, I> = R extends readonly (infer M)[] ? ModelJSON<M, I>[] : R extends null ? null : ModelJSON<R, I>

/** The relationships an include adds: optional, since one that is not loaded is left out. */
type IncludedJSON<T, I> = [I] extends [never]
  ? {}
  : I extends readonly (infer N)[]
    ? { [K in N & keyof Relations<T>]?: RelationJSON<Relations<T>[K], never> }
    : { [K in keyof I & keyof Relations<T>]?: RelationJSON<Relations<T>[K], NestedInclude<I[K]>> }

/** `_count`, when the object was loaded with relationship counts (`withCount`). */
type CountJSON<T> = T extends { readonly _count: infer C } ? { _count: C } : {}

/** Flattens an intersection into one object type, for readable hovers and exact type tests. */
type Flat<T> = { [K in keyof T]: T[K] } & {}

/**
 * What `model.toJSON(options)` returns (and `JSON.stringify` writes): every column as a JSON value
 * (`Date`, `bigint`, `Decimal` and `Uint8Array` become strings), the relationships of `include` (`I`),
 * and `_count` when loaded. Columns a query deferred are left out at run time.
 */
export type ModelJSON<T, I = never> = Flat<{ [K in keyof Columns<T>]: JSONColumn<Columns<T>[K]> } & IncludedJSON<T, I> & CountJSON<T>>
