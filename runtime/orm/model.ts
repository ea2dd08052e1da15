/** Model: the base class of every generated model class. */
import { UnknownFieldError, UnmappedError } from '../errors.js'
import type { Mapper } from './mapper.js'
import type { JSONInclude, ModelJSON, ToJSONOptions } from './model-json-types.js'

/** Symbol under which a model class keeps its {@link Mapper} (in `ModelClass`'s type, so not stripped; no entry point exports it). */
export const MAPPER: unique symbol = Symbol('prismalchemy.mapper')

/**
 * Symbol under which an instrumented model's prototype keeps the keys its constructor accepts (columns
 * and relationships that can be assigned), each with the setter its accessor calls. @internal
 */
export const INIT_KEYS: unique symbol = Symbol('prismalchemy.initKeys')

/**
 * Symbol under which an instrumented model's prototype keeps the function that gives a new object its
 * state (installed by instrumentation, as SQLAlchemy's class manager creates each instance's state). @internal
 */
export const NEW_STATE: unique symbol = Symbol('prismalchemy.newState')

/** A generated model class. */
export type ModelClass<T extends Model = Model> = (abstract new (...args: never[]) => T) & { [MAPPER]?: Mapper }

/**
 * Base class of generated models.
 *
 * `C` is the model's column types, `I` what its constructor accepts, `K` its primary-key type and
 * `R` its relationships (name to related model, an array for a to-many); they exist for the type
 * checker only (see `$columns`).
 */
export abstract class Model<C = object, I = object, K = unknown, R = object> {
  /** Type-only: the column types of this model. Not present at run time. */
  declare readonly $columns: C
  /** Type-only: what the constructor accepts. Not present at run time. */
  declare readonly $init: I
  /** Type-only: the primary-key value accepted by `session.get()`. Not present at run time. */
  declare readonly $key: K
  /** Type-only: each relationship's related model (`Role`, or `User[]` for a to-many). Not present at run time. */
  declare readonly $relations: R
  /** @internal The keys the constructor accepts and their setters, set on each instrumented model's prototype. */
  declare readonly [INIT_KEYS]: ReadonlyMap<string, (obj: Model, value: unknown) => void>

  /** @internal Gives a new object its state, set on each instrumented model's prototype. */
  declare readonly [NEW_STATE]: (obj: Model) => void

  /**
   * The object as JSON, which `JSON.stringify(obj)` (and so `res.json(obj)`) writes: its columns as
   * Prisma's JSON protocol writes them (dates as ISO strings; BigInt, Decimal as strings; bytes as
   * base64; Json values and enums as they are), then the relationships `include` names when they are
   * loaded (never loading one: an unloaded one is left out; dynamic ones are queries and refused),
   * then `_count` when present. Deferred and expired columns are left out.
   *
   * ### Examples
   * ```ts
   * res.json(user.toJSON({ include: ['role'] }))
   * post.toJSON({ include: { comments: true, author: { include: ['role'] } } })
   * ```
   */
  declare readonly toJSON: <const I extends JSONInclude<this> = never>(options?: ToJSONOptions<I>) => ModelJSON<this, I>

  /**
   * Creates a transient object; `init` sets columns and to-one relationships through their setters. A key
   * that is none of them throws {@link UnknownFieldError} (the type checker refuses it in an object literal).
   */
  constructor(init?: I) {
    const mapper = (new.target as ModelClass)[MAPPER]
    if (mapper === undefined) throw UnmappedError.unmappedClass(new.target.name)
    this[NEW_STATE](this as unknown as Model)
    if (init) {
      const setters = this[INIT_KEYS]
      // The generated class itself: its setters are called directly, not looked up by name per key.
      // A subclass may override an accessor, so its objects are assigned through the properties.
      const direct = new.target === mapper.modelClass
      for (const key of Object.keys(init)) {
        const set = setters.get(key)
        if (set === undefined) throw UnknownFieldError.inConstructor(mapper.name, key, [...setters.keys()])
        const value = (init as Record<string, unknown>)[key]
        if (direct) set(this as unknown as Model, value)
        else (this as Record<string, unknown>)[key] = value
      }
    }
  }
}

/** The mapper of a model class. @internal */
export function mapperOf(modelClass: ModelClass): Mapper {
  const mapper = modelClass[MAPPER]
  if (mapper === undefined) throw UnmappedError.unmappedClass(modelClass.name)
  return mapper
}

/** Column types of a model (anything for a model typed `any`, e.g. classes loaded at run time). */
export type ColumnsOf<T> = 0 extends 1 & T ? any : T extends Model<infer C, unknown, unknown, unknown> ? C : never
/** Primary-key type of a model (anything for a model typed `any`). */
export type KeyOf<T> = 0 extends 1 & T ? any : T extends Model<unknown, unknown, infer K, unknown> ? K : never
/** Relationships of a model: name to related model, an array for a to-many (anything for a model typed `any`). */
export type RelationsOf<T> = 0 extends 1 & T ? any : T extends Model<unknown, unknown, unknown, infer R> ? R : never
/** The names of a model's relationships. */
export type RelationNameOf<T> = keyof RelationsOf<T> & string
/** The model a relationship of `T` leads to (the element model for a to-many). */
export type RelatedModel<T, N extends RelationNameOf<T>> = NonNullable<RelationsOf<T>[N]> extends readonly (infer M)[] ? M : NonNullable<RelationsOf<T>[N]>
