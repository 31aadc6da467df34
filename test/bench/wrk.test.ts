// The wrk report parser and the checks that make a bench run fail: non-2xx answers, socket errors, no requests.
import { describe, expect, it } from 'vitest'
import { parseWrk, problems } from '../../bench/lib/wrk.ts'
import { median } from '../../bench/lib/report.ts'

const REPORT = `Running 1s test @ http://127.0.0.1:45678/read
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   568.74us    1.38ms  17.05ms   91.92%
    Req/Sec    11.42k     5.34k   16.14k    70.00%
  Latency Distribution
     50%  119.00us
     75%  233.00us
     90%    1.55ms
     99%    7.62ms
  22700 requests in 1.00s, 3.07MB read
Requests/sec:  22691.35
Transfer/sec:      3.07MB
`

describe('parseWrk', () => {
  it('reads req/s, p99 in ms and the request count', () => {
    const result = parseWrk(REPORT)
    expect(result).toMatchObject({
      requests: 22700,
      seconds: 1,
      rps: 22691.35,
      p99: 7.62,
      non2xx: 0,
    })
    expect(problems(result)).toEqual([])
  })

  it('converts p99 given in microseconds or seconds', () => {
    expect(parseWrk(REPORT.replace('99%    7.62ms', '99%  950.00us')).p99).toBeCloseTo(0.95)
    expect(parseWrk(REPORT.replace('99%    7.62ms', '99%    1.20s')).p99).toBe(1200)
  })

  it('reports non-2xx answers and socket errors as problems', () => {
    const bad = REPORT.replace(
      'Requests/sec',
      '  Socket errors: connect 0, read 2, write 0, timeout 3\n  Non-2xx or 3xx responses: 5\nRequests/sec',
    )
    expect(problems(parseWrk(bad))).toEqual([
      '5 non-2xx responses',
      '2 socket read errors',
      '3 socket timeout errors',
    ])
  })

  it('reports a run with no completed request', () => {
    expect(problems(parseWrk(REPORT.replace('22700 requests', '0 requests')))).toContain(
      'no requests completed in 1 s of wrk',
    )
  })

  it('throws on output it cannot read', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(
      /cannot parse wrk output/,
    )
  })
})

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNaN()
  })
})
