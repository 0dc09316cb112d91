import { mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import App from '../src/App.vue'
import { antd } from '../src/antd.js'
import { settle } from './mount.js'

let wrapper
let requests
beforeEach(() => {
  requests = []
  // Every list answers empty, as CloudStack does: {"<command>response": {}}.
  vi.stubGlobal('fetch', async (url) => {
    requests.push(url)
    const command = new URLSearchParams(url.split('?')[1]).get('command').toLowerCase()
    return { ok: true, status: 200, json: async () => ({ [`${command}response`]: {} }) }
  })
})
afterEach(() => {
  wrapper?.unmount()
  localStorage.clear()
  sessionStorage.clear()
  vi.unstubAllGlobals()
})

describe('App', () => {
  it('standalone, without keys: the sign-in, and no API call', async () => {
    wrapper = mount(App, { global: { plugins: [antd] }, attachTo: document.body })
    await settle()
    expect(wrapper.find('[data-testid="sign-in"]').exists()).toBe(true)
    expect(requests).toEqual([])
  })

  it("inside CloudStack's UI: CloudStack's session, no sign-in, every call with the sessionkey and unsigned", async () => {
    localStorage.setItem('primate__Access-Token', JSON.stringify({ value: 'sess-1', expire: null }))
    wrapper = mount(App, { global: { plugins: [antd] }, attachTo: document.body })
    await vi.waitFor(() => expect(wrapper.find('[data-testid="empty"]').text()).toContain('No protection groups yet'),
      { timeout: 10000 })
    expect(wrapper.find('[data-testid="sign-in"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="sign-out"]').exists()).toBe(false)
    expect(requests.length).toBeGreaterThan(0)
    for (const url of requests) {
      expect(url.startsWith('/client/api?')).toBe(true)
      expect(url).toContain('sessionkey=sess-1')
      expect(url).not.toContain('signature=')
    }
  })

  it('standalone, with keys kept for the tab: signed calls, and signing out forgets the keys', async () => {
    sessionStorage.setItem('vmqsc.apikeys', JSON.stringify({ apiKey: 'ak', secretKey: 'sk' }))
    wrapper = mount(App, { global: { plugins: [antd] }, attachTo: document.body })
    // WebCrypto signs off the microtask queue: wait for the list to arrive rather than for a number of ticks.
    await vi.waitFor(() => expect(wrapper.find('[data-testid="empty"]').exists()).toBe(true), { timeout: 10000 })
    expect(requests.length).toBeGreaterThan(0)
    expect(requests.every((u) => u.includes('apiKey=ak') && u.includes('signature='))).toBe(true)
    await wrapper.find('[data-testid="sign-out"]').trigger('click')
    await settle()
    expect(wrapper.find('[data-testid="sign-in"]').exists()).toBe(true)
    expect(sessionStorage.getItem('vmqsc.apikeys')).toBeNull()
  })
})
