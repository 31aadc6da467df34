// Debian's Chromium through playwright-core, launched the one way the browser tests use (headless, no sandbox, quiet).
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
/** The switches every browser test passes: headless, no sandbox or GPU, and no background traffic of its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Launches Chromium with `CHROMIUM_ARGS` and `extraArgs`; throws (never skips) when it is not installed. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is required at ${CHROMIUM} (Debian: apt-get install chromium); the browser tests never skip.`,
    )
  // playwright's launch() gives every run a fresh, temporary user-data dir.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  })
}
