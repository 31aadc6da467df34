// vitest config of the node:sqlite contract run only (drivers.test.ts spawns it on Node >= 22.15).
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  root: fileURLToPath(new URL('../../../', import.meta.url)),
  resolve: { conditions: ['hallpass-source'] },
  ssr: { resolve: { conditions: ['hallpass-source'] } },
  test: {
    include: ['test/stores/sqlite-drivers/node-sqlite.contract.ts'],
    testTimeout: 20_000,
  },
})
