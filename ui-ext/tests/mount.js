// Mounts a component as the page does: ant-design-vue registered, the API client injected.
import { flushPromises, mount } from '@vue/test-utils'
import { antd } from '../src/antd.js'

export function mountWith(component, { api, props = {} } = {}) {
  return mount(component, { props, attachTo: document.body, global: { plugins: [antd], provide: { api } } })
}

/** Waits for pending promises and Vue's updates, a few rounds (loads chain several awaits). */
export async function settle(rounds = 5) {
  for (let i = 0; i < rounds; i++) await flushPromises()
}

/** A fake API: `lists` answers listAll by command, `calls` answers call(command, params). */
export function fakeApi({ lists = {}, calls = {}, jobs = {} } = {}) {
  const log = []
  return {
    log,
    async listAll(command, params) {
      log.push([command, params])
      const answer = lists[command]
      if (answer instanceof Error) throw answer
      return typeof answer === 'function' ? answer(params) : answer ?? []
    },
    async call(command, params) {
      log.push([command, params])
      const answer = calls[command]
      if (answer instanceof Error) throw answer
      return typeof answer === 'function' ? answer(params) : answer ?? {}
    },
    async waitForJob(jobId, { onProgress = () => {} } = {}) {
      log.push(['wait', jobId])
      onProgress({ jobId, polls: 1, status: 0, elapsedMs: 10 })
      const job = jobs[jobId]
      if (job instanceof Error) throw job
      return job ?? {}
    },
  }
}
