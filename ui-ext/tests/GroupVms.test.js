import { afterEach, describe, expect, it } from 'vitest'
import GroupVms from '../src/views/GroupVms.vue'
import GroupsView from '../src/views/GroupsView.vue'
import { ApiError } from '../src/api/client.js'
import { fakeApi, mountWith, settle } from './mount.js'
import { group, hosts } from './fixtures.js'

let wrapper
afterEach(() => { wrapper?.unmount(); document.body.innerHTML = '' })

const disabled = { ...group, state: 'Disabled', started: undefined, lineindex: undefined }
const advice = [
  { virtualmachineid: 'vm-a', vmclass: 'SI', proposedclass: 'SI', reason: 'receives 60 KiB per period, a checkpoint writes 100 KiB: at least half a checkpoint, so SI' },
  { virtualmachineid: 'vm-b', vmclass: 'MI_2', proposedclass: 'MI_4@2', reason: 'receives 2 KiB per period, a checkpoint writes 100 KiB: k = S / 2R, capped at 4 (messages sized by its own log); phase 2 (checkpoints at the boundaries n with n mod 4 = 2) writes the fewest checkpoint and log bytes over the 8 periods seen' },
  { virtualmachineid: 'vm-c', vmclass: 'SI', reason: 'no traffic recorded yet: needs a checkpoint and a later boundary of the VM' },
]
const rowOf = (vm) => wrapper.findAll('[data-testid="group-vms"] tr.ant-table-row').find((r) => r.text().includes(vm))

