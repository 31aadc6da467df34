// The error-code union matches what is thrown: every code is thrown in src/ and asserted in a test, and src/ throws no plain Error.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const THIS = fileURLToPath(import.meta.url)

function filesUnder(dir: string, suffix: RegExp): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && suffix.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
}

const source = filesUnder('src', /\.ts$/).map((path) => ({
  path: relative(ROOT, path),
  text: readFileSync(path, 'utf8'),
}))
const tests = filesUnder('test', /\.test\.ts$/)
  .filter((path) => path !== THIS)
  .map((path) => readFileSync(path, 'utf8'))
const union =
  /export type HallpassErrorCode =([^;]*?)\n\n/.exec(
    readFileSync(join(ROOT, 'src/errors.ts'), 'utf8'),
  )?.[1] ?? ''
const codes = [...union.matchAll(/\| '([A-Z_]+)'/g)].map((match) => match[1] as string)

describe('HallpassErrorCode', () => {
  it('lists the codes (the parse of src/errors.ts found them)', () => {
    expect(codes).toContain('STORE_UNAVAILABLE')
    expect(codes.length).toBeGreaterThan(5)
  })

  it.each(codes)('%s is thrown somewhere in src/ and asserted in a test', (code) => {
    const thrown = new RegExp(`new HallpassError\\(\\s*'${code}'`)
    expect(source.filter((file) => thrown.test(file.text)).map((file) => file.path)).not.toEqual([])
    expect(tests.some((text) => text.includes(`'${code}'`) || text.includes(`"${code}"`))).toBe(
      true,
    )
  })

  it('src/ throws no plain Error: only the CLI (usage errors it prints), the browser client (caught inside) and the store test suite do', () => {
    const allowed = /^src\/(cli|client|testing)\//
    const plain = source
      .filter(
        (file) => !allowed.test(file.path) && /new (Error|TypeError|RangeError)\(/.test(file.text),
      )
      .map((file) => file.path)
    expect(plain).toEqual([])
  })
})
