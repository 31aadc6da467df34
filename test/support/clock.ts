// An injectable clock for timeout tests: time moves only when the test says so.
export interface TestClock {
  (): number
  advance(ms: number): void
  set(ms: number): void
}

/** A clock starting at `start` (epoch ms) that only moves on `advance`. */
export function testClock(start = Date.UTC(2026, 0, 1)): TestClock {
  let now = start
  const clock = (() => now) as TestClock
  clock.advance = (ms) => void (now += ms)
  clock.set = (ms) => void (now = ms)
  return clock
}
