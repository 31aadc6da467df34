// Runs one scenario suite against every adapter (like h3's describeMatrix): a fresh world and server per test.
import { afterEach, beforeEach, describe } from 'vitest'
import { Browser } from './client.ts'
import { SERVERS, type AdapterName, type Running } from './servers.ts'
import { createWorld, type Mode, type World } from './world.ts'

/** What each scenario gets: the server-side world, the running app and a fresh browser. */
export interface Scenario {
  readonly adapter: AdapterName
  world: World
  app: Running
  browser: Browser
  /** Another browser on the same app (a second user, or an attacker). */
  newBrowser(): Browser
}

/** Declares `suite` once per adapter (in the given session mode); `scenario` is filled before each test. */
export function describeMatrix(
  title: string,
  suite: (scenario: Scenario) => void,
  mode: Mode = 'store',
): void {
  for (const adapter of Object.keys(SERVERS) as AdapterName[]) {
    describe(`${title} [${adapter}${mode === 'store' ? '' : `, ${mode}`}]`, () => {
      const scenario = { adapter } as Scenario
      beforeEach(async () => {
        scenario.world = createWorld(mode)
        scenario.app = await SERVERS[adapter](scenario.world)
        scenario.browser = new Browser(scenario.app.url)
        scenario.newBrowser = () => new Browser(scenario.app.url)
      })
      afterEach(() => scenario.app.close())
      suite(scenario)
    })
  }
}
