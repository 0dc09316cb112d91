import { afterEach, describe, expect, it } from 'vitest'
import AsyncState from '../src/components/AsyncState.vue'
import { mountWith } from './mount.js'

let wrapper
afterEach(() => wrapper?.unmount())
const mountState = (props) => mountWith(AsyncState, { props: { emptyText: 'none', ...props } })

describe('AsyncState', () => {
  it('loading before any data', () => {
    wrapper = mountState({ loading: true, hasData: false })
    expect(wrapper.find('[data-testid="loading"]').exists()).toBe(true)
  })

  it('keeps the data on screen while it refreshes', () => {
    wrapper = mountWith(AsyncState, { props: { loading: true, hasData: true }, slots: { default: '<p id="content">x</p>' } })
    expect(wrapper.find('[data-testid="loading"]').exists()).toBe(false)
  })

  it('the error with its code and a retry', async () => {
    wrapper = mountState({ error: Object.assign(new Error('refused'), { errorcode: 431 }), hasData: false })
    expect(wrapper.find('[data-testid="load-error"]').text()).toContain('refused')
    expect(wrapper.find('[data-testid="load-error"]').text()).toContain('error 431')
    await wrapper.find('[data-testid="load-error"] button').trigger('click')
    expect(wrapper.emitted('retry')).toHaveLength(1)
  })

  it('the empty state with its text', () => {
    wrapper = mountState({ hasData: true, empty: true })
    expect(wrapper.find('[data-testid="empty"]').text()).toContain('none')
  })
})
