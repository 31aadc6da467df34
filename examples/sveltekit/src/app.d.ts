// App.Locals gets the typed session from hallpass/sveltekit's handle hook.
import type { SessionLocals } from 'hallpass/sveltekit'
import type { Data } from '#lib/server/sessions.ts'

declare global {
  namespace App {
    interface Locals extends SessionLocals<Data> {}
  }
}

export {}
