// A standalone cluster for the end-to-end test, through the project's own launcher: `./vmqsc cluster up` starts
// a manager (which serves the built page at /ui/) and agents as processes; kill-host and down as the README says.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient } from '../src/api/client.js'

export const uiDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const repo = resolve(uiDir, '..')

function vmqsc(args, { allowFail = false } = {}) {
  const run = spawnSync(join(repo, 'vmqsc'), args, {
    encoding: 'utf8', env: { ...process.env, VMQSC_UI_DIR: join(uiDir, 'dist') }, timeout: 600000,
  })
  if (run.status !== 0 && !allowFail) {
    throw new Error(`./vmqsc ${args.join(' ')} exited ${run.status}:\n${run.stdout}\n${run.stderr}`)
  }
  return run.stdout
}

function properties(file) {
  return Object.fromEntries(readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]))
}

export function startCluster(dir, { agents = 3 } = {}) {
  if (existsSync(join(dir, 'cluster.json'))) vmqsc(['cluster', 'down', '--dir', dir], { allowFail: true })
  rmSync(dir, { recursive: true, force: true })
  vmqsc(['cluster', 'up', '--dir', dir, '--agents', String(agents)])
  const port = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')).managerPort
  const keys = properties(join(dir, 'manager', 'api-keys.properties'))
  const base = `http://127.0.0.1:${port}`
  const credentials = { kind: 'keys', apiKey: keys.apikey, secretKey: keys.secretkey }
  return {
    base,
    credentials,
    api: createClient({ endpoint: `${base}/client/api`, credentials }),
    killHost: (name) => vmqsc(['cluster', 'kill-host', name, '--dir', dir, '--no-wait']),
    stop: () => vmqsc(['cluster', 'down', '--dir', dir], { allowFail: true }),
  }
}
