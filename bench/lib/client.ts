// Setup requests from the bench itself (never under load): log in, check the cookie works, and create many sessions.

export interface Login {
  /** The Cookie request header to replay: every `name=value` the login set, joined with '; '. */
  readonly cookie: string
  /** Bytes of name=value of the cookies the login set (what a browser sends back on every request). */
  readonly bytes: number
}

/** A current desktop Chrome User-Agent (111 bytes): hallpass keeps the login's User-Agent and IP for its devices list. */
export const BROWSER_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

/** POST /login?user=<user> and collect the cookies it set. */
export async function login(
  base: string,
  user: string,
  headers: Record<string, string> = {},
): Promise<Login> {
  const res = await fetch(`${base}/login?user=${encodeURIComponent(user)}`, {
    method: 'POST',
    headers,
  })
  await res.arrayBuffer()
  if (res.status !== 200) throw new Error(`POST /login answered ${res.status}`)
  const pairs = res.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]?.trim() ?? '')
    .filter((pair) => pair.length > 0)
  if (pairs.length === 0) throw new Error('POST /login set no cookie')
  return {
    cookie: pairs.join('; '),
    bytes: pairs.reduce((sum, pair) => sum + Buffer.byteLength(pair), 0),
  }
}

/** GET /read with the cookie must answer 200 with the user id: proves the cookie carries a valid session before load starts. */
export async function checkRead(
  base: string,
  cookie: string,
  user: string | undefined,
): Promise<void> {
  const res = await fetch(`${base}/read`, { headers: { cookie } })
  const body = await res.text()
  if (res.status !== 200 || (user !== undefined && body !== user))
    throw new Error(
      `GET /read with the login cookie answered ${res.status} ${JSON.stringify(body.slice(0, 200))}`,
    )
}

/** POST /write with the cookie must answer 200 with a number. */
export async function checkWrite(base: string, cookie: string): Promise<void> {
  const res = await fetch(`${base}/write`, { method: 'POST', headers: { cookie } })
  const body = await res.text()
  if (res.status !== 200 || !/^\d+$/.test(body))
    throw new Error(
      `POST /write with the login cookie answered ${res.status} ${JSON.stringify(body.slice(0, 200))}`,
    )
}

/** Sequential requests for counting commands per request: `n` reads or writes with one cookie. */
export async function sequential(
  base: string,
  cookie: string,
  endpoint: 'read' | 'write',
  n: number,
): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${base}/${endpoint}`, {
      method: endpoint === 'read' ? 'GET' : 'POST',
      headers: { cookie },
    })
    await res.arrayBuffer()
    if (res.status !== 200)
      throw new Error(`${endpoint} answered ${res.status} while counting commands`)
  }
}

/** Logs in `count` distinct users (user-b0 ... user-b<count-1>) with a browser's User-Agent, `concurrency` at a time. */
export async function loginMany(base: string, count: number, concurrency = 16): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++
      await login(base, `user-b${i}`, { 'user-agent': BROWSER_UA })
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}
