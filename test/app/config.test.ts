// The demo's configuration: defaults, validation, secret rotation; and the server process (one line and exit 1 on bad config).
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { get } from 'node:https'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../demo/config.ts'
import { selfSignedCertificate } from '../support/tls.ts'

const GOOD_SECRET = 'a-production-secret-0123456789-abcdef'

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      production: false,
      port: 3000,
      host: '127.0.0.1',
      appOrigin: 'http://localhost:3000',
      secretGenerated: true,
      redisUrl: undefined,
      redisClusterNodes: undefined,
      databasePath: './data/hallpass-demo.db',
      idleTimeout: 1800,
      absoluteTimeout: 86_400,
      rememberTimeout: 2_592_000,
      touchInterval: 60,
      maxSessionsPerUser: 10,
      loginMaxFailures: 5,
      loginIpMaxFailures: 50,
      lockoutSeconds: 900,
      trustProxy: false,
      adminPassword: 'admin-password-123',
      userPassword: 'user-password-123',
    })
    expect(config).toMatchObject({ deviceBound: false, deviceBoundCookieTtl: 600, tls: undefined })
    expect(typeof config.secret === 'string' && config.secret.length >= 32).toBe(true)
    expect(loadConfig({ PORT: '4100' }).appOrigin).toBe('http://localhost:4100')
    const tls = loadConfig({ TLS_CERT_FILE: 'cert.pem', TLS_KEY_FILE: 'key.pem' })
    expect(tls).toMatchObject({
      appOrigin: 'https://localhost:3000',
      tls: { certFile: 'cert.pem', keyFile: 'key.pem' },
    })
  })

  it('requires a secret of 32+ characters in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError)
    expect(() => loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'short' })).toThrow(
      /at least 32 characters/,
    )
    expect(() => loadConfig({ SESSION_SECRET: 'short' })).toThrow(/at least 32/)
    expect(loadConfig({ NODE_ENV: 'production', SESSION_SECRET: GOOD_SECRET })).toMatchObject({
      production: true,
      secret: GOOD_SECRET,
      secretGenerated: false,
    })
  })

  it('lists SESSION_SECRET then SESSION_SECRET_PREVIOUS (newest first): key ids come from the secrets, not their places', () => {
    const older = 'o'.repeat(16) + '0123456789abcdef'
    const old = 'p'.repeat(16) + '0123456789abcdef'
    expect(
      loadConfig({ SESSION_SECRET: GOOD_SECRET, SESSION_SECRET_PREVIOUS: old }).secret,
    ).toEqual([GOOD_SECRET, old])
    expect(
      loadConfig({ SESSION_SECRET: GOOD_SECRET, SESSION_SECRET_PREVIOUS: ` ${old} , ${older} ` })
        .secret,
    ).toEqual([GOOD_SECRET, old, older])
    expect(() =>
      loadConfig({ SESSION_SECRET: GOOD_SECRET, SESSION_SECRET_PREVIOUS: 'too-short' }),
    ).toThrow(/SESSION_SECRET_PREVIOUS\[0\]/)
  })

  it('refuses bad values with a message naming the variable', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ PORT: 'eighty' }, /^PORT must be/],
      [{ SESSION_IDLE_TIMEOUT: '0' }, /^SESSION_IDLE_TIMEOUT/],
      [{ SESSION_IDLE_TIMEOUT: '90000' }, /must not exceed SESSION_ABSOLUTE_TIMEOUT/],
      [{ SESSION_TOUCH_INTERVAL: '1800' }, /SESSION_TOUCH_INTERVAL/],
      [{ APP_ORIGIN: 'http://localhost:3000/' }, /^APP_ORIGIN/],
      [{ REDIS_URL: 'localhost:6379' }, /^REDIS_URL/],
      [{ REDIS_CLUSTER_NODES: 'a:1,b' }, /^REDIS_CLUSTER_NODES/],
      [{ REDIS_URL: 'redis://a', REDIS_CLUSTER_NODES: 'a:1' }, /not both/],
      [{ POSTGRES_URL: 'localhost:5432' }, /^POSTGRES_URL/],
      [{ POSTGRES_URL: 'postgres://a', REDIS_URL: 'redis://a' }, /not both/],
      [{ TRUST_PROXY: 'maybe' }, /^TRUST_PROXY/],
      [{ LOGIN_MAX_FAILURES: '-1' }, /^LOGIN_MAX_FAILURES/],
      [{ DEMO_ADMIN_PASSWORD: 'short' }, /^DEMO_ADMIN_PASSWORD/],
      [{ TLS_CERT_FILE: 'cert.pem' }, /set both TLS_CERT_FILE and TLS_KEY_FILE/],
      [{ DEVICE_BOUND_COOKIE_TTL: '5' }, /^DEVICE_BOUND_COOKIE_TTL must be a whole number from 10/],
    ]
    for (const [env, message] of cases)
      expect(() => loadConfig(env), JSON.stringify(env)).toThrow(message)
    expect(
      loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000, redis-2:7001' }).redisClusterNodes,
    ).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: 'redis-2', port: 7001 },
    ])
  })
})

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Runs demo/server.ts as `npm start` does, until it prints its URL (then `whileUp`, then SIGTERM) or exits. */
function runServer(
  env: Record<string, string>,
  whileUp: () => Promise<void> = async () => undefined,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=hallpass-source', 'demo/server.ts'],
      {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      if (stdout.includes('user@example.com')) void whileUp().finally(() => child.kill('SIGTERM'))
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }))
  })
}

