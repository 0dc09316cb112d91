// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { ApiError, createClient } from '../src/api/client.js'
import { sign } from '../src/api/signing.js'

/** A fetch that records each request and answers from `answer(command, params)`: [status, body]. */
function fakeFetch(answer) {
  const requests = []
  const fetchImpl = async (url, init = {}) => {
    const query = init.body ?? url.split('?')[1]
    const params = Object.fromEntries(new URLSearchParams(query))
    requests.push({ url, method: init.method ?? 'GET', params })
    const [status, body] = answer(params.command, params, requests.length)
    return { ok: status < 400, status, json: async () => body }
  }
  return { fetchImpl, requests }
}

const keys = { kind: 'keys', apiKey: 'ak', secretKey: 'sk' }

describe('api client', () => {
  it('signs each request with the key pair, and the signature checks out', async () => {
    const { fetchImpl, requests } = fakeFetch(() => [200, { listhostsresponse: { count: 1, host: [{ name: 'h1' }] } }])
    const api = createClient({ credentials: keys, fetchImpl })
    const answer = await api.call('listHosts', { page: 1, empty: '' })
    expect(answer.host[0].name).toBe('h1')
    const { params, method } = requests[0]
    expect(method).toBe('GET')
    expect(params.apiKey).toBe('ak')
    expect(params.empty).toBeUndefined()
    const { signature, ...signed } = params
    expect(signature).toBe(await sign(signed, 'sk'))
  })

  it('posts commands that change something, and throws the API error text', async () => {
    const { fetchImpl, requests } = fakeFetch(() => [431, { createprotectiongroupresponse: {
      errorcode: 431, cserrorcode: 4350, errortext: 'Unable to execute API command createprotectiongroup due to invalid value 0 for parameter baseperiod: expected between 1 and 604800000' } }])
    const api = createClient({ credentials: keys, fetchImpl })
    const error = await api.call('createProtectionGroup', { name: 'g', baseperiod: 0 }).catch((e) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error.message).toMatch(/invalid value 0 for parameter baseperiod/)
    expect(error.errorcode).toBe(431)
    expect(error.cserrorcode).toBe(4350)
    expect(requests[0].method).toBe('POST')
  })

  it('inside CloudStack sends the session key and no signature', async () => {
    const { fetchImpl, requests } = fakeFetch(() => [200, { listapisresponse: {} }])
    await createClient({ credentials: { kind: 'session', sessionKey: 'sess' }, fetchImpl }).call('listApis')
    expect(requests[0].params.sessionkey).toBe('sess')
    expect(requests[0].params.signature).toBeUndefined()
    expect(requests[0].params.apiKey).toBeUndefined()
  })

  it('says so when the answer is not JSON', async () => {
    const api = createClient({ credentials: keys, fetchImpl: async () => ({ ok: false, status: 502, json: async () => { throw new Error('html') } }) })
    await expect(api.call('listHosts')).rejects.toThrow(/HTTP 502 without JSON/)
  })

  it('pages through a list until it has every item', async () => {
    const all = Array.from({ length: 5 }, (_, i) => ({ id: i }))
    const { fetchImpl, requests } = fakeFetch((cmd, p) => {
      const from = (p.page - 1) * p.pagesize
      return [200, { listvmcheckpointsresponse: { count: all.length, vmcheckpoint: all.slice(from, from + Number(p.pagesize)) } }]
    })
    const items = await createClient({ credentials: keys, fetchImpl }).listAll('listVmCheckpoints', {}, 'vmcheckpoint', { pageSize: 2 })
    expect(items.map((i) => i.id)).toEqual([0, 1, 2, 3, 4])
    expect(requests).toHaveLength(3)
  })

  it('polls an async job until it ends, and reports each poll', async () => {
    const { fetchImpl } = fakeFetch((cmd, p, n) => [200, { queryasyncjobresultresponse: n < 3
      ? { jobid: p.jobid, jobstatus: 0 } : { jobid: p.jobid, jobstatus: 1, jobresult: { protectiongroup: { id: 'g' } } } }])
    const polls = []
    const result = await createClient({ credentials: keys, fetchImpl })
      .waitForJob('j1', { intervalMs: 1, onProgress: (p) => polls.push(p.status) })
    expect(result.protectiongroup.id).toBe('g')
    expect(polls).toEqual([0, 0, 1])
  })

  it('a failed job rejects with its errortext', async () => {
    const { fetchImpl } = fakeFetch(() => [200, { queryasyncjobresultresponse: { jobstatus: 2, cmd: 'enableprotectiongroup',
      jobresult: { errorcode: 530, cserrorcode: 4250, errortext: 'no agent runs: start one' } } }])
    await expect(createClient({ credentials: keys, fetchImpl }).waitForJob('j', { intervalMs: 1 }))
      .rejects.toThrow('no agent runs: start one')
  })
})
