// Builds the browser assets at startup: the page script bundled with esbuild (hallpass/client included), and the stylesheet.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

export interface Assets {
  readonly script: string
  readonly css: string
}

/** Bundles demo/browser/main.ts into one self-contained script (no CDN) and reads the CSS. Takes tens of milliseconds. */
export async function buildAssets(): Promise<Assets> {
  const [bundle, css] = await Promise.all([
    build({
      entryPoints: [fileURLToPath(new URL('./browser/main.ts', import.meta.url))],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'chrome110',
      conditions: ['hallpass-source'], // hallpass/client from the sources of this checkout
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    }),
    readFile(new URL('./browser/app.css', import.meta.url), 'utf8'),
  ])
  const script = bundle.outputFiles[0]?.text
  if (!script) throw new Error('esbuild produced no output for demo/browser/main.ts')
  return { script, css }
}
