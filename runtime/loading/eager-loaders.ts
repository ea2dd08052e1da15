/** The `selectin`, `joined`, `raise` and `noload` strategies (SQLAlchemy's `lazy="selectin"`, `"joined"`, `"raise"`, `"noload"`). */
import { RaiseLoadError } from '../errors.js'
import { hydrateJoined, joinedSelect } from './joined-load.js'
import { loadRelated } from './load-related.js'
import type { LoaderStrategy } from './loader-strategy.js'
import { lazyAccessor, toOneSetter } from './select-loader.js'

/**
 * `selectin`: when a query loads objects, the relationship is loaded for all of them with one
 * SELECT ... IN (...) (see load-objects.ts); reading it then answers from memory. An object
 * that arrived another way (e.g. assigned) falls back to a lazy load.
 */
export const selectinLoader: LoaderStrategy = {
  name: 'selectin',
  accessor: lazyAccessor,
  afterLoad: loadRelated,
}

/**
 * `joined`: a query that returns the owners LEFT OUTER JOINs the related table in the same
 * statement (see joined-load.ts); reading the relationship then answers from memory.
 */
export const joinedLoader: LoaderStrategy = {
  name: 'joined',
  accessor: lazyAccessor,
  joined: { select: joinedSelect, hydrate: hydrateJoined },
}

/** `raise`: reading the relationship before it was loaded or assigned throws {@link RaiseLoadError}, with no SQL. */
export const raiseLoader: LoaderStrategy = {
  name: 'raise',
  accessor(relationship) {
    const name = relationship.name
    return {
      get(state) {
        if (name in state.related) return Promise.resolve(state.related[name])
        throw RaiseLoadError.of(state.mapper.name, name)
      },
      set: toOneSetter(relationship),
    }
  },
}

/** `noload`: never loaded; reads as null (or an empty list) unless a value was assigned in memory. */
export const noloadLoader: LoaderStrategy = {
  name: 'noload',
  accessor(relationship) {
    const name = relationship.name
    return {
      get: (state) => Promise.resolve(name in state.related ? state.related[name] : relationship.uselist ? [] : null),
      set: toOneSetter(relationship),
    }
  },
}
