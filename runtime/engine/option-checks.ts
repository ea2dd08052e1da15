/** Checks of numeric engine options, shared by `createEngine` and the databases' own options. */
import { ConfigurationError } from '../errors.js'

/** `value` when it is a finite number >= 0, `fallback` when absent; else `ConfigurationError` naming `option`. */
export function positiveNumber(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value < 0) throw ConfigurationError.badOption(option, value, 'a number >= 0')
  return value
}
