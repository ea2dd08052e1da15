/** Prints diagnostics and stale-output findings in the formats CI tools read: human, JSON, GitHub workflow commands. */
import type { StaleFile } from './check.js'
import type { Diagnostic } from './errors.js'

/** Output formats of `gen-models`. */
export const FORMATS = ['human', 'json', 'github'] as const
/** An output format. */
export type Format = (typeof FORMATS)[number]

/** Everything one run has to say. */
export interface Report {
  /** Schema errors and lint warnings. */
  readonly diagnostics: readonly Diagnostic[]
  /** Generated files that differ from the schema's output (with `--check`). */
  readonly stale: readonly StaleFile[]
  /** Files written (without `--check`). */
  readonly written: readonly string[]
}

/** GitHub's workflow-command escaping for a property value or a message. */
function escapeGithub(text: string, property = false): string {
  const escaped = text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A')
  return property ? escaped.replaceAll(':', '%3A').replaceAll(',', '%2C') : escaped
}

function human(report: Report): string[] {
  const lines = report.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`)
  for (const file of report.stale) lines.push(file.diff.trimEnd())
  if (report.stale.length > 0) {
    lines.push(`gen-models: ${report.stale.map((file) => file.path).join(', ')} out of date; run \`npx gen-models\` and commit the result.`)
  }
  if (report.written.length > 0) lines.push(`gen-models: wrote ${report.written.join(', ')}`)
  return lines
}

function github(report: Report): string[] {
  const lines = report.diagnostics.map(
    (d) =>
      `::${d.severity} file=${escapeGithub(d.file, true)},line=${d.line},col=${d.column},title=gen-models::${escapeGithub(d.message)}`,
  )
  for (const file of report.stale) {
    lines.push(`::error file=${escapeGithub(file.path, true)},title=gen-models::${escapeGithub(`Generated file is out of date; run npx gen-models and commit the result.\n${file.diff}`)}`)
  }
  if (report.written.length > 0) lines.push(`gen-models: wrote ${report.written.join(', ')}`)
  return lines
}

/** Renders a report; the text goes to stdout for `json`, and line by line for the others. */
export function formatReport(report: Report, format: Format): string[] {
  if (format === 'json') {
    const errors = report.diagnostics.filter((d) => d.severity === 'error').length
    return [JSON.stringify({ ok: errors === 0 && report.stale.length === 0, diagnostics: report.diagnostics, stale: report.stale, written: report.written }, null, 2)]
  }
  return format === 'github' ? github(report) : human(report)
}
