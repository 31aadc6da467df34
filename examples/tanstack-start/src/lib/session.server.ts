// The app's session manager and its TanStack Start bindings. A *.server.ts module: client code importing it fails the build.
import { createSessions } from 'hallpass'
import { memoryStore } from 'hallpass/stores/memory'
import { tanstackSessions } from 'hallpass/tanstack-start'
import { testIntegrationOptions, testSessionOptions } from './test-hooks.server'

export const sessions = createSessions({
  secret: process.env.SESSION_SECRET!,
  // Served over HTTPS in production; the example's tests run it over plain HTTP on 127.0.0.1.
  cookie: { secure: process.env.PLAIN_HTTP !== '1' },
  rememberMeTimeout: '30d',
  // Test hooks (src/lib/test-hooks.server): inert outside hallpass's own tests.
  ...testSessionOptions(() => memoryStore()),
})

export const { sessionHandler, getSession } = tanstackSessions(
  sessions,
  testIntegrationOptions(), // test hook: inert outside hallpass's own tests
)
