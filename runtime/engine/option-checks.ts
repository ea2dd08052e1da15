/** Checks of numeric engine options, shared by `createEngine` and the databases' own options. */
import { ConfigurationError } from '../errors.js'

/** `value` when it is a finite number >= 0, `fallback` when absent; else `ConfigurationError` naming `option`. */
export function positiveNumber(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value < 0) throw ConfigurationError.badOption(option, value, 'a number >= 0')
  return value
}

/**
 * `poolIdleTimeout` (seconds) in milliseconds: -1 (never) when absent or -1, else a finite number of
 * seconds > 0 (0 would close every connection as it comes back: use `poolSize: 0` for that);
 * otherwise `ConfigurationError` naming the option.
 */
export function idleTimeoutMs(value: number | undefined): number {
  if (value === undefined || value === -1) return -1
  if (!Number.isFinite(value) || value <= 0) throw ConfigurationError.badOption('poolIdleTimeout', value, 'a number of seconds > 0, or -1 for never')
  return value * 1000
}
