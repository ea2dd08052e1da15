/** Plain-text table formatting for the report: a left-aligned first column, right-aligned figures. */

/**
 * Formats rows under a header with aligned columns and a rule under the header.
 *
 * @param header Column titles; the first column is left-aligned, the others right-aligned.
 * @param rows Cells as strings, one array per row, as long as `header`.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)))
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** A duration in µs with precision that suits its size: `0.214`, `12.3`, `1234`. */
export function formatMicros(us: number | undefined): string {
  if (us === undefined) return 'n/a'
  if (us < 1) return us.toFixed(3)
  if (us < 100) return us.toFixed(2)
  if (us < 1000) return us.toFixed(1)
  return us.toFixed(0)
}

/** A ratio `a / b` as `3.4x`, or `n/a` when either side is missing. */
export function formatRatio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || b === 0) return 'n/a'
  const r = a / b
  return `${r < 10 ? r.toFixed(2) : r.toFixed(1)}x`
}
