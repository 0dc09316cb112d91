// The page inside a real CloudStack UI, as an admin meets it there: signs in to CloudStack's own login form, opens
// "vmqsc" from CloudStack's menu (the page in CloudStack's iframe), and checks that every call the page makes goes to
// CloudStack's /client/api with CloudStack's session (the cookie and `sessionkey`, never an API key), that a group
// created and a VM added through the page's forms are what CloudStack's API then lists, that CloudStack's refusals
// reach the forms in CloudStack's words, that an async job is followed to its end through queryAsyncJobResult, and
// that the hosts view lists CloudStack's hosts. Screenshots of the whole CloudStack page go to
// test-results/cloudstack/.
//
// Needs a running CloudStack management server with the vmqsc plugin installed, at least one VM, and the page
// installed as a UI plugin (README, "Inside CloudStack's UI"). Not part of `./vmqsc test`, which cannot start a
// CloudStack:
//   VMQSC_CLOUDSTACK_URL=http://127.0.0.1:8080/client/ npm run e2e:cloudstack
// VMQSC_CLOUDSTACK_USER and VMQSC_CLOUDSTACK_PASSWORD default to CloudStack's first admin (admin / password).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { launchBrowser } from './browser.mjs'
import { uiDir } from './cluster.mjs'

const base = process.env.VMQSC_CLOUDSTACK_URL
if (!base) {
  console.error('e2e:cloudstack needs VMQSC_CLOUDSTACK_URL, the CloudStack UI to test in (e.g. http://127.0.0.1:8080/client/)')
  process.exit(2)
}
const user = process.env.VMQSC_CLOUDSTACK_USER ?? 'admin'
const password = process.env.VMQSC_CLOUDSTACK_PASSWORD ?? 'password'
const shots = join(uiDir, 'test-results', 'cloudstack')
mkdirSync(shots, { recursive: true })

const started = Date.now()
const log = (msg) => console.log(`e2e:cloudstack ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${msg}`)

function expectEqual(what, actual, expected) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`)
  log(`ok: ${what}`)
}

/** What {@code probe} gives once it gives something (CloudStack's async jobs end after the forms close). */
async function eventually(what, probe, timeoutMs = 60000) {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    const value = await probe()
    if (value) return value
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`)
}

