// Reading an environment variable on any runtime: Deno refuses (throws) without --allow-env for that name.

/**
 * The variable's value, or undefined when it is unset, when there is no `process` (a browser, a Worker without
 * nodejs_compat), or when the runtime refuses to read it (Deno without `--allow-env=NAME` and `--no-prompt`).
 */
export function readEnv(name: string): string | undefined {
  try {
    return globalThis.process?.env?.[name]
  } catch {
    return undefined
  }
}
