// `npm test`'s pretest step: installs what the suite needs on a fresh machine (root on Debian) and builds dist/ once, or stops at once with the command to run.
import { spawnSync } from 'node:child_process'
import {
  accessSync,
  constants,
  existsSync,
  readdirSync,
  realpathSync,
  writeFileSync,
} from 'node:fs'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../', import.meta.url))

/** What the suite runs, and the Debian package that provides it. Chromium is looked up at the fixed path the browser tests launch. */
export const REQUIREMENTS = [
  { what: 'redis-server', package: 'redis-server', found: () => onPath('redis-server') },
  { what: 'redis-cli', package: 'redis-tools', found: () => onPath('redis-cli') },
  { what: 'redis-sentinel', package: 'redis-sentinel', found: () => onPath('redis-sentinel') },
  { what: '/usr/bin/chromium', package: 'chromium', found: () => existsSync('/usr/bin/chromium') },
  { what: 'wrk (bench smoke test)', package: 'wrk', found: () => onPath('wrk') },
  {
    what: 'openssl (the DBSC browser test makes a certificate)',
    package: 'openssl',
    found: () => onPath('openssl'),
  },
  {
    what: 'PostgreSQL (initdb, postgres)',
    package: 'postgresql',
    found: () => postgresInstalled(),
  },
]

/** Debian installs the server's binaries off PATH, in /usr/lib/postgresql/<version>/bin; elsewhere they are on PATH. */
function postgresInstalled() {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root) : []
  const debian = versions.some(
    (version) =>
      existsSync(join(root, version, 'bin', 'initdb')) &&
      existsSync(join(root, version, 'bin', 'postgres')),
  )
  return debian || (onPath('initdb') && onPath('postgres'))
}

/** Whether an executable named `name` is on PATH. */
function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    try {
      accessSync(join(dir, name), constants.X_OK)
      return true
    } catch {
      // not in this directory
    }
  }
  return false
}

/** The exact command a person runs to install `packages` (sudo unless already root). */
export function installCommand(packages, root) {
  const sudo = root ? '' : 'sudo '
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(' ')}`
}

function run(command, args) {
  console.log(`test setup: ${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    cwd: ROOT,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
  return result.status === 0
}

/**
 * Builds dist/ when a fresh clone has none: `npm ci` runs no build (the package has no install-time script, so an
 * install of the tarball runs none either; `prepack` builds it for `npm pack` and git dependencies), and
 * `npx hallpass` and the packed-tarball tests need it. Tests that need the latest build rebuild it themselves when
 * src/ changed after it (its stamp, dist/.built-at).
 */
function buildOnce() {
  if (existsSync(join(ROOT, 'dist', 'index.js'))) return
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  if (!run(process.execPath, [tsc, '-p', 'tsconfig.build.json'])) process.exit(1)
  // The build's stamp, which buildLibrary() in test/frameworks/harness.ts reads: without it, the first framework
  // test of a fresh clone built dist/ a second time.
  writeFileSync(join(ROOT, 'dist', '.built-at'), new Date().toISOString())
}

function main() {
  if (!existsSync(join(ROOT, 'node_modules', '.package-lock.json'))) {
    if (!run('npm', ['ci', '--no-audit', '--no-fund'])) process.exit(1)
  }
  const missing = REQUIREMENTS.filter((r) => !r.found())
  if (missing.length === 0) return buildOnce()
  const packages = missing.map((r) => r.package)
  const root = process.getuid?.() === 0
  const canInstall = root && existsSync('/etc/debian_version') && onPath('apt-get')
  if (
    canInstall &&
    run('apt-get', ['update', '-qq']) &&
    run('apt-get', ['install', '-y', '-qq', ...packages])
  ) {
    const still = REQUIREMENTS.filter((r) => !r.found())
    if (still.length === 0) return buildOnce()
    missing.splice(0, missing.length, ...still)
  }
  const names = missing.map((r) => r.what).join(', ')
  console.error(
    `test setup: the suite needs ${names}, which ${missing.length === 1 ? 'is' : 'are'} not installed (tests never skip).`,
  )
  if (existsSync('/etc/debian_version'))
    console.error(
      `Install ${missing.length === 1 ? 'it' : 'them'} with:\n\n  ${installCommand(
        missing.map((r) => r.package),
        root,
      )}\n\nthen run npm test again.`,
    )
  else
    console.error(
      `Install them with your system's package manager (Debian names: ${missing.map((r) => r.package).join(' ')}); the browser tests expect Chromium at /usr/bin/chromium.`,
    )
  process.exit(1)
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) main()
