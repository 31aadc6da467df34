import { fileURLToPath } from 'node:url'
import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  // The example lives in the hallpass repository, whose root holds the lockfile and node_modules.
  turbopack: { root: fileURLToPath(new URL('../..', import.meta.url)) },
}

export default nextConfig
