// Store timing options carry their unit in the name (`sweepIntervalMs`...); the older unit-less names still work.
import { configError } from '../errors.ts'

/** Largest delay a Node timer accepts (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Reads the millisecond option `name` (or its older name `legacy`) from `options`: a whole number from `min`
 * to `max`, `fallback` when absent. Throws CONFIG_INVALID for anything else, or when both names are given.
 */
export function millisecondsOption(
  store: string,
  options: object,
  name: string,
  legacy: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const given = options as Record<string, unknown>
  if (given[name] !== undefined && given[legacy] !== undefined)
    configError(`${store}: give ${name} only (${legacy} is its older name)`)
  const value = given[name] ?? given[legacy] ?? fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    configError(
      `${store} ${name} must be a whole number of milliseconds from ${min}${min === 0 ? ' (off)' : ''} to ${max} (got ${JSON.stringify(value)}); durations such as '30m' are for createSessions`,
    )
  }
  return value
}
