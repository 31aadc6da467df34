// Store timing options carry their unit in the name (`sweepIntervalMs`...): one reader for them all.
import { configError } from '../errors.ts'

/** Largest delay a Node timer accepts (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Reads the millisecond option `name` from `options`: a whole number from `min` to `max`, `fallback` when
 * absent. Throws CONFIG_INVALID for anything else.
 */
export function millisecondsOption(
  store: string,
  options: object,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = (options as Record<string, unknown>)[name] ?? fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    configError(
      `${store} ${name} must be a whole number of milliseconds from ${min}${min === 0 ? ' (off)' : ''} to ${max} (got ${JSON.stringify(value)}); durations such as '30m' are for createSessions`,
    )
  }
  return value
}
