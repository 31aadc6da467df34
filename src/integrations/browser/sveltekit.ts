// What a browser bundle gets for hallpass/sveltekit: a re-export from a module that cannot resolve, so the build fails and names the fix.
// @ts-expect-error The specifier is the message: it must never resolve.
export * from '[hallpass] hallpass/sveltekit is server-only and was imported into code bundled for the browser. Import it only from src/hooks.server.ts, +page.server.ts, +layout.server.ts, +server.ts or #lib/server/.'
