/** Installs the attribute accessors on generated model classes: columns record changes, relationships load through their strategy. */
import { DeferredColumnError, DetachedInstanceError, ExpiredAttributeError } from '../errors.js'
import type { RelationshipAccessor } from '../loading/loader-strategy.js'
import { strategyFor } from '../loading/strategies.js'
import type { ColumnInfo, Mapper, Relationship } from './mapper.js'
import { INIT_KEYS, NEW_STATE, type Model } from './model.js'
import { installJSON } from './model-json.js'
import { InstanceState, STATE, type Instrumented } from './state.js'

/**
 * A scalar list assigned to a column, as the session keeps it: a frozen copy. A list is a value (as
 * SQLAlchemy's non-mutable ARRAY): its changes are seen when a new list is assigned, so a change in
 * place (`push`) throws a TypeError instead of being silently left out of the flush, and the caller's
 * own array stays theirs to change.
 */
function listValue(value: unknown): unknown {
  return Array.isArray(value) ? Object.freeze([...value]) : value
}

/** How a field is set on an object: what its property's setter calls. */
type FieldSetter = (obj: Model, value: unknown) => void

/** Defines a column's accessor; returns its setter. */
function defineColumn(prototype: object, column: ColumnInfo): FieldSetter {
  const name = column.name
  const setField: FieldSetter = column.list
    ? (obj, value) => (obj as Instrumented)[STATE].setColumn(name, listValue(value))
    : (obj, value) => (obj as Instrumented)[STATE].setColumn(name, value)
  Object.defineProperty(prototype, name, {
    configurable: true,
    enumerable: true,
    get(this: Instrumented) {
      const state = this[STATE]
      if (state.expired !== null && state.expired.has(name)) {
        // SQLAlchemy would reload it, and cannot without a session: say that first.
        if (state.session === null) throw DetachedInstanceError.cannotLoad(state.describe(), name)
        throw ExpiredAttributeError.read(state.describe(), name)
      }
      if (state.deferred !== null && state.deferred.has(name)) {
        if (state.session === null) throw DetachedInstanceError.cannotLoad(state.describe(), name)
        throw DeferredColumnError.read(state.describe(), name)
      }
      return state.value(column)
    },
    set(this: Instrumented, value: unknown) {
      setField(this, value)
    },
  })
  return setField
}

/** Defines a relationship's accessor; returns its setter, undefined when it cannot be assigned (a dynamic relationship). */
function defineRelationship(prototype: object, relationship: Relationship): FieldSetter | undefined {
  const strategy = strategyFor(relationship.strategy)
  const accessor = strategy.accessor(relationship)
  // Accessors of other strategies, built on first use of a per-query option (raiseload, noload, lazyload).
  const overrides = new Map<string, RelationshipAccessor>()
  const name = relationship.name
  const setField: FieldSetter | undefined =
    accessor.set === undefined ? undefined : (obj, value) => accessor.set!((obj as Instrumented)[STATE], value)
  Object.defineProperty(prototype, name, {
    configurable: true,
    enumerable: false,
    get(this: Instrumented) {
      const state = this[STATE]
      const override = state.strategyOverrides?.[name]
      if (override === undefined) return accessor.get(state)
      let chosen = overrides.get(override)
      if (chosen === undefined) {
        chosen = strategyFor(override).accessor(relationship)
        overrides.set(override, chosen)
      }
      return chosen.get(state)
    },
    set:
      setField &&
      function (this: Instrumented, value: unknown) {
        setField(this, value)
      },
  })
  return setField
}

/**
 * Defines every column and relationship accessor of `mapper` on its class's prototype, the keys its
 * constructor accepts (the columns and the relationships that can be assigned), how the constructor
 * creates an object's state, and how loaded objects are made without it. @internal
 */
export function instrument(mapper: Mapper): void {
  const prototype = mapper.modelClass.prototype as object
  const initKeys = new Map<string, FieldSetter>()
  for (const column of mapper.columns) initKeys.set(column.name, defineColumn(prototype, column))
  for (const relationship of mapper.relationships.values()) {
    const set = defineRelationship(prototype, relationship)
    if (set !== undefined) initKeys.set(relationship.name, set)
  }
  Object.defineProperty(prototype, INIT_KEYS, { value: initKeys, configurable: true })
  installJSON(prototype)
  // Loaded objects skip the constructor; one with a single field makes V8 size them for that field
  // alone (Object.create leaves room for four): 24 bytes less per loaded object.
  const BlankObject = function (this: { [STATE]: unknown }) {
    this[STATE] = null
  } as unknown as new () => object
  BlankObject.prototype = prototype
  mapper.BlankObject = BlankObject
  Object.defineProperty(prototype, NEW_STATE, {
    value: (obj: Model) => {
      ;(obj as Instrumented)[STATE] = new InstanceState(mapper, obj, {})
    },
    configurable: true,
  })
}
