import { afterEach, describe, expect, it } from 'vitest'
import HostsView from '../src/views/HostsView.vue'
import RecoveriesView from '../src/views/RecoveriesView.vue'
import { fakeApi, mountWith, settle } from './mount.js'
import { events, group, hosts } from './fixtures.js'

let wrapper
afterEach(() => wrapper?.unmount())
const rows = (w) => w.findAll('tr.ant-table-row')

describe('HostsView', () => {
  it('shows each host with its lease state and the VMs it runs', async () => {
    wrapper = mountWith(HostsView, { api: fakeApi({ lists: { listHosts: hosts, listProtectionGroups: [group] } }) })
    await settle()
    expect(wrapper.find('[data-testid="lease-h1"]').text()).toBe('ACTIVE')
    expect(wrapper.find('[data-testid="lease-h2"]').text()).toBe('FAILED')
    const [h1, h2] = rows(wrapper)
    expect(h1.text()).toContain('web · VM 0 (SI)')
    expect(h1.text()).toContain('web · VM 2 (SI)')
    expect(h2.text()).toContain('web · VM 1 (MI_2)')
  })

  it('says how to start an agent when none registered', async () => {
    wrapper = mountWith(HostsView, { api: fakeApi({ lists: { listHosts: [], listProtectionGroups: [] } }) })
    await settle()
    expect(wrapper.find('[data-testid="empty"]').text()).toContain('./vmqsc agent')
  })
})

describe('RecoveriesView', () => {
  it('lists each recovery with the failed host, line, rolled-back VMs and times', async () => {
    const api = fakeApi({ lists: {
      listProtectionGroups: [group], listHosts: hosts,
      listRecoveryEvents: (p) => (p.protectiongroupid === group.id ? events : []),
    } })
    wrapper = mountWith(RecoveriesView, { api })
    await settle()
    const [row] = rows(wrapper)
    expect(row.text()).toContain('host h2')
    expect(row.find('[data-testid="recovery-state"]').text()).toBe('SUCCEEDED')
    expect(row.find('[data-testid="recovery-line-index"]').text()).toBe('6')
    expect(row.text()).toContain('VM 1')
    expect(row.text()).toContain('VM 0')
    expect(row.text()).toContain('5.0 s') // detection
    expect(row.text()).toContain('4.0 s') // recovery
  })

  it('shows the API error when a group’s events cannot be listed', async () => {
    const api = fakeApi({ lists: { listProtectionGroups: [group], listHosts: hosts,
      listRecoveryEvents: new Error('Unable to execute API command listrecoveryevents') } })
    wrapper = mountWith(RecoveriesView, { api })
    await settle()
    expect(wrapper.find('[data-testid="load-error"]').text()).toContain('Unable to execute API command listrecoveryevents')
  })
})
