// node:crypto, taken from the runtime when hallpass loads, so a runtime without it fails with a message naming the fix.
import type * as NodeCrypto from 'node:crypto'
import { HallpassError } from '../errors.ts'

/**
 * `process.getBuiltinModule` (Node ≥ 20.16, Bun, Deno, workerd with `nodejs_compat`) instead of a static import:
 * a static `node:crypto` import on workerd without `nodejs_compat` fails before any code runs, with only
 * `No such module "node:crypto"`.
 */
function nodeCrypto(): typeof NodeCrypto {
  const crypto = globalThis.process?.getBuiltinModule?.('node:crypto')
  if (crypto) return crypto
  throw new HallpassError(
    'CONFIG_INVALID',
    'hallpass needs node:crypto, which this runtime does not provide. On Cloudflare Workers, add "nodejs_compat" to ' +
      '"compatibility_flags" in wrangler.jsonc (the default from compatibility date 2026-08-04).',
  )
}

export const {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hash,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} = nodeCrypto()
