// Entry file Deno runs (`deno run --conditions=hallpass-source`): one Deno.serve per scenario app, ports printed as one JSON line.
import { clientIp, honoClientIp } from 'hallpass/deno'
import { buildApps } from './app.ts'

declare const Deno: {
  env: { get(name: string): string | undefined }
  serve(
    options: { port: number; hostname: string; onListen(): void },
    handler: (request: Request, info: unknown) => Promise<Response>,
  ): { addr: { port: number } }
}

const apps = await buildApps(Deno.env.get('REDIS_URL') ?? '', { clientIp, honoClientIp })
const ports: Record<string, number> = {}
for (const [name, handler] of Object.entries(apps))
  ports[name] = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, handler).addr.port
console.log(JSON.stringify(ports))
