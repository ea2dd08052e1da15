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

function defineColumn(prototype: object, column: ColumnInfo): void {
  const name = column.name
  const list = column.list
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
      return state.dict[name]
    },
    set: list
      ? function (this: Instrumented, value: unknown) {
          this[STATE].setColumn(name, listValue(value))
        }
      : function (this: Instrumented, value: unknown) {
          this[STATE].setColumn(name, value)
        },
  })
}

function defineRelationship(prototype: object, relationship: Relationship): void {
  const strategy = strategyFor(relationship.strategy)
  const accessor = strategy.accessor(relationship)
  // Accessors of other strategies, built on first use of a per-query option (raiseload, noload, lazyload).
  const overrides = new Map<string, RelationshipAccessor>()
  const name = relationship.name
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
      accessor.set &&
      function (this: Instrumented, value: unknown) {
        accessor.set!(this[STATE], value)
      },
  })
}

/**
 * Defines every column and relationship accessor of `mapper` on its class's prototype, the keys its
 * constructor accepts (the columns and the relationships that can be assigned), and how the constructor
 * creates an object's state. @internal
 */
export function instrument(mapper: Mapper): void {
  const prototype = mapper.modelClass.prototype as object
  const initKeys = new Set<string>()
  for (const column of mapper.columns) {
    defineColumn(prototype, column)
    initKeys.add(column.name)
  }
  for (const relationship of mapper.relationships.values()) {
    defineRelationship(prototype, relationship)
    if (Object.getOwnPropertyDescriptor(prototype, relationship.name)?.set !== undefined) initKeys.add(relationship.name)
  }
  Object.defineProperty(prototype, INIT_KEYS, { value: initKeys, configurable: true })
  installJSON(prototype)
  Object.defineProperty(prototype, NEW_STATE, {
    value: (obj: Model) => {
      ;(obj as Instrumented)[STATE] = new InstanceState(mapper, obj, {})
    },
    configurable: true,
  })
}
