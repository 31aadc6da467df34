// Verifies DBSC proofs (the `dbsc+jwt` in Secure-Session-Response) with jose: registration self-signed by its JWK, refresh by the stored key.
import type { JWK } from 'jose'
import type { DeviceBinding } from '../core/types.ts'
import { HallpassError } from '../errors.ts'
import { isPlainObject } from '../json.ts'
import type { DeviceKeyAlgorithm } from './options.ts'

/** Why a proof was refused. */
export type ProofFailure = 'jwt_malformed' | 'key_invalid' | 'bad_signature' | 'challenge_missing'

export type ProofResult =
  | {
      readonly ok: true
      readonly jti: string
      readonly alg: DeviceKeyAlgorithm
      readonly jwk: Record<string, string>
    }
  | { readonly ok: false; readonly reason: ProofFailure }

const fail = (reason: ProofFailure): ProofResult => ({ ok: false, reason })
const PUBLIC_MEMBERS = { ES256: ['kty', 'crv', 'x', 'y'], RS256: ['kty', 'n', 'e'] } as const

/**
 * A registration proof: the header names an allowed algorithm and carries the public key (`jwk` in the
 * header, as the current draft says; the `jwk` or `key` claim of earlier drafts is also read), and the
 * JWT is signed by that key.
 */
export async function verifyRegistration(
  jwt: string,
  algorithms: readonly DeviceKeyAlgorithm[],
): Promise<ProofResult> {
  const jose = await loadJose()
  const header = headerOf(jose, jwt)
  if (!header || !algorithms.includes(header.alg)) return fail('jwt_malformed')
  const claims = claimsOf(jose, jwt)
  const candidate = header.jwk ?? claims?.jwk ?? claims?.key
  const jwk = publicJwk(candidate, header.alg)
  if (!jwk) return fail('key_invalid')
  return verifyWith(jose, jwt, header.alg, jwk)
}

/** A refresh proof: signed with the algorithm and key stored at registration. */
export async function verifyRefresh(jwt: string, binding: DeviceBinding): Promise<ProofResult> {
  const jose = await loadJose()
  const header = headerOf(jose, jwt)
  if (!header || header.alg !== binding.alg) return fail('jwt_malformed')
  return verifyWith(jose, jwt, binding.alg, { ...binding.jwk })
}

type Jose = typeof import('jose')
let joseModule: Promise<Jose> | undefined
let joseLoader: (() => Promise<Jose>) | undefined
/** Not a literal: a bundler that follows `import('jose')` would put jose into every bundle (dbsc sits in the manager). */
const JOSE = 'jose'

/** @internal Called by `hallpass/dbsc`: a literal import, so a bundle with device binding carries jose. */
export function provideJose(load: () => Promise<Jose>): void {
  joseLoader ??= load
}

/**
 * jose is loaded on the first proof, so apps without `deviceBound` never load it: through `hallpass/dbsc` when the
 * app imported it (bundled apps, Workers), else from node_modules at run time (Node, Bun, Deno).
 */
function loadJose(): Promise<Jose> {
  return (joseModule ??= (joseLoader ?? (() => import(JOSE) as Promise<Jose>))().catch(
    (cause: unknown) => {
      joseModule = undefined
      throw new HallpassError(
        'CONFIG_INVALID',
        "hallpass: device binding could not load jose; add `import 'hallpass/dbsc'` to your server's entry so your bundler includes it",
        { cause },
      )
    },
  ))
}

async function verifyWith(
  jose: Jose,
  jwt: string,
  alg: DeviceKeyAlgorithm,
  jwk: Record<string, string>,
): Promise<ProofResult> {
  let key: Awaited<ReturnType<Jose['importJWK']>>
  try {
    key = await jose.importJWK({ ...jwk, alg } as JWK, alg)
  } catch {
    return fail('key_invalid')
  }
  let payload: Uint8Array
  try {
    payload = (await jose.compactVerify(jwt, key, { algorithms: [alg] })).payload
  } catch (err) {
    // jose refuses RSA keys under 2048 bits as a key problem, everything else is a bad signature.
    return fail(err instanceof TypeError ? 'key_invalid' : 'bad_signature')
  }
  let claims: unknown
  try {
    claims = JSON.parse(new TextDecoder().decode(payload))
  } catch {
    return fail('jwt_malformed')
  }
  if (!isPlainObject(claims)) return fail('jwt_malformed')
  const jti = claims.jti
  if (typeof jti !== 'string' || jti.length === 0) return fail('challenge_missing')
  return { ok: true, jti, alg, jwk }
}

interface ProofHeader {
  readonly alg: DeviceKeyAlgorithm
  readonly jwk: unknown
}

function headerOf(jose: Jose, jwt: string): ProofHeader | undefined {
  if (jwt.length > 8192 || jwt.split('.').length !== 3) return undefined
  try {
    const header = jose.decodeProtectedHeader(jwt)
    if (header.typ !== 'dbsc+jwt' || (header.alg !== 'ES256' && header.alg !== 'RS256'))
      return undefined
    return { alg: header.alg, jwk: header.jwk }
  } catch {
    return undefined
  }
}

/** Unverified claims, read only to find a key that earlier drafts put in the payload. */
function claimsOf(jose: Jose, jwt: string): Record<string, unknown> | undefined {
  try {
    return jose.decodeJwt(jwt) as Record<string, unknown>
  } catch {
    return undefined
  }
}

/** The public members of a JWK that fits `alg`, or undefined (wrong type or curve, private parts, non-strings). */
function publicJwk(value: unknown, alg: DeviceKeyAlgorithm): Record<string, string> | undefined {
  if (!isPlainObject(value) || 'd' in value || 'p' in value) return undefined
  if (alg === 'ES256' ? value.kty !== 'EC' || value.crv !== 'P-256' : value.kty !== 'RSA')
    return undefined
  const jwk: Record<string, string> = {}
  for (const member of PUBLIC_MEMBERS[alg]) {
    const part = value[member]
    if (typeof part !== 'string' || part.length === 0 || part.length > 1024) return undefined
    jwk[member] = part
  }
  return jwk
}
