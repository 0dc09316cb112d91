import { afterEach, describe, expect, it } from 'vitest'
import GroupsView from '../src/views/GroupsView.vue'
import { ApiError } from '../src/api/client.js'
import { fakeApi, mountWith, settle } from './mount.js'
import { group, hosts } from './fixtures.js'

let wrapper
afterEach(() => { wrapper?.unmount(); document.body.innerHTML = '' })
const byTestId = (id) => document.body.querySelector(`[data-testid="${id}"]`)

describe('GroupsView', () => {
  it('lists the groups with their state, T0 and line', async () => {
    wrapper = mountWith(GroupsView, { api: fakeApi({ lists: { listProtectionGroups: [group], listHosts: hosts } }) })
    await settle()
    const row = wrapper.find('[data-testid="groups-table"] tr.ant-table-row')
    expect(row.text()).toContain('web')
    expect(row.text()).toContain('Enabled')
    expect(row.text()).toContain('2 s')
    expect(row.find('[data-testid="line-index"]').text()).toBe('6')
  })

  it('shows loading first, then the empty state with a way to create a group', async () => {
    let release
    const api = fakeApi({ lists: { listProtectionGroups: () => new Promise((r) => { release = r }) } })
    wrapper = mountWith(GroupsView, { api })
    await settle()
    expect(wrapper.find('[data-testid="loading"]').exists()).toBe(true)
    release([])
    await settle()
    expect(wrapper.find('[data-testid="loading"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="empty"]').text()).toContain('No protection groups yet')
  })

  it("shows the API's error text when the list fails, and retries", async () => {
    let fail = true
    const api = fakeApi({ lists: { listProtectionGroups: () => {
      if (fail) throw new ApiError('the manager is starting', { errorcode: 530 })
      return [group]
    } } })
    wrapper = mountWith(GroupsView, { api })
    await settle()
    expect(wrapper.find('[data-testid="load-error"]').text()).toContain('the manager is starting')
    fail = false
    await wrapper.find('[data-testid="load-error"] button').trigger('click')
    await settle()
    expect(wrapper.find('[data-testid="load-error"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="groups-table"]').text()).toContain('web')
  })

  it("keeps the create form open with the API's refusal in its own words", async () => {
    const refusal = 'Unable to execute API command createprotectiongroup due to invalid value 0 for parameter baseperiod: expected between 1 and 604800000'
    const api = fakeApi({ lists: { listProtectionGroups: [] }, calls: { createProtectionGroup: new ApiError(refusal) } })
    wrapper = mountWith(GroupsView, { api })
    await settle()
    await wrapper.find('[data-testid="create-group"]').trigger('click')
    await settle()
    const form = byTestId('group-form') ?? document.body
    form.querySelector('[data-testid="group-name"]').value = 'web'
    form.querySelector('[data-testid="group-name"]').dispatchEvent(new Event('input'))
    byTestId('group-save').click()
    await settle()
    expect(api.log.find(([c]) => c === 'createProtectionGroup')[1]).toMatchObject({ name: 'web', baseperiod: 2000 })
    expect(byTestId('form-error').textContent).toBe(refusal)
    expect(byTestId('group-save')).not.toBeNull()
  })

  it("shows a create job's refusal in the form, as CloudStack runs create as an async job", async () => {
    const refusal = 'Unable to execute API command createprotectiongroup due to invalid value 0 for parameter baseperiod'
    const api = fakeApi({ lists: { listProtectionGroups: [] }, calls: { createProtectionGroup: { jobid: 'job-c' } },
      jobs: { 'job-c': new ApiError(refusal) } })
    wrapper = mountWith(GroupsView, { api })
    await settle()
    await wrapper.find('[data-testid="create-group"]').trigger('click')
    await settle()
    const name = document.body.querySelector('[data-testid="group-name"]')
    name.value = 'web'
    name.dispatchEvent(new Event('input'))
    byTestId('group-save').click()
    await settle()
    expect(api.log).toContainEqual(['wait', 'job-c'])
    expect(byTestId('form-error').textContent).toBe(refusal)
  })

  it('enables a group through its async job and says when it is done', async () => {
    const disabled = { ...group, state: 'Disabled', started: undefined, lineindex: undefined }
    const api = fakeApi({ lists: { listProtectionGroups: [disabled], listHosts: hosts },
      calls: { enableProtectionGroup: { jobid: 'job-1' } }, jobs: { 'job-1': { protectiongroup: group } } })
    wrapper = mountWith(GroupsView, { api })
    await settle()
    await wrapper.find('[data-testid="enable"]').trigger('click')
    await settle()
    expect(api.log.map(([c]) => c)).toContain('wait')
    expect(wrapper.find('[data-testid="notice"]').text()).toContain('web is enabled')
  })

  it("a failed job shows the job's error text", async () => {
    const disabled = { ...group, state: 'Disabled', started: undefined }
    const api = fakeApi({ lists: { listProtectionGroups: [disabled] }, calls: { enableProtectionGroup: { jobid: 'j' } },
      jobs: { j: new ApiError('no agent is running: start one with ./vmqsc agent') } })
    wrapper = mountWith(GroupsView, { api })
    await settle()
    await wrapper.find('[data-testid="enable"]').trigger('click')
    await settle()
    expect(wrapper.find('[data-testid="action-error"]').text()).toContain('no agent is running')
  })

  it('adds a VM with a phased class, and its class field says what MI_k@φ means', async () => {
    const disabled = { ...group, state: 'Disabled', started: undefined, lineindex: undefined }
    const api = fakeApi({ lists: { listProtectionGroups: [disabled], listHosts: hosts },
      calls: { addVmToProtectionGroup: { protectiongroup: disabled } } })
    wrapper = mountWith(GroupsView, { api })
    await settle()
    await wrapper.find('[data-testid="add-vm"]').trigger('click')
    await settle()
    const help = byTestId('vm-class-help').textContent
    expect(help).toContain('MI_k@φ (0 ≤ φ < k)')
    expect(help).toContain('n mod k = φ')
    byTestId('vm-id').value = 'vm-9'
    byTestId('vm-id').dispatchEvent(new Event('input'))
    byTestId('vm-class').value = 'MI_4@2'
    byTestId('vm-class').dispatchEvent(new Event('input'))
    byTestId('vm-save').click()
    await settle()
    expect(api.log.find(([c]) => c === 'addVmToProtectionGroup')[1])
      .toMatchObject({ id: 'g-1', virtualmachineid: 'vm-9', vmclass: 'MI_4@2' })
  })
})
