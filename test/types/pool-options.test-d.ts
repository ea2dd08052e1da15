// Type tests of the pool options of createEngine: poolIdleTimeout is seconds as a number, like poolRecycle and poolTimeout.
import { createEngine, type EngineOptions } from 'prismalchemy'
import { expectTypeOf, test } from 'vitest'

test('poolIdleTimeout takes a number of seconds, as poolRecycle does', () => {
  expectTypeOf<EngineOptions['poolIdleTimeout']>().toEqualTypeOf<number | undefined>()
  expectTypeOf<EngineOptions['poolIdleTimeout']>().toEqualTypeOf<EngineOptions['poolRecycle']>()
  createEngine('file:./app.db', { poolIdleTimeout: 300, poolRecycle: 1800, poolPrePing: true })
  // @ts-expect-error seconds as a number, not a duration string
  createEngine('file:./app.db', { poolIdleTimeout: '5m' })
})
