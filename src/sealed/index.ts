// hallpass/sealed: stateless sessions sealed with AES-256-GCM in the cookie, with optional revocation.
export { sealedCookies, type SealedCookies, type SealedCookiesOptions } from '../core/sealed.ts'
