// Compile-only: internal members (the key ring, constructors that take internal parts) are not on the public types.
import { createSessions } from 'hallpass'
import { createCsrf } from 'hallpass/csrf'

const sessions = createSessions({ secret: 'x'.repeat(32) })
// @ts-expect-error the key ring is not a member of the manager
void sessions.keys
// The per-request CSRF state comes from forRequest(); its parts stay internal.
export const state = createCsrf(sessions).forRequest({
  method: 'POST',
  path: '/',
  selfOrigin: 'https://a.example',
  header: () => undefined,
})
// @ts-expect-error no public access to the token keys
void state.tokens
