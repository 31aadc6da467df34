// A store's background timer, started on first use rather than at construction, and unref'd where the runtime can.

/**
 * Cloudflare Workers refuse timers in global scope, where apps build their stores (`createSessions()` at module
 * scope), so a store arms its timer from its first call instead. `unref` (Node, Bun) keeps the timer from holding
 * the process open; where timers are plain numbers (Deno, Workers, browsers) there is nothing to unref.
 */
export class LazyInterval {
  private timer: ReturnType<typeof setInterval> | undefined
  private stopped = false

  constructor(
    private readonly tick: () => void,
    private readonly ms: number,
  ) {}

  /** True once the timer runs. */
  get running(): boolean {
    return this.timer !== undefined
  }

  /** Starts the timer unless it runs already or was stopped. Cheap enough to call on every write. */
  start(): void {
    if (this.timer !== undefined || this.stopped) return
    const timer = setInterval(this.tick, this.ms)
    if (typeof timer.unref === 'function') timer.unref()
    this.timer = timer
  }

  /** Stops the timer for good: a later `start()` does nothing. */
  stop(): void {
    this.stopped = true
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }
}
