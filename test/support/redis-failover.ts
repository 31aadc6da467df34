// Failover rounds under load: revoke, crash the primary right after the acknowledgement, count what came back.
import { expect, it } from 'vitest'
import type { Sessions } from '../../src/index.ts'
import { redisStore, type RedisClientLike } from '../../src/stores/redis/index.ts'
import { uniquePrefix } from './redis.ts'
import { cookiePair, testSessions } from './sessions.ts'

/** Failovers per case: `npm test` runs 1; `HA_ROUNDS=5 npx vitest run test/redis/failover-` gives the figures in docs/redis.md. */
export const ROUNDS = Number(process.env.HA_ROUNDS ?? 1)
/** One-way delay of the replication stream (a replica in another zone); 0 for a replica on the same host. */
export const LINK_DELAY_MS = Number(process.env.HA_LINK_DELAY_MS ?? 5)
/** The durability setting under test. */
export const DURABILITY = { replicas: 1, timeoutMs: 500 }
/** A test's own time bound, from its number of rounds. */
export const TIME_LIMIT = 60_000 + ROUNDS * 30_000

/** A client the test owns. */
export interface Client {
  readonly name: string
  readonly client: RedisClientLike
  close(): Promise<unknown>
}

/** One door per client, all on one prefix, with or without durability. */
function doors(clients: readonly Client[], durable: boolean, prefix: string): Door[] {
  return clients.map(({ name, client }) => ({
    name,
    sessions: testSessions({
      store: redisStore({ client, prefix, ...(durable && { durability: DURABILITY }) }),
    }).sessions,
  }))
}

/** One app process: a manager on its own Redis client. */
export interface Door {
  readonly name: string
  readonly sessions: Sessions
}

/** What the rounds need from a replicated Redis set-up. */
export interface Topology {
  healthy(): Promise<void>
  /** Picks the primary this round crashes; returns its port. */
  target(): Promise<number>
  /** Whether this user's keys live on that primary (the round only uses such users). */
  onTarget(userId: string): boolean
  /** SIGKILL of that primary (synchronous: it happens right after the acknowledgement). */
  crash(port: number): void
  failedOver(port: number): Promise<void>
  /** The crashed node back, empty, as a replica (a supervisor restarting it). */
  rejoin(port: number): Promise<void>
}

