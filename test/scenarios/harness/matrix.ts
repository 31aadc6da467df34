// Runs one scenario suite against every front door (like h3's describeMatrix): a fresh world and server per test.
import { afterEach, beforeEach, describe } from 'vitest'
import { Browser } from './client.ts'
import { startIntegration, type IntegrationName } from './doors.ts'
import { SERVERS, type AdapterName, type Running } from './servers.ts'
import { createWorld, type Mode, type World } from './world.ts'

/** A front door: one of the five adapters or one of the framework integrations (see doors.ts). */
export type DoorName = AdapterName | IntegrationName

/** The five adapters, the matrix of every suite that predates the integrations. */
export const ADAPTERS = Object.keys(SERVERS) as AdapterName[]

/** The integrations, each driven through its own entry point (doors.ts). */
export const INTEGRATIONS: readonly IntegrationName[] = [
  'astro',
  'sveltekit',
  'tanstack-route',
  'tanstack-fn',
  'next-route',
  'next-action',
]

/** All nine front doors (Next.js and TanStack Start each twice: routes and server functions/actions). */
export const ALL_DOORS: readonly DoorName[] = [...ADAPTERS, ...INTEGRATIONS]

/** What each scenario gets: the server-side world, the running app and a fresh browser. */
export interface Scenario {
  /** The front door under test (named `adapter` since the matrix began with the adapters). */
  readonly adapter: DoorName
  world: World
  app: Running
  browser: Browser
  /** Another browser on the same app (a second user, or an attacker). */
  newBrowser(): Browser
}

/** Serves `world` through `door`. */
export function startDoor(door: DoorName, world: World): Promise<Running> {
  return door in SERVERS
    ? SERVERS[door as AdapterName](world)
    : startIntegration(door as IntegrationName, world)
}

/** Declares `suite` once per front door in `doors` (in the given session mode); `scenario` is filled before each test. */
export function describeMatrix(
  title: string,
  suite: (scenario: Scenario) => void,
  mode: Mode = 'store',
  doors: readonly DoorName[] = ADAPTERS,
): void {
  for (const door of doors) {
    describe(`${title} [${door}${mode === 'store' ? '' : `, ${mode}`}]`, () => {
      const scenario = { adapter: door } as Scenario
      beforeEach(async () => {
        scenario.world = createWorld(mode)
        scenario.app = await startDoor(door, scenario.world)
        scenario.browser = new Browser(scenario.app.url)
        scenario.newBrowser = () => new Browser(scenario.app.url)
      })
      afterEach(() => scenario.app?.close())
      suite(scenario)
    })
  }
}
