// The token lookup's clone is cancelled: it keeps none of the body the handler reads (own file: a clean heap).
import { expect, it } from 'vitest'
import { readFormToken } from '../../src/csrf/form-token.ts'
import {
  countingBody,
  drain,
  liveArrayBuffers,
  streamedPost,
  URLENCODED,
} from '../support/form-bodies.ts'

const MiB = 1024 * 1024

it('a handler streaming 256 MiB behind a token holds a few chunks: the cancelled clone keeps none', async () => {
  const body = countingBody('_csrf=tok3n&data=', 256 * MiB, 64 * 1024)
  const request = streamedPost('http://app.test/upload', URLENCODED, body.stream)
  const before = await liveArrayBuffers()
  expect(await readFormToken(request)).toBe('tok3n')
  const samples: number[] = []
  const read = await drain(request.body, async (total) => {
    if (total % (32 * MiB) === 0) samples.push((await liveArrayBuffers()) - before)
  })
  expect(read).toBe(256 * MiB)
  expect(samples).toHaveLength(8)
  // A clone left uncancelled would hold every chunk read so far; a clone read whole, every chunk not yet read.
  for (const live of samples) expect(live).toBeLessThan(4 * MiB)
})
