// A self-signed certificate for localhost, made at test time with openssl, and the SPKI pin Chromium accepts for it.
import { execFileSync } from 'node:child_process'
import { createHash, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface SelfSigned {
  readonly certFile: string
  readonly keyFile: string
  /** base64 SHA-256 of the certificate's SubjectPublicKeyInfo: the value of `--ignore-certificate-errors-spki-list`. */
  readonly spki: string
}

/**
 * An EC P-256 certificate for `localhost` (and 127.0.0.1), valid for a day, in a fresh temporary directory.
 * node:crypto cannot write X.509, so this runs `openssl req -x509` (test-setup.mjs makes sure openssl is there).
 */
export function selfSignedCertificate(): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-tls-'))
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-noenc',
      '-days',
      '1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'pipe' },
  )
  const publicKey = new X509Certificate(readFileSync(certFile)).publicKey.export({
    type: 'spki',
    format: 'der',
  })
  return { certFile, keyFile, spki: createHash('sha256').update(publicKey).digest('base64') }
}
