// Entry point of the reference app (`npm start`): reads the environment, builds the app, listens, prints the URL and demo accounts.
import type { Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { serve } from '@hono/node-server'
import { createApp } from './app.ts'
import { ConfigError, loadConfig, type AppConfig } from './config.ts'
import { createRuntime, type Runtime } from './runtime.ts'
import { readTls, type TlsCredentials } from './tls.ts'

/** Prints one line and exits 1: how every configuration mistake ends. */
function die(message: string): never {
  console.error(`hallpass demo: ${message}`)
  process.exit(1)
}

let config: AppConfig
let runtime: Runtime
let tls: TlsCredentials | undefined
try {
  config = loadConfig(process.env)
  tls = config.tls && readTls(config.tls)
  runtime = await createRuntime(config)
} catch (err) {
  if (err instanceof ConfigError) die(err.message)
  throw err
}

if (config.secretGenerated) {
  console.warn(
    'Warning: SESSION_SECRET is not set, so a random one is used for this run and sessions end when the server stops. Set SESSION_SECRET (openssl rand -base64 32) to keep them.',
  )
}

const app = createApp(runtime.deps)
// HTTPS when TLS_CERT_FILE and TLS_KEY_FILE are set (device-bound sessions need a secure origin), else HTTP.
const listen = { fetch: app.fetch, port: config.port, hostname: config.host }
const server = serve(
  tls ? { ...listen, createServer: createHttpsServer, serverOptions: tls } : listen,
  (info) => {
    const store =
      runtime.deps.storeKind === 'sqlite'
        ? `SQLite (${config.databasePath})`
        : runtime.deps.storeKind === 'postgres'
          ? 'Postgres'
          : config.redisUrl !== undefined
            ? 'Redis'
            : 'Redis Cluster'
    const listening = `${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}`
    console.log(
      `hallpass demo is running at ${config.appOrigin}  (listening on ${listening}, sessions in ${store})`,
    )
    if (config.production) {
      console.log(
        'Accounts: admin@example.com (admin) and user@example.com (user), with DEMO_ADMIN_PASSWORD and DEMO_USER_PASSWORD.',
      )
    } else {
      console.log(`Sign in as admin@example.com / ${config.adminPassword}  (admin)`)
      console.log(`        or user@example.com  / ${config.userPassword}  (user)`)
    }
    if (!runtime.seeded)
      console.log('(The database already existed: the accounts keep the passwords they had.)')
  },
)

server.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EADDRINUSE')
    die(`port ${config.port} on ${config.host} is already in use; set PORT to another port`)
  if (err.code === 'EACCES')
    die(`not allowed to listen on ${config.host}:${config.port}; set PORT above 1023`)
  die(`cannot listen on ${config.host}:${config.port}: ${err.message}`)
})

// One process (npm start runs node directly, no tsx CLI in between): SIGTERM or SIGINT, to this PID or
// forwarded by npm, stops taking connections, lets requests in flight finish, closes the store, exits 0.
let stopping = false
async function stop(): Promise<void> {
  if (stopping) return
  stopping = true
  const http = server as Server
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  http.closeIdleConnections() // kept-alive sockets with no request in flight
  setTimeout(() => http.closeAllConnections(), 5_000).unref() // requests still running after 5 s are cut
  await closed
  await runtime.close()
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
