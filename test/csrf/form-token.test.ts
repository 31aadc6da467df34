// The CSRF form-token lookup reads at most 64 KiB, from a tee it cancels: the attack, legit forms, the handler's copy.
import { describe, expect, it } from 'vitest'
import { FORM_TOKEN_BOUND, readFormToken } from '../../src/csrf/form-token.ts'
import {
  BOUNDARY,
  countingBody,
  MULTIPART,
  part,
  streamedPost,
  URLENCODED,
} from '../support/form-bodies.ts'

const URL_ = 'http://app.test/anything'
const TOKEN = 'tok3n_value-0123456789abcdefghijklmnopqrstuvwxyz'
const MiB = 1024 * 1024
const post = (type: string, body: string): Request =>
  new Request(URL_, { method: 'POST', headers: { 'content-type': type }, body })

describe('readFormToken: urlencoded', () => {
  it('finds the token at the start of a 1 MB form, and the handler still reads the whole body', async () => {
    const body = `_csrf=${TOKEN}&note=${'n'.repeat(MiB)}&last=end`
    const request = post(URLENCODED, body)
    expect(await readFormToken(request)).toBe(TOKEN)
    const text = await request.text()
    expect(text.length).toBe(body.length)
    expect(new URLSearchParams(text).get('last')).toBe('end')
  })

  it('finds a token anywhere in a form that fits the bound, percent-decoded', async () => {
    expect(
      await readFormToken(post(URLENCODED, `a=1&b=2&_csrf=${encodeURIComponent('a+b/c=')}`)),
    ).toBe('a+b/c=')
    expect(await readFormToken(post(`${URLENCODED}; charset=UTF-8`, `_csrf=${TOKEN}`))).toBe(TOKEN)
  })

  it('treats a token past the first 64 KiB as missing', async () => {
    expect(
      await readFormToken(post(URLENCODED, `pad=${'p'.repeat(FORM_TOKEN_BOUND)}&_csrf=${TOKEN}`)),
    ).toBeUndefined()
  })

  it('never returns a field the bound cuts in two', async () => {
    const pad = 'p'.repeat(FORM_TOKEN_BOUND - 'pad=&_csrf='.length - 10)
    const body = `pad=${pad}&_csrf=${TOKEN}&more=1`
    expect(body.indexOf(TOKEN)).toBeLessThan(FORM_TOKEN_BOUND)
    expect(body.indexOf(TOKEN) + TOKEN.length).toBeGreaterThan(FORM_TOKEN_BOUND)
    expect(await readFormToken(post(URLENCODED, body))).toBeUndefined()
  })
})

describe('readFormToken: multipart', () => {
  const multipart = (...parts: string[]): string => `${parts.join('')}--${BOUNDARY}--\r\n`

  it('finds the token in a part within the bound, before a 1 MB file the handler still gets whole', async () => {
    const file = 'f'.repeat(MiB)
    const request = post(
      MULTIPART,
      multipart(part('_csrf', TOKEN), part('upload', file, 'big.bin')),
    )
    expect(await readFormToken(request)).toBe(TOKEN)
    const form = await request.formData()
    expect((await (form.get('upload') as File).text()).length).toBe(MiB)
  })

  it('skips earlier parts, accepts a preamble and a quoted boundary', async () => {
    const body = `preamble\r\n${multipart(part('name', 'Ada'), part('_csrf', TOKEN))}`
    expect(await readFormToken(post(`multipart/form-data; boundary="${BOUNDARY}"`, body))).toBe(
      TOKEN,
    )
  })

  it('treats a token after the first 64 KiB of parts as missing', async () => {
    const body = multipart(
      part('upload', 'f'.repeat(FORM_TOKEN_BOUND), 'a.bin'),
      part('_csrf', TOKEN),
    )
    expect(await readFormToken(post(MULTIPART, body))).toBeUndefined()
  })

  it('does not take a file part named _csrf, or a part with no closing delimiter', async () => {
    expect(
      await readFormToken(post(MULTIPART, multipart(part('_csrf', TOKEN, 't.txt')))),
    ).toBeUndefined()
    expect(
      await readFormToken(
        post(
          MULTIPART,
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${TOKEN}`,
        ),
      ),
    ).toBeUndefined()
  })
})

describe('readFormToken: anything else is "no token", never an error', () => {
  it('answers undefined for other types, no boundary, a used body, no body, a failing stream', async () => {
    expect(await readFormToken(post('text/plain', `_csrf=${TOKEN}`))).toBeUndefined()
    expect(
      await readFormToken(post('application/json', JSON.stringify({ _csrf: TOKEN }))),
    ).toBeUndefined()
    expect(await readFormToken(post('multipart/form-data', part('_csrf', TOKEN)))).toBeUndefined()
    const used = post(URLENCODED, `_csrf=${TOKEN}`)
    await used.text()
    expect(await readFormToken(used)).toBeUndefined()
    expect(
      await readFormToken(
        new Request(URL_, { method: 'POST', headers: { 'content-type': URLENCODED } }),
      ),
    ).toBeUndefined()
    const failing = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`_csrf=${TOKEN}&a=`))
        controller.error(new Error('connection reset'))
      },
    })
    expect(await readFormToken(streamedPost(URL_, URLENCODED, failing))).toBeUndefined()
  })
})

describe('readFormToken: the body is never buffered', () => {
  // An odd chunk size, so the bound falls inside a chunk.
  const CHUNK = 10_000

  it('the attack: 512 MiB streamed with no token pulls the bound and at most two chunks from the source', async () => {
    for (const type of [URLENCODED, MULTIPART]) {
      const head =
        type === URLENCODED
          ? 'a='
          : `--${BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\n`
      const body = countingBody(head, 512 * MiB, CHUNK)
      expect(await readFormToken(streamedPost(URL_, type, body.stream))).toBeUndefined()
      // What the lookup read (under the bound plus one chunk), and the chunk the tee reads ahead for the other branch.
      expect(body.pulled()).toBeGreaterThanOrEqual(FORM_TOKEN_BOUND)
      expect(body.pulled()).toBeLessThanOrEqual(FORM_TOKEN_BOUND + 2 * CHUNK)
    }
  })
})
