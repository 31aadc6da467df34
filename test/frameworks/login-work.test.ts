// The Astro and SvelteKit examples check a password with the same work whether the email exists or not (no user
// enumeration by timing).
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { exampleDir, node24 } from './harness.ts'

/**
 * Imports an example's users module in Node 24 (which runs TypeScript as is, without the example's build setup),
 * with `scryptSync` wrapped to count its calls, and reports how many hashes each `verify()` computed.
 */
const PROBE = `
import { createRequire, syncBuiltinESMExports } from 'node:module'
const crypto = createRequire(import.meta.url)('node:crypto')
const real = crypto.scryptSync
let calls = 0
crypto.scryptSync = (...args) => (calls++, real(...args))
syncBuiltinESMExports() // the module's "import { scryptSync } from 'node:crypto'" now sees the wrapper
const { verify, verifyNothing } = await import(process.argv[1])
const work = (email, password, check = verify) => {
  calls = 0
  const user = check(email, password)
  return { hashes: calls, user: user?.name ?? null }
}
console.log(JSON.stringify({
  unknownEmail: work('nobody@example.com', 'whatever'),
  wrongPassword: work('bob@example.com', 'whatever'),
  rightPassword: work('bob@example.com', 'battery staple'),
  lockedAccount: work('bob@example.com', 'battery staple', (_email, password) => verifyNothing(password)),
}))
`

describe.each([
  ['astro', 'src/lib/users.ts'],
  ['sveltekit', 'src/lib/server/users.ts'],
])('examples/%s: verify()', (example, file) => {
  it('one hash for an unknown email, a wrong password, the right one and a locked account', async () => {
    const args = ['--input-type=module', '--eval', PROBE, `${exampleDir(example)}/${file}`]
    const output = execFileSync(await node24(), args, { encoding: 'utf8' })
    expect(JSON.parse(output)).toEqual({
      unknownEmail: { hashes: 1, user: null },
      wrongPassword: { hashes: 1, user: null },
      rightPassword: { hashes: 1, user: 'Bob' },
      lockedAccount: { hashes: 1, user: null },
    })
  }, 60_000)
})
