// Runs the compile-only type tests that register a manager, each in a program of its own.
// Registration is global to a TypeScript program, so these fixtures live in dot-folders, which the
// repository's tsconfig does not include (bench/ and demo/ stay free of them), and are compiled here.
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url))

let previous: ts.Program | undefined

function compile(rootNames: string[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    here('../../tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  )
  if (!config) throw new Error('cannot read tsconfig.json')
  const program = ts.createProgram({
    rootNames,
    options: { ...config.options, noEmit: true },
    ...(previous && { oldProgram: previous }),
  })
  previous = program
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file
      ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
      : ''
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
  })
}

describe('compile-only type tests in their own programs', () => {
  it('types req.session and request.session with the registered zod schema (and rejects wrong types)', () => {
    expect(compile([here('./.registered/express.ts'), here('./.registered/fastify.ts')])).toEqual(
      [],
    )
  }, 120_000)

  it('types them as plain SessionData when nothing is registered', () => {
    expect(compile([here('./.unregistered/defaults.ts')])).toEqual([])
  }, 120_000)
})
