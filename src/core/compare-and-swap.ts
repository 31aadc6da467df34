// The one compare-and-swap retry loop: read, compute, write if the version is unchanged, back off and retry if not.
import { HallpassError } from '../errors.ts'

/** What a round returns when its write lost to another writer (the version moved): the loop runs it again. */
export const LOST = Symbol('lost')

/** How many rounds, and what to say when every one was lost. */
export interface RetryPolicy {
  /** Most rounds before giving up. */
  readonly attempts: number
  /** The error thrown after `attempts` lost rounds. @default SESSION_CONFLICT naming `what` */
  readonly exhausted?: () => HallpassError
  /** The operation, for the default error: "update()", "regenerate()"... */
  readonly what: string
}

/**
 * Runs `round` until it returns something other than `LOST`, with a short random back-off between rounds (so
 * writers that collided do not collide again). Each round reads the current version itself.
 * @throws SESSION_CONFLICT (or `policy.exhausted()`) when `policy.attempts` rounds in a row were lost.
 */
export async function compareAndSwap<T>(
  policy: RetryPolicy,
  round: () => Promise<T | typeof LOST>,
): Promise<T> {
  for (let attempt = 0; attempt < policy.attempts; attempt++) {
    const result = await round()
    if (result !== LOST) return result
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** attempt, 25)))
  }
  throw policy.exhausted
    ? policy.exhausted()
    : new HallpassError(
        'SESSION_CONFLICT',
        `${policy.what} lost ${policy.attempts} compare-and-swap rounds in a row to other requests; try again`,
      )
}
