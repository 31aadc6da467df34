// On-demand rendering on a standalone Node server. hallpass's CSRF check (in src/middleware.ts) replaces Astro's origin check.
import node from '@astrojs/node'
import { defineConfig } from 'astro/config'

export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'standalone' }),
  security: { checkOrigin: false },
})