/** The figures docs/redis.md reports. */
export interface Figures {
  rounds: number
  /** Revocations acknowledged to the app. */
  revoked: number
  /** Sessions of an acknowledged revocation that load as signed in after the failover. */
  revokedBack: number
  /** Logins acknowledged (a cookie was issued). */
  logins: number
  /** Acknowledged logins whose session is gone after the failover. */
  loginsLost: number
  /** Requests answered STORE_UNAVAILABLE (503) from the crash until every door works again. */
  unavailable: number
  /** Errors other than STORE_UNAVAILABLE (a 500): must stay 0. */
  otherErrors: string[]
  /** Per round, ms from the crash until every door's reads succeed again. */
  readRecoveryMs: number[]
  /** Per round, ms from the crash until every door's logins succeed again. */
  loginRecoveryMs: number[]
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const VICTIMS_PER_DOOR = 3
const LOOPS_PER_DOOR = 2
const RECOVERY_LIMIT_MS = 30_000

async function login(sessions: Sessions, userId: string): Promise<string> {
  const session = await sessions.load()
  await session.login(userId)
  return cookiePair((await session.commit()).cookies[0])
}

async function signedIn(sessions: Sessions, cookie: string): Promise<boolean> {
  return (await sessions.load({ cookie })).userId !== null
}

/**
 * Set-up, not a measurement: logs in once the door can (its client has found the primary again, and on a
 * loaded machine a durable login may fail closed on its first try), and returns the cookie.
 */
async function ready(door: Door, userId: string): Promise<string> {
  const deadline = Date.now() + RECOVERY_LIMIT_MS
  for (;;) {
    try {
      return await login(door.sessions, userId)
    } catch (err) {
      if (Date.now() > deadline) throw err
      await sleep(50)
    }
  }
}

function codeOf(err: unknown): string {
  return (err as { code?: string }).code ?? String(err)
}

/** Runs `rounds` failovers, each under load from every door, and returns the totals. */
export async function failoverRounds(
  doors: readonly Door[],
  topology: Topology,
  rounds: number,
  label: string,
): Promise<Figures> {
  const figures: Figures = {
    rounds,
    revoked: 0,
    revokedBack: 0,
    logins: 0,
    loginsLost: 0,
    unavailable: 0,
    otherErrors: [],
    readRecoveryMs: [],
    loginRecoveryMs: [],
  }
  for (let round = 0; round < rounds; round++) {
    await topology.healthy()
    const tag = `${label}${round}-${Date.now().toString(36)}`
    await Promise.all(doors.map((door) => ready(door, `${tag}-ready`)))
    const port = await topology.target()
    let names = 0
    /** A new user id whose keys live on the primary this round crashes. */
    const user = (kind: string): string => {
      for (;;) {
        const userId = `${tag}-${kind}${(names += 1)}`
        if (topology.onTarget(userId)) return userId
      }
    }
    // Victims: signed in on every door before the round starts.
    const victims = await Promise.all(
      doors.flatMap((door) =>
        Array.from({ length: VICTIMS_PER_DOOR }, async () => {
          const userId = user('v')
          return { door, userId, cookie: await ready(door, userId) }
        }),
      ),
    )
    let crashedAt = Number.POSITIVE_INFINITY
    let stop = false
    const acked: Array<{ door: Door; cookie: string }> = []
    const firstOk = doors.map(() => ({ read: Number.NaN, login: Number.NaN, last: '' }))
    const loops = doors.flatMap((door, d) =>
      Array.from({ length: LOOPS_PER_DOOR }, async (_, l) => {
        for (let n = 0; !stop; n++) {
          const reading = n % 2 === 1 && acked.length > 0
          const started = Date.now()
          try {
            if (reading) {
              const pick = acked[(n * 7 + l) % acked.length] as { door: Door; cookie: string }
              await signedIn(door.sessions, pick.cookie)
            } else {
              acked.push({ door, cookie: await login(door.sessions, user('l')) })
            }
            const done = Date.now()
            const first = firstOk[d] as { read: number; login: number; last: string }
            if (started > crashedAt && reading && Number.isNaN(first.read)) first.read = done
            if (started > crashedAt && !reading && Number.isNaN(first.login)) first.login = done
            await sleep(2)
          } catch (err) {
            if (codeOf(err) === 'STORE_UNAVAILABLE') figures.unavailable += 1
            else figures.otherErrors.push(`${door.name}: ${codeOf(err)}`)
            ;(firstOk[d] as { last: string }).last = (err as Error).message
            await sleep(10)
          }
        }
      }),
    )
    await sleep(150)
    // Revoke every victim at once; the primary dies right after the first acknowledgement.
    const crash = (): void => {
      if (crashedAt !== Number.POSITIVE_INFINITY) return
      topology.crash(port)
      crashedAt = Date.now()
    }
    const revocations = await Promise.allSettled(
      victims.map(async (victim) => {
        await victim.door.sessions.revokeUserSessions(victim.userId)
        crash()
        return victim
      }),
    )
    crash()
    await topology.failedOver(port)
    await topology.rejoin(port)
    const deadline = Date.now() + RECOVERY_LIMIT_MS
    while (firstOk.some((f) => Number.isNaN(f.read) || Number.isNaN(f.login))) {
      if (Date.now() > deadline)
        throw new Error(
          `${label}: not every door recovered within ${RECOVERY_LIMIT_MS} ms: ${JSON.stringify(
            firstOk.map((f, d) => ({ door: doors[d]?.name, ...f })),
          )}`,
        )
      await sleep(20)
    }
    stop = true
    await Promise.all(loops)
    figures.readRecoveryMs.push(Math.max(...firstOk.map((f) => f.read)) - crashedAt)
    figures.loginRecoveryMs.push(Math.max(...firstOk.map((f) => f.login)) - crashedAt)
    await topology.healthy()
    for (const outcome of revocations) {
      if (outcome.status !== 'fulfilled') continue
      figures.revoked += 1
      if (await signedIn(outcome.value.door.sessions, outcome.value.cookie))
        figures.revokedBack += 1
    }
    figures.logins += acked.length
    for (const { door, cookie } of acked)
      if (!(await signedIn(door.sessions, cookie))) figures.loginsLost += 1
  }
  return figures
}

/** One line for the test log and docs/redis.md. */
export function describeFigures(label: string, f: Figures): string {
  const median = (list: number[]): number =>
    [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? Number.NaN
  return `[failover] ${label}: ${f.rounds} rounds; revoked ${f.revoked}, working again ${f.revokedBack}; logins ${f.logins}, lost ${f.loginsLost}; 503s ${f.unavailable}; reads back after ${median(f.readRecoveryMs)} ms (median; max ${Math.max(...f.readRecoveryMs)}), logins back after ${median(f.loginRecoveryMs)} ms (median; max ${Math.max(...f.loginRecoveryMs)})`
}

/** One topology's failover cases (see `failoverCases`). */
export interface FailoverSetup {
  /** The topology as the log line names it: `Cluster`, `Sentinel`. */
  readonly name: string
  /** The rounds' label: `<label>+wait` with durability, `<label>` without. */
  readonly label: string
  /** Labels of the key prefixes (`uniquePrefix`) of the case with durability and of the case without. */
  readonly prefixes: readonly [durable: string, plain: string]
  /** The clients, one door each (filled in by the file's `beforeAll`). */
  readonly clients: readonly Client[]
  /** A fresh topology per case. */
  readonly topology: () => Topology
}

/**
 * The two cases every topology runs, as tests (call inside its `describe`): with durability, no acknowledged
 * revocation or login is undone by a failover; without it, the rounds record what a failover undoes.
 */
export function failoverCases(setup: FailoverSetup): void {
  const run = async (durable: boolean): Promise<Figures> => {
    const figures = await failoverRounds(
      doors(setup.clients, durable, uniquePrefix(setup.prefixes[durable ? 0 : 1])),
      setup.topology(),
      ROUNDS,
      durable ? `${setup.label}+wait` : setup.label,
    )
    const durability = durable ? 'durability { replicas: 1 }' : 'no durability'
    console.log(describeFigures(`${setup.name}, ${durability}, link +${LINK_DELAY_MS} ms`, figures))
    expect(figures.otherErrors).toEqual([])
    return figures
  }
  it(
    'with durability, no acknowledged revocation or login is undone by a failover',
    async () => {
      const figures = await run(true)
      expect(figures.revokedBack).toBe(0)
      expect(figures.loginsLost).toBe(0)
    },
    TIME_LIMIT,
  )
  it(
    'without durability, records what a failover undoes',
    async () => {
      const figures = await run(false)
      expect(figures.revoked).toBeGreaterThan(0)
    },
    TIME_LIMIT,
  )
}
