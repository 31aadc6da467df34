// Deno entry of the fetch scenarios (bench/lib/children.ts starts it): HALLPASS_BENCH_FETCH=bare|hallpass, prints {"port"}.
import { clientIp } from 'hallpass/deno'
import { bareFetch, hallpassFetchMemory, type FetchScenario } from './fetch.ts'

declare const Deno: {
  env: { get(name: string): string | undefined }
  serve(
    options: { port: number; hostname: string; onListen(): void },
    handler: FetchScenario,
  ): { addr: { port: number } }
}

const handler =
  Deno.env.get('HALLPASS_BENCH_FETCH') === 'hallpass' ? hallpassFetchMemory(clientIp) : bareFetch()
const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, handler)
console.log(JSON.stringify({ port: server.addr.port }))
