// `next build` evaluates the app's server modules without the runtime secret: a missing one waits for first use there.
import { randomBytes } from '../crypto/node-crypto.ts'
import { HallpassError } from '../errors.ts'
import { isMissingSecret, KeyRing, MISSING_SECRET } from '../crypto/keyring.ts'
import { readEnv } from '../runtime/env.ts'

/** What Next.js sets `NEXT_PHASE` to while `next build` runs (and never when the built app runs). */
const NEXT_BUILD_PHASE = 'phase-production-build'

/** A manager's key ring, and the error its every use throws when it was created without a secret during a build. */
export interface KeySetup {
  readonly keys: KeyRing
  readonly unusable: HallpassError | undefined
}

/**
 * The key ring for `secret`. A missing or bad secret throws CONFIG_INVALID at once, except a missing one
 * while `next build` runs: the keys then come from a random secret that ends with the build, and `unusable`
 * is the CONFIG_INVALID error that every use of the manager throws, so nothing built can depend on it.
 */
export function keySetup(secret: unknown): KeySetup {
  // Read only without a secret: Deno asks for a permission per variable, and an app with its secret needs none here.
  if (!isMissingSecret(secret) || readEnv('NEXT_PHASE') !== NEXT_BUILD_PHASE)
    return { keys: new KeyRing(secret), unusable: undefined }
  const message =
    `hallpass: ${MISSING_SECRET}. This manager was created by \`next build\`, which needs no secret; ` +
    'the running app does'
  const throwaway = new KeyRing(randomBytes(32).toString('base64url'))
  return { keys: throwaway, unusable: new HallpassError('CONFIG_INVALID', message) }
}
