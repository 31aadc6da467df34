// Preloaded (--import) into the node:sqlite contract run: better-sqlite3 resolves nowhere, as for an app that never installed it.
import { registerHooks } from 'node:module'

if (typeof registerHooks !== 'function')
  throw new Error(
    `hide-better-sqlite3: Node ${process.version} lacks module.registerHooks (Node >= 22.15)`,
  )

registerHooks({
  resolve(specifier, context, nextResolve) {
    // By name, and by path (vitest resolves a package itself, then imports the file it found).
    const hidden =
      specifier === 'better-sqlite3' ||
      specifier.startsWith('better-sqlite3/') ||
      specifier.includes('/node_modules/better-sqlite3/')
    if (hidden)
      throw Object.assign(new Error(`Cannot find module '${specifier}' (hidden by the test)`), {
        code: 'MODULE_NOT_FOUND',
      })
    return nextResolve(specifier, context)
  },
})
