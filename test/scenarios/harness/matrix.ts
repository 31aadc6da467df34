// Runs one scenario suite against every front door (like h3's describeMatrix): a fresh world and server per test.
import { afterEach, beforeEach, describe, expect } from 'vitest'
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

/**
 * The doors where the framework's own protocol owns the status of an error the app let through: a TanStack Start
 * server function answers the call with a 200 carrying the error's message only, a Next.js server action with its
 * 500 (the error, with its `code`, goes to Next's action runtime). Every other door lets hallpass set the status:
 * the pipeline's 401, 403, 409 or 503 (docs/frameworks.md, "Errors").
 */
export const FRAMEWORK_OWNS_STATUS: ReadonlySet<DoorName> = new Set(['tanstack-fn', 'next-action'])

/** The status `door` answers for an error the pipeline answers with `status` (see FRAMEWORK_OWNS_STATUS). */
export function errorStatus(door: DoorName, status: number): number {
  if (door === 'tanstack-fn') return 200
  return door === 'next-action' ? 500 : status
}

/**
 * The error `reply` carries, as the door's caller sees it: hallpass's JSON `{ error: { code } }`, Next's action
 * runtime's error with its `code`, or on a TanStack Start server function the message only (Start drops `code`).
 */
export function expectErrorCode(
  door: DoorName,
  reply: { json: { error: { code?: string; message?: string } } },
  code: string,
): void {
  if (door !== 'tanstack-fn') return void expect(reply.json.error.code).toBe(code)
  expect(Object.keys(reply.json.error)).toEqual(['message'])
  expect(reply.json.error.message).toMatch(/\S/)
}

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
