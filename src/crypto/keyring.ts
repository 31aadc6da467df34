// Turns the configured secret (or numbered secrets) into per-purpose keys; the newest key signs.
import { hkdfSync } from 'node:crypto'
import { configError } from '../errors.ts'

/** A secret of at least 32 characters, or numbered secrets for rotation: `{ 2: newer, 1: older }`. */
export type SecretOption = string | Readonly<Record<number, string>>

/** Key material for one purpose, by key id. */
export interface PurposeKeys {
  /** Id of the key that signs new values. */
  readonly currentId: string
  /** Key bytes by id; every listed key verifies. */
  readonly byId: ReadonlyMap<string, Buffer>
}

export const MIN_SECRET_LENGTH = 32

/** All numbered secrets, validated; a plain string is key 1. */
export class KeyRing {
  private readonly secrets: ReadonlyMap<string, string>
  private readonly newest: string
  private readonly derived = new Map<string, PurposeKeys>()

  constructor(secret: unknown) {
    const entries = normalizeSecrets(secret)
    this.secrets = new Map(entries)
    this.newest = entries.reduce((a, b) => (Number(b[0]) > Number(a[0]) ? b : a))[0]
  }

  /** Keys derived with HKDF-SHA256 for one purpose ('cookie', 'csrf', 'seal'...), computed once. */
  keys(purpose: string): PurposeKeys {
    let keys = this.derived.get(purpose)
    if (!keys) {
      const byId = new Map<string, Buffer>()
      for (const [id, secret] of this.secrets) {
        byId.set(id, Buffer.from(hkdfSync('sha256', secret, 'hallpass', `hallpass:${purpose}:v1`, 32)))
      }
      keys = { currentId: this.newest, byId }
      this.derived.set(purpose, keys)
    }
    return keys
  }
}

function normalizeSecrets(secret: unknown): Array<[string, string]> {
  const howTo = 'generate one with `npx hallpass secret` or `openssl rand -base64 32`'
  if (secret === undefined || secret === null || secret === '') {
    configError(`\`secret\` is required: pass a random string of at least ${MIN_SECRET_LENGTH} characters (${howTo})`)
  }
  const entries: Array<[string, unknown]> =
    typeof secret === 'string' ? [['1', secret]] : typeof secret === 'object' ? Object.entries(secret) : []
  if (entries.length === 0) {
    configError(`\`secret\` must be a string or a map of numbered secrets like { 2: newer, 1: older } (${howTo})`)
  }
  for (const [id, value] of entries) {
    if (!/^[1-9]\d{0,5}$/.test(id)) configError(`secret key id "${id}" must be a positive integer such as 1 or 2`)
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) {
      configError(`secret ${id} must be a string of at least ${MIN_SECRET_LENGTH} characters (${howTo})`)
    }
    if (new Set(value).size < 8) configError(`secret ${id} is too repetitive to be random (${howTo})`)
  }
  return entries as Array<[string, string]>
}
