// Compile-only: hallpass/client types, and that the store fits React's useSyncExternalStore signature.
import { expectTypeOf } from 'vitest'
import {
  createSessionClient,
  type ClientSessionInfo,
  type SessionClient,
  type SessionSnapshot,
} from 'hallpass/client'

/** React 18/19's signature, copied so this check needs no React. */
declare function useSyncExternalStore<S>(
  subscribe: (onStoreChange: () => void) => () => void,
  getSnapshot: () => S,
  getServerSnapshot?: () => S,
): S

interface User {
  id: string
  name: string
}
const client = createSessionClient<User>({
  statusUrl: '/api/auth/session',
  onExpiring: (s) => expectTypeOf(s).toEqualTypeOf<number>(),
})
expectTypeOf(client).toEqualTypeOf<SessionClient<User>>()

const snapshot = useSyncExternalStore(
  client.subscribe,
  client.getSnapshot,
  client.getServerSnapshot,
)
expectTypeOf(snapshot).toEqualTypeOf<SessionSnapshot<User>>()
expectTypeOf(snapshot.status).toEqualTypeOf<'loading' | 'authenticated' | 'anonymous' | 'error'>()
expectTypeOf(snapshot.user).toEqualTypeOf<User | null>()
expectTypeOf(snapshot.session).toEqualTypeOf<ClientSessionInfo | null>()
expectTypeOf(client.refresh()).toEqualTypeOf<Promise<SessionSnapshot<User>>>()
expectTypeOf(client.logout('/logout', { headers: { 'x-csrf-token': 't' } })).toEqualTypeOf<
  Promise<Response>
>()

// The user type defaults to unknown; the snapshot is read-only.
expectTypeOf(createSessionClient({ statusUrl: '/s' }).getSnapshot().user).toEqualTypeOf<unknown>()
// @ts-expect-error snapshots are read-only
snapshot.status = 'anonymous'
// @ts-expect-error statusUrl is required
createSessionClient({})
// @ts-expect-error channelName is a name or false, not true
createSessionClient({ statusUrl: '/s', channelName: true })
