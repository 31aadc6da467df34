// What a browser bundle gets for hallpass/astro: an import that cannot resolve, so the build fails and names the fix.
import '[hallpass] hallpass/astro is server-only and was imported into code bundled for the browser (a <script> or a client: component). Import it only from src/middleware.ts, page frontmatter or endpoints.'

export {}