describe('the server process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-demo-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('starts, prints its URL and the demo accounts, and warns about the generated secret', async () => {
    const port = await freePort()
    const run = await runServer({ PORT: String(port), DATABASE_PATH: join(dir, 'demo.db') })
    expect(run.stdout).toContain(`running at http://localhost:${port} `)
    expect(run.stdout).toContain('admin@example.com / admin-password-123')
    expect(run.stdout).toContain('user@example.com  / user-password-123')
    expect(run.stderr).toMatch(/SESSION_SECRET is not set/)
    expect(run.ms).toBeLessThan(15_000)
  })

  it('serves HTTPS with TLS_CERT_FILE and TLS_KEY_FILE, with Secure cookies', async () => {
    const port = await freePort()
    const certificate = selfSignedCertificate()
    const ca = readFileSync(certificate.certFile)
    let answer: { status: number | undefined; cookies: string[] } | undefined
    const tls = { TLS_CERT_FILE: certificate.certFile, TLS_KEY_FILE: certificate.keyFile }
    const env = { PORT: String(port), DATABASE_PATH: join(dir, 'tls.db'), ...tls }
    const run = await runServer(env, async () => {
      answer = await new Promise((resolve, reject) => {
        get({ host: '127.0.0.1', port, path: '/login', ca, servername: 'localhost' }, (res) => {
          res.resume()
          resolve({ status: res.statusCode, cookies: res.headers['set-cookie'] ?? [] })
        }).on('error', reject)
      })
    })
    expect(run.stdout).toContain(`running at https://localhost:${port} `)
    expect(answer?.status).toBe(200)
    expect(answer?.cookies).toEqual([expect.stringMatching(/^__Host-hp-csrf=.*; Secure/)])
  })

  it('exits 1 with one clear line: a TLS file that cannot be read', async () => {
    const tls = {
      TLS_CERT_FILE: join(dir, 'missing.pem'),
      TLS_KEY_FILE: join(dir, 'missing-key.pem'),
    }
    const env = { ...tls, DATABASE_PATH: join(dir, 't.db') }
    const run = await runServer(env)
    expect(run.code).toBe(1)
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^hallpass demo: cannot read TLS_CERT_FILE/),
    ])
  })

  it('exits 1 with one clear line: production without a secret', async () => {
    const run = await runServer({ NODE_ENV: 'production', DATABASE_PATH: join(dir, 'p.db') })
    expect(run.code).toBe(1)
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^hallpass demo: SESSION_SECRET is required when NODE_ENV=production/),
    ])
  })

  it('exits 1 with one clear line: a secret that is too short', async () => {
    const run = await runServer({
      NODE_ENV: 'production',
      SESSION_SECRET: 'tooshort',
      DATABASE_PATH: join(dir, 'p.db'),
    })
    expect(run.code).toBe(1)
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^hallpass demo: SESSION_SECRET must be at least 32 characters/),
    ])
  })

  it('exits 1 with one clear line: Redis unreachable at startup', async () => {
    const run = await runServer({
      SESSION_SECRET: GOOD_SECRET,
      REDIS_URL: 'redis://127.0.0.1:1',
      DATABASE_PATH: join(dir, 'r.db'),
    })
    expect(run.code).toBe(1)
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^hallpass demo: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/),
    ])
  })

  it('exits 1 with one clear line: Postgres unreachable at startup (its password not shown)', async () => {
    const run = await runServer({
      SESSION_SECRET: GOOD_SECRET,
      POSTGRES_URL: 'postgres://app:hunter2@127.0.0.1:1/app',
      DATABASE_PATH: join(dir, 'pg.db'),
    })
    expect(run.code).toBe(1)
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^hallpass demo: cannot set up Postgres at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/app/,
      ),
    ])
    expect(run.stderr).not.toContain('hunter2')
  })
})