describe('GroupVms', () => {
  it("shows each VM's proposed class next to its class, with the advisor's reason", async () => {
    const api = fakeApi({ lists: { listVmClassAdvice: advice } })
    wrapper = mountWith(GroupVms, { api, props: { group, hosts } })
    await settle()
    expect(api.log.find(([c]) => c === 'listVmClassAdvice')[1]).toEqual({ protectiongroupid: 'g-1' })
    const b = rowOf('vm-b')
    expect(b.find('[data-testid="vm-class"]').text()).toBe('MI_2')
    const proposed = b.find('[data-testid="vm-advice"]')
    expect(proposed.text()).toBe('MI_4@2')
    expect(proposed.classes()).toContain('ant-tag-orange')
    expect(proposed.attributes('data-reason')).toContain('capped at 4')
    expect(proposed.attributes('data-reason')).toContain('phase 2')
    expect(proposed.attributes('data-meaning')).toBe('every 4·T0, at n mod 4 = 2')
    expect(rowOf('vm-a').find('[data-testid="vm-advice"]').classes()).toContain('ant-tag-green')
    const none = rowOf('vm-c').find('[data-testid="vm-advice"]')
    expect(none.text()).toBe('—')
    expect(none.attributes('data-reason')).toContain('no traffic recorded yet')
  })

  it('offers no class change on an enabled group, and says why', async () => {
    wrapper = mountWith(GroupVms, { api: fakeApi({ lists: { listVmClassAdvice: advice } }), props: { group, hosts } })
    await settle()
    expect(wrapper.find('[data-testid="vm-class-edit"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="vm-class-note"]').text()).toContain('Classes are fixed while the group runs')
  })

  it("changes a VM's class in place, says what MI_k@φ means, and offers the proposal with its phase", async () => {
    const changed = { ...disabled, vm: disabled.vm.map((m) => (m.virtualmachineid === 'vm-b' ? { ...m, vmclass: 'MI_4@2' } : m)) }
    const api = fakeApi({ lists: { listVmClassAdvice: advice }, calls: { updateVmInProtectionGroup: { protectiongroup: changed } } })
    wrapper = mountWith(GroupVms, { api, props: { group: disabled, hosts } })
    await settle()
    await rowOf('vm-b').find('[data-testid="vm-class-edit"]').trigger('click')
    const help = rowOf('vm-b').find('[data-testid="vm-class-help"]').text()
    expect(help).toContain('MI_k@φ (0 ≤ φ < k)')
    expect(help).toContain('n mod k = φ')
    expect(rowOf('vm-b').find('[data-testid="vm-class-use-proposal"]').text()).toBe('use MI_4@2')
    await rowOf('vm-b').find('[data-testid="vm-class-use-proposal"]').trigger('click')
    expect(rowOf('vm-b').find('[data-testid="vm-class-input"]').element.value).toBe('MI_4@2')
    await rowOf('vm-b').find('[data-testid="vm-class-save"]').trigger('click')
    await settle()
    expect(api.log.find(([c]) => c === 'updateVmInProtectionGroup')[1])
      .toEqual({ id: 'g-1', virtualmachineid: 'vm-b', vmclass: 'MI_4@2' })
    expect(wrapper.emitted('changed')[0][0]).toEqual(changed)
    expect(rowOf('vm-b').find('[data-testid="vm-class-form"]').exists()).toBe(false)
  })

  it("keeps the class input open with the API's refusal in its own words", async () => {
    const refusal = "vmclass: unknown VM class 'MI_1x': expected SI, MI_k with k >= 2, or MI_k@phase with 0 <= phase < k (MI_k@phase checkpoints at the base boundaries n with n mod k = phase; MI_k is MI_k@0)"
    const api = fakeApi({ calls: { updateVmInProtectionGroup: new ApiError(refusal, { errorcode: 431 }) } })
    wrapper = mountWith(GroupVms, { api, props: { group: disabled, hosts } })
    await settle()
    await rowOf('vm-a').find('[data-testid="vm-class-edit"]').trigger('click')
    await rowOf('vm-a').find('[data-testid="vm-class-input"]').setValue('MI_1x')
    await rowOf('vm-a').find('[data-testid="vm-class-save"]').trigger('click')
    await settle()
    expect(rowOf('vm-a').find('[data-testid="vm-class-error"]').text()).toBe(refusal)
    expect(rowOf('vm-a').find('[data-testid="vm-class-input"]').element.value).toBe('MI_1x')
    expect(wrapper.emitted('changed')).toBeUndefined()
  })

  it('says when the advice cannot be loaded, and still lists the VMs', async () => {
    const api = fakeApi({ lists: { listVmClassAdvice: new ApiError('unknown command listVmClassAdvice') } })
    wrapper = mountWith(GroupVms, { api, props: { group, hosts } })
    await settle()
    expect(wrapper.find('[data-testid="advice-error"]').text()).toContain('unknown command listVmClassAdvice')
    expect(wrapper.findAll('[data-testid="group-vms"] tr.ant-table-row')).toHaveLength(3)
  })
})

describe('GroupsView and a class change', () => {
  it('reloads the groups and says what changed', async () => {
    const changed = { ...disabled, vm: disabled.vm.map((m) => (m.virtualmachineid === 'vm-a' ? { ...m, vmclass: 'MI_3' } : m)) }
    let groups = [disabled]
    const api = fakeApi({
      lists: { listProtectionGroups: () => groups, listHosts: hosts },
      calls: { updateVmInProtectionGroup: () => { groups = [changed]; return { protectiongroup: changed } } },
    })
    wrapper = mountWith(GroupsView, { api })
    await settle()
    await wrapper.find('.ant-table-row-expand-icon').trigger('click')
    await settle()
    await rowOf('vm-a').find('[data-testid="vm-class-edit"]').trigger('click')
    await rowOf('vm-a').find('[data-testid="vm-class-input"]').setValue('MI_3')
    await rowOf('vm-a').find('[data-testid="vm-class-save"]').trigger('click')
    await settle()
    expect(wrapper.find('[data-testid="notice"]').text()).toContain('VM 0 of web is now MI_3')
    expect(rowOf('vm-a').find('[data-testid="vm-class"]').text()).toBe('MI_3')
  })
})
