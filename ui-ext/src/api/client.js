// The API client: one `call(command, params)` for both ways of signing in.
//  - keys:    standalone manager; every request signed with the admin's API key pair (./signing.js)
//  - session: inside CloudStack's UI; the session cookie goes along by itself, and `sessionkey` is added as a
//             parameter, as CloudStack's own UI does.
// Answers are unwrapped from `{"<command>response": {...}}`; errors become an ApiError with CloudStack's errortext.
import { sign, toQuery } from './signing.js'

export class ApiError extends Error {
  constructor(text, { errorcode, cserrorcode, command } = {}) {
    super(text)
    this.name = 'ApiError'
    this.errorcode = errorcode
    this.cserrorcode = cserrorcode
    this.command = command
  }
}

/** Commands that only read use GET (as CloudStack's UI does); the others POST a form. */
const READS = /^(list|query|get|find)/i

export function createClient({ endpoint = '/client/api', credentials, fetchImpl = (...a) => fetch(...a) }) {
  async function call(command, params = {}) {
    const all = { command, response: 'json' }
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== '') all[name] = String(value)
    }
    if (credentials.kind === 'session') {
      all.sessionkey = credentials.sessionKey
    } else {
      all.apiKey = credentials.apiKey
      all.signature = await sign(all, credentials.secretKey)
    }
    const query = toQuery(all)
    const reply = READS.test(command)
      ? await fetchImpl(`${endpoint}?${query}`, { credentials: 'same-origin' })
      : await fetchImpl(endpoint, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: query,
      })
    return unwrap(command, reply)
  }

  /** Every page of a list command: the items under `key`. */
  async function listAll(command, params, key, { pageSize = 500, maxPages = 20 } = {}) {
    const items = []
    for (let page = 1; page <= maxPages; page++) {
      const answer = await call(command, { ...params, page, pagesize: pageSize })
      const got = answer[key] ?? []
      items.push(...got)
      if (got.length < pageSize || items.length >= (answer.count ?? 0)) break
    }
    return items
  }

  /**
   * Polls queryAsyncJobResult until the job ends, as CloudStack's UI does; `onProgress` hears each poll.
   * Resolves with the job's result; a failed job rejects with its errortext.
   */
  async function waitForJob(jobId, { intervalMs = 1000, timeoutMs = 600000, onProgress = () => {} } = {}) {
    const start = Date.now()
    for (let polls = 1; ; polls++) {
      const job = await call('queryAsyncJobResult', { jobid: jobId })
      onProgress({ jobId, polls, status: job.jobstatus, elapsedMs: Date.now() - start })
      if (job.jobstatus === 1) return job.jobresult ?? {}
      if (job.jobstatus === 2) {
        const r = job.jobresult ?? {}
        throw new ApiError(r.errortext ?? `job ${jobId} failed`, {
          errorcode: r.errorcode, cserrorcode: r.cserrorcode, command: job.cmd,
        })
      }
      if (Date.now() - start > timeoutMs) throw new ApiError(`job ${jobId} still runs after ${timeoutMs / 1000} s`)
      await new Promise((resolve) => setTimeout(resolve, intervalMs))
    }
  }

  return { call, listAll, waitForJob, credentials }
}

async function unwrap(command, reply) {
  let body
  try {
    body = await reply.json()
  } catch {
    throw new ApiError(`${command}: the server answered HTTP ${reply.status} without JSON`, { errorcode: reply.status })
  }
  const name = command.toLowerCase().replace(/[^a-z0-9]/g, '') + 'response'
  const inner = body[name] ?? body.errorresponse ?? Object.values(body)[0] ?? {}
  if (!reply.ok || inner.errortext !== undefined) {
    throw new ApiError(inner.errortext ?? `${command}: HTTP ${reply.status}`, {
      errorcode: inner.errorcode ?? reply.status, cserrorcode: inner.cserrorcode, command,
    })
  }
  return inner
}

/**
 * listHosts' filter for the hosts that run VMs: inside CloudStack, listHosts also lists secondary storage and console
 * proxy VMs as hosts; the standalone manager's agents are all of this type.
 */
export const HYPERVISOR_HOSTS = Object.freeze({ type: 'Routing' })
