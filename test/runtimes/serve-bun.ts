// Entry file Bun runs (`bun --conditions=hallpass-source`): one Bun.serve per scenario app, ports printed as one JSON line.
import { clientIp, honoClientIp } from 'hallpass/bun'
import { buildApps } from './app.ts'

declare const Bun: {
  serve(options: {
    port: number
    hostname: string
    fetch(request: Request, server: unknown): Promise<Response>
  }): { port: number }
}
declare const process: { env: Record<string, string | undefined> }

const apps = await buildApps(process.env.REDIS_URL ?? '', { clientIp, honoClientIp })
const ports: Record<string, number> = {}
for (const [name, fetch] of Object.entries(apps))
  ports[name] = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch }).port
console.log(JSON.stringify(ports))
