// Astro.locals.session is typed by hallpass/astro's SessionLocals with this app's session data.
declare namespace App {
  interface Locals extends import('hallpass/astro').SessionLocals<import('./lib/sessions').Data> {}
}
