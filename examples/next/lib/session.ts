// The app's session manager and its Next.js bindings. Server code only: a client component importing this fails the build.
import 'server-only'
import { createSessions } from 'hallpass'
import { nextSessions } from 'hallpass/next'
import { memoryStore } from 'hallpass/stores/memory'
import { testIntegrationOptions, testSessionOptions } from './test-hooks'

export const sessions = createSessions({
  secret: process.env.SESSION_SECRET!,
  // Served over HTTPS in production; the example's tests run it over plain HTTP on 127.0.0.1.
  cookie: { secure: process.env.PLAIN_HTTP !== '1' },
  rememberMeTimeout: '30d',
  // Test hooks (lib/test-hooks): inert outside hallpass's own tests.
  ...testSessionOptions(() => memoryStore()),
})

export const { getSession, sessionAction, withSession, guard, gate } = nextSessions(
  sessions,
  testIntegrationOptions(), // test hook: inert outside hallpass's own tests
)
