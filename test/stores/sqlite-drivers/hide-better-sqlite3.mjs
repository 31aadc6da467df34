// Preloaded (--import) into the node:sqlite contract run: better-sqlite3 resolves nowhere, as for an app that never installed it.
import { registerHooks } from 'node:module'

if (typeof registerHooks !== 'function')
  throw new Error(
    `hide-better-sqlite3: Node ${process.version} lacks module.registerHooks (Node >= 22.15)`,
  )

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === 'better-sqlite3' || specifier.startsWith('better-sqlite3/'))
      throw Object.assign(new Error(`Cannot find module '${specifier}' (hidden by the test)`), {
        code: 'MODULE_NOT_FOUND',
      })
    return nextResolve(specifier, context)
  },
})
