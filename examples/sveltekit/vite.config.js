// The SvelteKit 3 configuration lives in the Vite plugin: adapter-node for a standalone production server.
import adapter from '@sveltejs/adapter-node'
import { sveltekit } from '@sveltejs/kit/vite'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [
    sveltekit({
      adapter: adapter(),
      // The public origin (e.g. https://app.example.com); without it adapter-node assumes https and the Host header.
      paths: { origin: process.env.ORIGIN },
    }),
  ],
})
