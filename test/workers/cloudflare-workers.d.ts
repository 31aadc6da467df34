// The one member of workerd's built-in `cloudflare:workers` module the test Workers use (bindings at module scope).
declare module 'cloudflare:workers' {
  export const env: Record<string, unknown>
}
