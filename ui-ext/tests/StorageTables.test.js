import { afterEach, describe, expect, it } from 'vitest'
import StorageTables from '../src/views/StorageTables.vue'
import { fakeApi, mountWith, settle } from './mount.js'
import { checkpoints, group, hosts, lines, segments } from './fixtures.js'

let wrapper
afterEach(() => { wrapper?.unmount(); document.body.innerHTML = '' })

describe('StorageTables', () => {
  it('shows full-pass and incremental checkpoint bytes per VM, per host and in all', async () => {
    const api = fakeApi({
      lists: { listVmCheckpoints: checkpoints, listLogSegments: segments, listHosts: hosts },
      calls: { listProtectionGroups: { protectiongroup: [group] }, listRecoveryLines: { recoveryline: [lines[0]] } },
    })
    wrapper = mountWith(StorageTables, { api, props: { groupId: 'g-1' } })
    await settle()
    const header = wrapper.findAll('[data-testid="storage-vms"] th').map((th) => th.text())
    const full = header.indexOf('Full passes')
    const incremental = header.indexOf('Incremental')
    expect(full).toBeGreaterThan(0)
    const cells = (testId, n) => wrapper.findAll(`[data-testid="${testId}"] tr.ant-table-row`)[n].findAll('td').map((td) => td.text())
    expect([cells('storage-vms', 0)[full], cells('storage-vms', 0)[incremental]]).toEqual(['1.5 KiB', '2.9 KiB'])
    expect(cells('storage-vms', 0)[header.indexOf('Incr. / full')]).toBe('133 %')
    expect(cells('storage-vms', 2)[header.indexOf('Incr. / full')]).toBe('—')
    expect([cells('storage-vms', 2)[full], cells('storage-vms', 2)[incremental]]).toEqual(['1000 B', '0 B'])
    const hostHeader = wrapper.findAll('[data-testid="storage-hosts"] th').map((th) => th.text())
    expect(cells('storage-hosts', 1)[hostHeader.indexOf('Full passes')]).toBe('1.5 KiB') // vm-b's 4, vm-a's 7 taken on h2
    expect(wrapper.find('[data-testid="total-full-incremental"]').text()).toContain('3.4 KiB / 3.9 KiB')
  })
})
