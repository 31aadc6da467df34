// Runs async tasks one at a time per key, in arrival order, inside one process (update() on one session).

/** A FIFO lock per key; keys with no waiter take no memory. */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>()

  /** Runs `task` once every earlier task for `key` has settled, and returns its result. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key)
    let release = (): void => undefined
    const done = new Promise<void>((resolve) => (release = resolve))
    const tail = previous ? previous.then(() => done) : done
    this.tails.set(key, tail)
    try {
      if (previous) await previous
      return await task()
    } finally {
      release()
      if (this.tails.get(key) === tail) this.tails.delete(key)
    }
  }

  /** Keys with a task running or waiting (for tests). */
  get size(): number {
    return this.tails.size
  }
}
