// What a browser bundle gets for hallpass/astro: a re-export from a module that cannot resolve, so the build fails and names the fix.
// @ts-expect-error The specifier is the message: it must never resolve.
export * from '[hallpass] hallpass/astro is server-only and was imported into code bundled for the browser (a <script> or a client: component). Import it only from src/middleware.ts, page frontmatter or endpoints.'
