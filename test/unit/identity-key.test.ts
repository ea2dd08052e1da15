// identityKey and keyPartEncoder without a database: one identity per row whatever form a key value takes, per scalar type, and composite keys that never collide.
import { Decimal } from 'decimal.js'
import { describe, expect, it } from 'vitest'
import { identityKey, keyPartEncoder, type KeyColumn } from '../../runtime/orm/identity-key.js'
import type { ScalarType } from '../../runtime/sql/nodes.js'

/** A key column of `type`, as a mapper's primary key holds it. */
const column = (type: ScalarType): KeyColumn => ({ encodeKeyPart: keyPartEncoder(type) })

describe('keyPartEncoder', () => {
  it('DateTime: a Date by its epoch milliseconds, so two Date objects of one instant are one key', () => {
    const encode = keyPartEncoder('DateTime')
    expect(encode(new Date(1_700_000_000_123))).toBe(1_700_000_000_123)
    expect(encode(new Date('2023-11-14T22:13:20.123Z'))).toBe(encode(new Date(1_700_000_000_123)))
    expect(encode(new Date(1_700_000_000_223))).toBe(1_700_000_000_223) // 100 ms apart: another key
  })

  it('DateTime: ISO text is the same instant; text that is no date stays text', () => {
    const encode = keyPartEncoder('DateTime')
    expect(encode('2023-11-14T22:13:20.123Z')).toBe(1_700_000_000_123)
    expect(encode('soon')).toBe('soon')
    expect(encode(1_700_000_000_123)).toBe(1_700_000_000_123)
  })

  it('BigInt: a bigint whether given as bigint, number or text; text that is no integer stays text', () => {
    const encode = keyPartEncoder('BigInt')
    expect(encode(9_007_199_254_740_993n)).toBe(9_007_199_254_740_993n)
    expect(encode(123)).toBe(123n)
    expect(encode('9007199254740993')).toBe(9_007_199_254_740_993n)
    expect(encode('x')).toBe('x')
  })

  it('Int and Float: a number, also from numeric text or a bigint; blank or other text stays text', () => {
    for (const type of ['Int', 'Float'] as const) {
      const encode = keyPartEncoder(type)
      expect([encode(5), encode('5'), encode(5n), encode('2.5')]).toEqual([5, 5, 5, 2.5])
      expect([encode(' '), encode('abc')]).toEqual([' ', 'abc'])
    }
  })

  it('Decimal: its canonical text, so 1.50 and 1.5 agree, from a Decimal, text or number; text that is no number stays text', () => {
    const encode = keyPartEncoder('Decimal')
    expect(encode(new Decimal('1.50'))).toBe('1.5')
    expect(encode('1.50')).toBe('1.5')
    expect(encode(1.5)).toBe('1.5')
    expect(encode('12345678901234567890.000000000000000000001')).toBe('12345678901234567890.000000000000000000001')
    expect(encode('abc')).toBe('abc')
  })

  it('Bytes: their hex text, reading only the view of a shared buffer', () => {
    const encode = keyPartEncoder('Bytes')
    expect(encode(new Uint8Array([0, 255, 16]))).toBe('00ff10')
    expect(encode(Buffer.from('hi'))).toBe('6869')
    expect(encode(new Uint8Array([1, 2, 3, 4]).subarray(1, 3))).toBe('0203')
    expect(encode('00ff10')).toBe('00ff10')
  })

  it('String, Boolean and Enum: the value itself', () => {
    expect(keyPartEncoder('String')('a')).toBe('a')
    expect(keyPartEncoder('Boolean')(true)).toBe(true)
    expect(keyPartEncoder('Enum')('ADMIN')).toBe('ADMIN')
  })
})

describe('identityKey', () => {
  it('is the encoded value itself for a one-column key', () => {
    expect(identityKey([column('Int')], [7])).toBe(7)
    expect(identityKey([column('DateTime')], [new Date(5)])).toBe(5)
    expect(identityKey([column('BigInt')], ['7'])).toBe(7n)
  })

  it('is a JSON array of the encoded values for a composite key, a bigint as its digits', () => {
    expect(identityKey([column('Int'), column('DateTime')], [1, new Date(5)])).toBe('[1,5]')
    expect(identityKey([column('BigInt'), column('String')], [9_007_199_254_740_993n, 'a'])).toBe('["9007199254740993","a"]')
    expect(identityKey([column('Decimal'), column('Bytes')], [new Decimal('1.50'), new Uint8Array([10])])).toBe('["1.5","0a"]')
  })

  it('tells apart composite keys whose values differ by 100 ms, and keeps one key for one instant', () => {
    const key = [column('String'), column('DateTime')]
    const at = new Date('2024-01-01T00:00:00.000Z')
    expect(identityKey(key, ['p1', at])).not.toBe(identityKey(key, ['p1', new Date(at.getTime() + 100)]))
    expect(identityKey(key, ['p1', at])).toBe(identityKey(key, ['p1', new Date(at.getTime())]))
  })

  it('never lets a separator inside a text value make two tuples collide', () => {
    const key = [column('String'), column('String')]
    expect(identityKey(key, ['a,b', 'c'])).toBe('["a,b","c"]')
    expect(identityKey(key, ['a', 'b,c'])).toBe('["a","b,c"]')
  })
})
