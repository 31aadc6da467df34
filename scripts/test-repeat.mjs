// Runs one test file N times in a row (default 20) and stops at the first failure: the flakiness check.
import { spawnSync } from 'node:child_process'

const [file, timesArg = '20', ...rest] = process.argv.slice(2)
const times = Number(timesArg)
if (!file || !Number.isInteger(times) || times < 1) {
  console.error('usage: npm run test:repeat -- <test file> [times=20] [extra vitest args]')
  process.exit(2)
}
for (let run = 1; run <= times; run++) {
  const started = Date.now()
  const result = spawnSync('npx', ['vitest', 'run', file, ...rest], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  })
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  if (result.status !== 0) {
    process.stdout.write(result.stdout)
    process.stderr.write(result.stderr)
    console.error(`${file}: failed on run ${run} of ${times} (${seconds} s)`)
    process.exit(1)
  }
  console.log(`${file}: run ${run}/${times} passed (${seconds} s)`)
}
console.log(`${file}: ${times} passed, 0 failed`)
