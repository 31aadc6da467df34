// Compile-only: hallpass/sveltekit's hook is a SvelteKit Handle, and App.Locals carries the typed session.
// @sveltejs/kit lives in the example's workspace (it needs TypeScript 6 as a peer); its types declare the module.
/// <reference path="../../examples/sveltekit/node_modules/@sveltejs/kit/types/index.d.ts" />
import type { RequestEvent } from '@sveltejs/kit'
import type { Handle } from '@sveltejs/kit/hooks'
import { expectTypeOf } from 'vitest'
import { createSessions, type Session } from 'hallpass'
import { handleSession } from 'hallpass/sveltekit'

type Data = { cart: string[] }
const sessions = createSessions<Data>({ secret: 'x'.repeat(40) })

export const handle: Handle = handleSession(sessions)

export function load(event: RequestEvent): number {
  // App.Locals extends SessionLocals<…> (declared once per app; here the Astro type test declares it globally).
  expectTypeOf(event.locals.session).toExtend<Session<any>>()
  return 1
}
