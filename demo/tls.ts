// Reads the demo's TLS certificate and key (TLS_CERT_FILE, TLS_KEY_FILE) for serving HTTPS.
import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import { ConfigError, type TlsFiles } from './config.ts'

/** The PEM certificate chain and private key, as node:https takes them. */
export interface TlsCredentials {
  readonly cert: Buffer
  readonly key: Buffer
}

/** Reads both files; a missing or unreadable one, or a key that does not fit the certificate, is a ConfigError. */
export function readTls(files: TlsFiles): TlsCredentials {
  const credentials = {
    cert: readPem('TLS_CERT_FILE', files.certFile),
    key: readPem('TLS_KEY_FILE', files.keyFile),
  }
  try {
    createSecureContext(credentials)
  } catch (err) {
    throw new ConfigError(
      `TLS_CERT_FILE and TLS_KEY_FILE must be a PEM certificate and its private key: ${messageOf(err)}`,
    )
  }
  return credentials
}

function readPem(name: string, path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new ConfigError(
      `cannot read ${name} ${JSON.stringify(path)}: ${err instanceof Error ? err.message : String(err)}`,
    )
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
