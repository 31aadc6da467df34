// One timer per client for the idle deadline: the onExpiring warning first, then the client-side expiry.

/** Longest delay setTimeout honours (about 24.8 days); longer waits re-arm. */
const MAX_DELAY_MS = 2_147_483_647
/** The client declares the session over this long after the deadline (the Date header has one-second resolution), so never before the server does. */
const EXPIRY_GRACE_MS = 1_000

/** The deadline watcher: `schedule` for each new deadline (browser clock), `clear` when there is none. */
export interface ExpiryTimer {
  schedule(deadline: number): void
  clear(): void
}

/**
 * Calls `onWarn(secondsLeft)` once per deadline, `warnMs` before it (at once if less is left), then
 * `onExpire()` just after it. Only one timer is ever armed.
 */
export function createExpiryTimer(
  warnMs: number,
  onWarn: (secondsLeft: number) => void,
  onExpire: () => void,
): ExpiryTimer {
  let deadline: number | undefined
  let warnedFor: number | undefined
  let timer: ReturnType<typeof setTimeout> | undefined

  const disarm = (): void => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }
  const arm = (at: number): void => {
    disarm()
    timer = setTimeout(tick, Math.min(MAX_DELAY_MS, Math.max(0, at - Date.now())))
  }
  function tick(): void {
    timer = undefined
    if (deadline === undefined) return
    const now = Date.now()
    if (now >= deadline + EXPIRY_GRACE_MS) {
      deadline = undefined
      onExpire()
      return
    }
    if (warnedFor !== deadline && now >= deadline - warnMs) {
      warnedFor = deadline
      arm(deadline + EXPIRY_GRACE_MS)
      onWarn(Math.max(0, Math.ceil((deadline - now) / 1000)))
      return
    }
    arm(warnedFor === deadline ? deadline + EXPIRY_GRACE_MS : deadline - warnMs)
  }

  return {
    schedule(next) {
      if (next === deadline && timer !== undefined) return
      deadline = next
      arm(Date.now()) // decide on the next turn, never inside the caller's update
    },
    clear() {
      deadline = undefined
      disarm()
    },
  }
}
