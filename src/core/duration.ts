// Parses durations given as seconds or as strings like '30m', '24h', '7d' into milliseconds.

/** A duration: a number of seconds, or a string such as `'90s'`, `'30m'`, `'24h'`, `'30d'`, `'2w'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd' | 'w'}`

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/

/** Returns the duration in milliseconds, or undefined when it is not a valid positive duration. */
export function parseDuration(value: unknown): number | undefined {
  let ms: number | undefined
  if (typeof value === 'number') ms = value * 1_000
  else if (typeof value === 'string') {
    const match = PATTERN.exec(value.trim())
    if (match) ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
  }
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return undefined
  return Math.round(ms)
}
