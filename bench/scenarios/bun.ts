// Bun entry of the fetch scenarios (bench/lib/children.ts starts it): HALLPASS_BENCH_FETCH=bare|hallpass, prints {"port"}.
import { clientIp } from 'hallpass/bun'
import { bareFetch, hallpassFetchMemory } from './fetch.ts'

declare const Bun: {
  env: Record<string, string | undefined>
  serve(options: { port: number; hostname: string; fetch: unknown }): { port: number }
}

const fetch =
  Bun.env.HALLPASS_BENCH_FETCH === 'hallpass' ? hallpassFetchMemory(clientIp) : bareFetch()
console.log(JSON.stringify({ port: Bun.serve({ port: 0, hostname: '127.0.0.1', fetch }).port }))
