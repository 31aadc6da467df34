// Turns the configured secret(s) into per-purpose keys, each named by a hash of itself; the newest key signs.
import { createHash, hkdfSync } from './node-crypto.ts'
import { configError } from '../errors.ts'

/**
 * A secret of at least 32 characters; or several for rotation, newest first: `[current, previous]`;
 * or the numbered form `{ 2: newer, 1: older }` (the highest number signs). A key's id is derived from
 * the secret itself, so a cookie signed by a secret verifies under any configuration that lists it.
 */
export type SecretOption = string | readonly string[] | Readonly<Record<number, string>>

/** Key material for one purpose, by key id. */
export interface PurposeKeys {
  /** Id of the key that signs new values. */
  readonly currentId: string
  /** Key bytes by id; every listed key verifies. */
  readonly byId: ReadonlyMap<string, Buffer>
}

export const MIN_SECRET_LENGTH = 32
/** A key id: `k` and 6 base64url characters of SHA-256 over the derived key (36 bits; never a number). */
export const KEY_ID_PATTERN = /^k[A-Za-z0-9_-]{6}$/

/** All secrets, validated, newest first. */
export class KeyRing {
  private readonly secrets: readonly string[]
  private readonly derived = new Map<string, PurposeKeys>()

  constructor(secret: unknown) {
    this.secrets = normalizeSecrets(secret)
    this.keys('cookie') // refuses two secrets whose ids collide, at startup
  }

  /** Keys derived with HKDF-SHA256 for one purpose ('cookie', 'csrf', 'seal'...), computed once. */
  keys(purpose: string): PurposeKeys {
    let keys = this.derived.get(purpose)
    if (!keys) {
      const byId = new Map<string, Buffer>()
      for (const secret of this.secrets) {
        const key = Buffer.from(
          hkdfSync('sha256', secret, 'hallpass', `hallpass:${purpose}:v1`, 32),
        )
        const id = keyId(key)
        const seen = byId.get(id)
        if (seen && !seen.equals(key))
          configError(
            'two of the configured secrets share a key id; replace one of them (npx hallpass secret)',
          )
        byId.set(id, key)
      }
      keys = {
        currentId: keyId(
          Buffer.from(
            hkdfSync('sha256', this.secrets[0] as string, 'hallpass', `hallpass:${purpose}:v1`, 32),
          ),
        ),
        byId,
      }
      this.derived.set(purpose, keys)
    }
    return keys
  }
}

/** The id of a derived key: a short hash of the key itself, so it never depends on the key's position in a list. */
function keyId(key: Buffer): string {
  return `k${createHash('sha256').update('hallpass:kid:v1').update(key).digest('base64url').slice(0, 6)}`
}

/** The key a value with key id `kid` was signed with, or undefined when no listed secret has that id. */
export function keyFor(keys: PurposeKeys, kid: string): Buffer | undefined {
  return keys.byId.get(kid)
}

const HOW_TO = 'generate one with `npx hallpass secret` or `openssl rand -base64 32`'
/** The CONFIG_INVALID message for a missing secret. */
export const MISSING_SECRET = `\`secret\` is required: pass a random string of at least ${MIN_SECRET_LENGTH} characters (${HOW_TO})`

/** True when no secret was given at all (an unset environment variable), as opposed to a bad one. */
export function isMissingSecret(secret: unknown): boolean {
  return secret === undefined || secret === null || secret === ''
}

function normalizeSecrets(secret: unknown): string[] {
  if (isMissingSecret(secret)) configError(MISSING_SECRET)
  let entries: Array<[string, unknown]>
  if (typeof secret === 'string') entries = [['secret', secret]]
  else if (Array.isArray(secret)) entries = secret.map((value, i) => [`secret[${i}]`, value])
  else if (typeof secret === 'object') {
    entries = Object.entries(secret as object).map(([id, value]) => {
      if (!/^[1-9]\d{0,5}$/.test(id))
        configError(
          `secret key "${id}" must be a positive integer such as 1 or 2 (the highest signs), or pass a list, newest first`,
        )
      return [id, value]
    })
    entries.sort((a, b) => Number(b[0]) - Number(a[0]))
    entries = entries.map(([id, value]) => [`secret ${id}`, value])
  } else entries = []
  if (entries.length === 0) {
    const forms =
      'a string, a list of secrets (newest first) or numbered secrets like { 2: newer, 1: older }'
    configError(`\`secret\` must be ${forms} (${HOW_TO})`)
  }
  for (const [name, value] of entries) {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) {
      configError(
        `${name} must be a string of at least ${MIN_SECRET_LENGTH} characters (${HOW_TO})`,
      )
    }
    if (new Set(value).size < 8) configError(`${name} is too repetitive to be random (${HOW_TO})`)
  }
  return entries.map(([, value]) => value as string)
}