async function main() {
  const browser = await launchBrowser()
  const calls = []
  const pageErrors = []
  let made = null
  try {
    const page = await browser.context.newPage()
    // Only the page's own errors: CloudStack's UI around it may log its own (a refused call of its dashboard).
    page.on('pageerror', (e) => { if ((e.stack ?? '').includes('plugins/vmqsc/')) pageErrors.push(e.message) })
    page.on('console', (m) => { if (m.type() === 'error' && m.location().url.includes('plugins/vmqsc/')) pageErrors.push(m.text()) })
    const shot = async (name) => {
      await page.screenshot({ path: join(shots, `${name}.png`) })
      log(`screenshot ${name}.png`)
    }

    // --- CloudStack's own sign-in ------------------------------------------------------------------------------
    await page.goto(base)
    await page.locator('input#form_item_username').fill(user)
    await page.locator('input#form_item_password').fill(password)
    await page.locator('button.login-button').click()
    await page.waitForURL((url) => !url.hash.includes('/user/login'), { timeout: 60000 })
    log(`signed in to CloudStack as ${user}`)

    // CloudStack's API as the signed-in admin, through the browser's session (the harness's own checks).
    const api = async (command, params = {}) => page.evaluate(async ({ command, params }) => {
      const stored = JSON.parse(window.localStorage.getItem('primate__Access-Token') ?? 'null')
      const sessionkey = typeof stored === 'string' ? stored : stored?.value ?? '' // 4.22 keeps a bare string
      const query = new URLSearchParams({ ...params, command, response: 'json', sessionkey })
      const reply = await fetch(`api?${query}`, { credentials: 'include' })
      const body = await reply.json()
      return Object.values(body)[0]
    }, { command, params })
    const grouped = new Set(((await api('listProtectionGroups')).protectiongroup ?? []).flatMap((g) => g.vm.map((m) => m.virtualmachineid)))
    const vms = ((await api('listVirtualMachines')).virtualmachine ?? []).filter((vm) => !grouped.has(vm.id))
    if (vms.length === 0) throw new Error('this CloudStack runs no VM outside a protection group: deploy one first')
    const name = `cs-e2e-${Date.now() % 100000}`

    // --- the plugin from CloudStack's menu ----------------------------------------------------------------------
    await page.goto(`${base}#/plugins/vmqsc`)
    const frameOf = () => page.frames().find((f) => f.url().includes('plugins/vmqsc/'))
    for (let i = 0; i < 100 && !frameOf(); i++) await page.waitForTimeout(200)
    const frame = frameOf()
    if (!frame) throw new Error('CloudStack UI shows no vmqsc iframe: is the plugin in config.json?')
    page.on('request', (r) => {
      if (r.frame() === frame && r.url().includes('/client/api')) calls.push(r)
    })
    await frame.getByTestId('groups-view').waitFor({ timeout: 30000 })
    await frame.locator('[data-testid="groups-table"], [data-testid="empty"]').first().waitFor({ timeout: 30000 })
    await shot('groups')
    expectEqual('the page asks for no API keys inside CloudStack', await frame.getByTestId('apikey').count(), 0)

    // --- create a group: CloudStack refuses a T0 of 0 first -----------------------------------------------------
    await frame.getByTestId('create-group').click()
    await frame.getByTestId('group-name').fill(name)
    await frame.getByTestId('group-t0').fill('0')
    await frame.getByTestId('group-save').click()
    await frame.getByTestId('form-error').waitFor({ timeout: 60000 })
    const refused = await frame.getByTestId('form-error').innerText()
    log(`CloudStack refused T0 0: ${refused}`)
    expectEqual('the refusal is CloudStack\'s job error text', refused.includes('baseperiod'), true)
    await shot('group-form-error')
    await frame.getByTestId('group-t0').fill('20000')
    await frame.getByTestId('group-save').click()
    await frame.getByTestId('group-form').waitFor({ state: 'hidden', timeout: 60000 })
    const group = await eventually(`the group ${name} listed`, async () =>
      ((await api('listProtectionGroups')).protectiongroup ?? []).find((g) => g.name === name))
    expectEqual('CloudStack lists the group made in the page', group?.baseperiod, 20000)
    made = () => api('deleteProtectionGroup', { id: group.id })

    // --- add a VM CloudStack runs -------------------------------------------------------------------------------
    const row = frame.locator('[data-testid="groups-table"] tr.ant-table-row', { hasText: name })
    await row.getByTestId('add-vm').click()
    await frame.getByTestId('vm-id').fill(vms[0].id)
    await frame.getByTestId('vm-class').fill('SI')
    await frame.getByTestId('vm-save').click()
    await frame.getByTestId('vm-save').waitFor({ state: 'hidden', timeout: 20000 }).catch(async (e) => { await shot('vm-add-stuck'); throw e })
    const withVm = await eventually(`${vms[0].name} in the group`, async () =>
      (await api('listProtectionGroups', { id: group.id })).protectiongroup.find((g) => g.vmcount === 1))
    expectEqual(`CloudStack lists ${vms[0].name} in the group`, withVm.vm.map((m) => m.virtualmachineid).join(), vms[0].id)
    expectEqual('CloudStack resolved the VM\'s host', withVm.vm[0].hostid, vms[0].hostid)
    await row.locator('.ant-table-row-expand-icon').click()
    await frame.getByTestId('group-vms').waitFor()
    await shot('group-vms')

    // --- enable: an async job followed through queryAsyncJobResult to its end ----------------------------------
    await row.getByTestId('enable').click()
    const outcome = await frame.locator('[data-testid="notice"], [data-testid="action-error"]').first()
      .waitFor({ timeout: 120000 }).then(() => frame.locator('[data-testid="notice"], [data-testid="action-error"]').first().innerText())
    log(`enable ended: ${outcome}`)
    expectEqual('the page followed the job with queryAsyncJobResult', calls.some((r) => r.url().includes('command=queryAsyncJobResult')), true)
    await shot('enable-outcome')

    // --- hosts: CloudStack's own listHosts ----------------------------------------------------------------------
    await frame.evaluate(() => { window.location.hash = '#/hosts' })
    await frame.getByTestId('hosts-table').waitFor({ timeout: 30000 })
    const hosts = ((await api('listHosts', { type: 'Routing' })).host ?? []).map((h) => h.name)
    for (const h of hosts) expectEqual(`host ${h} listed`, await frame.locator('[data-testid="hosts-table"]', { hasText: h }).count(), 1)
    await shot('hosts')

    // --- what went over the wire ---------------------------------------------------------------------------------
    const urls = calls.map((r) => new URL(r.url(), base))
    const bodies = calls.map((r) => new URLSearchParams(r.postData() ?? ''))
    const param = (i, key) => urls[i].searchParams.get(key) ?? bodies[i].get(key)
    expectEqual('every call went to this CloudStack\'s origin', urls.every((u) => u.origin === new URL(base).origin), true)
    expectEqual('every call carried the session key', calls.every((_, i) => !!param(i, 'sessionkey')), true)
    expectEqual('no call carried an API key or a signature', calls.every((_, i) => !param(i, 'apiKey') && !param(i, 'signature')), true)
    const commands = [...new Set(calls.map((_, i) => param(i, 'command')))].sort()
    log(`${calls.length} calls: ${commands.join(', ')}`)
    expectEqual('no error in the page', pageErrors.join('; '), '')

  } finally {
    if (made) {
      await made()
      log('deleted the group made here')
    }
    await browser.close()
  }
}

main().then(() => log('passed'), (e) => {
  console.error(`e2e:cloudstack FAILED: ${e.stack ?? e}`)
  process.exit(1)
})
