// Astro.locals.session is typed by hallpass/astro's SessionLocals with this app's session data. The imports make
// this file a module, so App is declared inside `declare global`.
import type { SessionLocals } from 'hallpass/astro'
import type { Data } from './lib/sessions'

declare global {
  namespace App {
    interface Locals extends SessionLocals<Data> {}
  }
}
