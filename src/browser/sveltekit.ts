// What a browser bundle gets for hallpass/sveltekit: an import that cannot resolve, so the build fails and names the fix.
import '[hallpass] hallpass/sveltekit is server-only and was imported into code bundled for the browser. Import it only from src/hooks.server.ts, +page.server.ts, +layout.server.ts, +server.ts or #lib/server/.'

export {}
