// Password hashing with Argon2id (@node-rs/argon2), and a dummy hash so an unknown email costs the same time as a wrong password.
import { randomBytes } from 'node:crypto'
import { hash, verify } from '@node-rs/argon2'

/** Argon2id costs. The defaults are OWASP's first recommendation (19 MiB, 2 passes, 1 lane). */
export interface HashCost {
  readonly memoryCost: number
  readonly timeCost: number
}

export const DEFAULT_COST: HashCost = { memoryCost: 19_456, timeCost: 2 }

export interface Passwords {
  hash(password: string): Promise<string>
  /**
   * True when `password` matches `stored`. With no stored hash (unknown user, locked account) it
   * verifies against a dummy hash of the same cost, so every path spends the same time, and returns false.
   */
  verify(stored: string | undefined, password: string): Promise<boolean>
}

/** Creates the hasher; computes the dummy hash once, up front. */
export async function createPasswords(cost: HashCost = DEFAULT_COST): Promise<Passwords> {
  const options = { memoryCost: cost.memoryCost, timeCost: cost.timeCost, parallelism: 1 }
  const dummy = await hash(randomBytes(24).toString('base64url'), options)
  return {
    hash: (password) => hash(password, options),
    async verify(stored, password) {
      try {
        const ok = await verify(stored ?? dummy, password)
        return ok && stored !== undefined
      } catch {
        return false // a malformed stored hash never signs anyone in
      }
    },
  }
}
