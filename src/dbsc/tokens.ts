// DBSC challenges and bound-cookie values: random, time-stamped and MAC'd to one session, so issuing them writes nothing.
import { createHmac, randomBytes, timingSafeEqual } from '../crypto/node-crypto.ts'
import type { KeyRing } from '../crypto/keyring.ts'

const MAC_BYTES = 16

/** What a verified challenge or cookie value carries. */
export interface Stamp {
  /** Epoch ms: when a challenge was issued, or when a bound cookie expires. */
  readonly time: number
}

/**
 * Issues and checks values of the form base64url(time[8] | nonce[12] | mac[16]), where the MAC covers a
 * purpose, the subject (a session id or a binding id), the time and the nonce. Every configured secret verifies.
 */
export class StampCodec {
  private readonly keys: readonly Buffer[]
  private readonly current: Buffer

  constructor(ring: KeyRing) {
    const { currentId, byId } = ring.keys('dbsc')
    this.current = byId.get(currentId) as Buffer
    this.keys = [
      this.current,
      ...[...byId].filter(([id]) => id !== currentId).map(([, key]) => key),
    ]
  }

  issue(purpose: string, subject: string, time: number): string {
    const head = Buffer.alloc(20)
    head.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(time))))
    randomBytes(12).copy(head, 8)
    return Buffer.concat([head, this.mac(this.current, purpose, subject, head)]).toString(
      'base64url',
    )
  }

  /** The stamp's time, or undefined when the value was not issued by us for this purpose and subject. */
  read(purpose: string, subject: string, value: unknown): Stamp | undefined {
    if (typeof value !== 'string' || value.length !== 48 || !/^[A-Za-z0-9_-]+$/.test(value))
      return undefined
    const raw = Buffer.from(value, 'base64url')
    if (raw.length !== 20 + MAC_BYTES) return undefined
    const head = raw.subarray(0, 20)
    const tag = raw.subarray(20)
    if (!this.keys.some((key) => timingSafeEqual(this.mac(key, purpose, subject, head), tag)))
      return undefined
    return { time: Number(head.readBigUInt64BE()) }
  }

  private mac(key: Buffer, purpose: string, subject: string, head: Buffer): Buffer {
    return createHmac('sha256', key)
      .update(`${purpose}\0${subject}\0`)
      .update(head)
      .digest()
      .subarray(0, MAC_BYTES)
  }
}
