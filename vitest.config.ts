// Test runner configuration: resolve hallpass subpaths to the TypeScript sources.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['hallpass-source'] },
  ssr: { resolve: { conditions: ['hallpass-source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
})
