/** A fixed-seed pseudo-random generator, so every run and every peer draws the same ids. */

/**
 * mulberry32: a tiny, fast 32-bit generator; good enough to pick benchmark keys, not for anything else.
 *
 * @param seed Any 32-bit integer; the same seed gives the same sequence.
 * @returns A function returning floats in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Draws `count` integers uniformly from `[min, max]` (inclusive).
 *
 * @param random A generator from {@link mulberry32}.
 */
export function drawInts(random: () => number, count: number, min: number, max: number): number[] {
  const out = new Array<number>(count)
  const span = max - min + 1
  for (let i = 0; i < count; i++) out[i] = min + Math.floor(random() * span)
  return out
}

/**
 * Draws `count` distinct integers uniformly from `[min, max]` (inclusive), in the order drawn.
 *
 * @param random A generator from {@link mulberry32}.
 */
export function drawDistinctInts(random: () => number, count: number, min: number, max: number): number[] {
  if (count > max - min + 1) throw new Error(`Cannot draw ${count} distinct integers from [${min}, ${max}]`)
  const drawn = new Set<number>()
  while (drawn.size < count) drawn.add(min + Math.floor(random() * (max - min + 1)))
  return [...drawn]
}
