// Entry file (Bun): a server on sqliteStore({ database: new Database(file) }) from bun:sqlite, port printed as one JSON line.
import { createSessions } from 'hallpass'
import { withSession } from 'hallpass/fetch'
import { sqliteStore, type SqliteDatabase } from 'hallpass/stores/sqlite'

const { Database } = (await import('bun:sqlite' as string)) as {
  Database: new (file: string) => SqliteDatabase
}

declare const Bun: {
  serve(options: { port: number; hostname: string; fetch(request: Request): Promise<Response> }): {
    port: number
  }
}
declare const process: { env: Record<string, string | undefined> }

const store = sqliteStore({ database: new Database(process.env.HALLPASS_SQLITE_FILE ?? '') })
const sessions = createSessions({
  secret: 'sq3Lk9Vb2Nm7Xc4Zq8Wr1Ty6Ue5Io0Pa3Sd7Fg2Hj',
  store,
  cookie: { secure: false },
})
const fetch = withSession(sessions, async (request, session) => {
  const url = new URL(request.url)
  if (request.method === 'POST') await session.login(url.searchParams.get('user') ?? 'alice')
  return Response.json({ userId: session.userId })
})
console.log(JSON.stringify({ port: Bun.serve({ port: 0, hostname: '127.0.0.1', fetch }).port }))
