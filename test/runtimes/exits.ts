// Entry file for the timers check: createSessions() at module scope, one session (the memory store's sweep starts), then nothing left to do.
import { createSessions } from 'hallpass'

const sessions = createSessions({ secret: 'Hq4tW9nBv2Lk7Xc1Rz8Md3Fp6Js0Ya5Ge2Tu9Oi4Nw' })
const session = await sessions.load()
await session.login('alice')
const { cookies } = await session.commit()
// The process must now end by itself: the sweep timer is unref'd, so it keeps nothing alive.
console.log(JSON.stringify({ committed: cookies.length }))
