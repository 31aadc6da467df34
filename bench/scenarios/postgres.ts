// Scenarios on PostgreSQL: one raw SELECT by primary key (the limit), hallpass/node and hallpass/express on the
// Postgres store, and express-session with connect-pg-simple. The server's URL comes in HALLPASS_BENCH_POSTGRES_URL.
import { randomBytes } from 'node:crypto'
import { createServer, type ServerResponse } from 'node:http'
import connectPgSimple from 'connect-pg-simple'
import express from 'express'
import expressSession from 'express-session'
import { createSessions, type Session } from 'hallpass'
import { session as hallpassSession } from 'hallpass/express'
import { postgresStore } from 'hallpass/stores/postgres'
import pg from 'pg'
import {
  NO_CSRF,
  closeServer,
  listen,
  pathOf,
  SECRET,
  userFrom,
  type ScenarioServer,
} from './common.ts'
import { PG_TABLES } from '../lib/postgres.ts'
import { hallpassServer } from './node.ts'

/** The pool size of every Postgres scenario: pg's default (10), what a user gets. */
function pool(): pg.Pool {
  const url = process.env.HALLPASS_BENCH_POSTGRES_URL
  if (!url) throw new Error('HALLPASS_BENCH_POSTGRES_URL is not set (bench/run.ts sets it)')
  const client = new pg.Pool({ connectionString: url })
  client.on('error', (err: unknown) => console.error('postgres pool error', err))
  return client
}

function send(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status
  res.end(body)
}

const RAW_COOKIE = 'raw='

/** The limit: an unsigned random id in the cookie and one statement by primary key per request. */
export async function rawPostgres(): Promise<ScenarioServer> {
  const db = pool()
  const read = `SELECT user_id FROM ${PG_TABLES.raw} WHERE id = $1`
  const write = `UPDATE ${PG_TABLES.raw} SET counter = counter + 1 WHERE id = $1 RETURNING counter`
  const server = createServer((req, res) => {
    const path = pathOf(req)
    const header = req.headers.cookie ?? ''
    const at = header.indexOf(RAW_COOKIE)
    const id = at === -1 ? undefined : header.slice(at + RAW_COOKIE.length).split(';')[0]
    const fail = (): void => send(res, 500, '')
    if (path === '/login') {
      const sid = randomBytes(32).toString('base64url')
      res.setHeader('set-cookie', `${RAW_COOKIE}${sid}; Path=/; HttpOnly; SameSite=Lax`)
      return void db
        .query(`INSERT INTO ${PG_TABLES.raw} (id, user_id, counter) VALUES ($1, $2, 0)`, [
          sid,
          userFrom(req.url),
        ])
        .then(() => send(res, 200, 'ok'), fail)
    }
    if (!id) return send(res, path === '/read' || path === '/write' ? 401 : 404, '')
    const run = (sql: string, column: string): void =>
      void db.query(sql, [id]).then((r) => {
        const row = r.rows[0] as Record<string, unknown> | undefined
        send(res, row ? 200 : 401, row ? String(row[column]) : '')
      }, fail)
    if (path === '/read') return run(read, 'user_id')
    if (path === '/write') return run(write, 'counter')
    send(res, 404, '')
  })
  return {
    port: await listen(server),
    close: async () => {
      await closeServer(server)
      await db.end()
    },
  }
}

/** hallpass/node on the Postgres store (a pg Pool, every option the default). */
export async function hallpassNodePostgres(): Promise<ScenarioServer> {
  const db = pool()
  return hallpassServer(postgresStore({ client: db, table: PG_TABLES.hallpass }), () => db.end())
}

/** Both Express scenarios answer the same three routes from their own session object. */
function expressApp(
  use: express.RequestHandler,
  read: (req: express.Request) => string | undefined,
  login: (req: express.Request, user: string) => Promise<void> | void,
  bump: (req: express.Request) => number | undefined,
): express.Express {
  const app = express()
  app.use(use)
  app.post('/login', async (req, res) => {
    await login(req, userFrom(req.url))
    res.send('ok')
  })
  app.get('/read', (req, res) => {
    const user = read(req)
    if (user === undefined) return void res.status(401).end()
    res.send(user)
  })
  app.post('/write', (req, res) => {
    const counter = bump(req)
    if (counter === undefined) return void res.status(401).end()
    res.send(String(counter))
  })
  return app
}

async function startExpress(app: express.Express, db: pg.Pool): Promise<ScenarioServer> {
  const server = createServer(app)
  return {
    port: await listen(server),
    close: async () => {
      await closeServer(server)
      await db.end()
    },
  }
}

interface PeerData {
  userId?: string
  counter?: number
}

/**
 * express-session 1.19 with connect-pg-simple 10 on the same pg Pool: `resave: false`, `saveUninitialized: false`,
 * `cookie.secure: false`; connect-pg-simple's defaults otherwise (touch on: a read that does not save sends an UPDATE
 * of the expiry after its SELECT; its own expired-row pruning every 15 minutes).
 */
export async function expressSessionPostgres(): Promise<ScenarioServer> {
  const db = pool()
  const PgStore = connectPgSimple(expressSession)
  const data = (req: express.Request): PeerData => req.session as unknown as PeerData
  const app = expressApp(
    expressSession({
      store: new PgStore({ pool: db, tableName: PG_TABLES.peer }),
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: { secure: false },
    }),
    (req) => data(req).userId,
    (req, user) => {
      data(req).userId = user
      data(req).counter = 0
    },
    (req) => {
      const session = data(req)
      if (session.userId === undefined) return undefined
      session.counter = (session.counter ?? 0) + 1
      return session.counter
    },
  )
  return startExpress(app, db)
}

/** hallpass/express on the Postgres store (a pg Pool), every option the default. */
export async function hallpassExpressPostgres(): Promise<ScenarioServer> {
  const db = pool()
  const handle = (req: express.Request): Session => req.session as unknown as Session
  const app = expressApp(
    hallpassSession(
      createSessions({
        secret: SECRET,
        cookie: { secure: false },
        store: postgresStore({ client: db, table: PG_TABLES.hallpass }),
      }),
      NO_CSRF,
    ),
    (req) => handle(req).userId ?? undefined,
    async (req, user) => {
      await handle(req).login(user)
      handle(req).set('counter', 0)
    },
    (req) => {
      const session = handle(req)
      if (session.userId === null) return undefined
      const counter = ((session.get('counter') as number | undefined) ?? 0) + 1
      session.set('counter', counter)
      return counter
    },
  )
  return startExpress(app, db)
}
