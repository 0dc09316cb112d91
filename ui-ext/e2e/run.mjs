// End-to-end: the built page against a real standalone manager and 3 agents started here, in Debian's chromium.
// Signs in, creates a group (after the API refused a bad T0 and a bad VM class, shown in the form in the API's
// own words), changes a VM's class in place (a bad class refused first), enables it and follows the job, sees
// checkpoints and the recovery line appear and move, kills the agent running most of the group's VMs with
// `./vmqsc cluster kill-host`, sees the host's lease fail, the recovery event, and the line move on past the line
// the recovery went back to, then the advisor's proposed classes next to the VMs' classes, as the API lists them.
// A screenshot of every view goes to test-results/screenshots/ (at 1280×800, and at a narrow 420 px).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createClient } from '../src/api/client.js'
import { launchBrowser } from './browser.mjs'
import { startCluster, uiDir } from './cluster.mjs'

const out = join(uiDir, 'test-results')
const shots = join(out, 'screenshots')
mkdirSync(shots, { recursive: true })

let page
const pageErrors = []
const started = Date.now()
const log = (msg) => console.log(`e2e ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${msg}`)
const shot = async (name, options = {}) => {
  await page.screenshot({ path: join(shots, `${name}.png`), ...options })
  log(`screenshot ${name}.png`)
}

async function waitFor(what, probe, { timeoutMs = 60000, everyMs = 250 } = {}) {
  const end = Date.now() + timeoutMs
  let last
  while (Date.now() < end) {
    try {
      last = await probe()
      if (last) return last
    } catch (e) {
      last = e.message
    }
    await page.waitForTimeout(everyMs)
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (last: ${JSON.stringify(last)})`)
}

function expectEqual(what, actual, expected) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`)
  log(`ok: ${what}`)
}

/** The API's refusal of exactly these parameters (nothing happens: the call is refused). */
async function refusal(api, command, params) {
  try {
    await api.call(command, params)
  } catch (e) {
    return e.message
  }
  throw new Error(`${command} ${JSON.stringify(params)} was not refused`)
}

const text = (testId) => page.getByTestId(testId).first().innerText()
const count = (selector) => page.locator(selector).count()
const go = async (hash) => {
  await page.evaluate((h) => { window.location.hash = h }, hash)
  await page.waitForTimeout(100)
}

async function main(cluster) {
  const { api, base } = cluster
  const clientWith = (credentials) => createClient({ endpoint: `${base}/client/api`, credentials })
  const browser = await launchBrowser()
  try {
    page = await browser.context.newPage()
    page.on('pageerror', (e) => pageErrors.push(e.message))

    // --- sign in -------------------------------------------------------------------------------------------
    await page.goto(`${base}/ui/`)
    await page.getByTestId('sign-in').waitFor()
    await shot('sign-in')
    await page.getByTestId('apikey').fill('not-the-key')
    await page.getByTestId('secretkey').fill('not-the-secret')
    await page.getByTestId('sign-in').click()
    const badKeys = await refusal(clientWith({ kind: 'keys', apiKey: 'not-the-key', secretKey: 'x' }), 'listApis', {})
    await page.getByTestId('sign-in-error').waitFor()
    expectEqual('wrong keys show the API refusal', await text('sign-in-error'), badKeys)
    await page.getByTestId('apikey').fill(cluster.credentials.apiKey)
    await page.getByTestId('secretkey').fill(cluster.credentials.secretKey)
    await page.getByTestId('sign-in').click()
    await page.getByTestId('empty').waitFor()
    await shot('groups-empty')

    // --- create a group: a bad T0 first ------------------------------------------------------------------------
    await page.getByTestId('create-group').click()
    await page.getByTestId('group-name').fill('e2e')
    await page.getByTestId('group-t0').fill('0')
    await page.getByTestId('group-save').click()
    await page.getByTestId('form-error').waitFor()
    expectEqual('a T0 of 0 shows the API error', await text('form-error'),
      await refusal(api, 'createProtectionGroup', { name: 'e2e', baseperiod: 0, recoverypolicy: 'AUTOMATIC', earlyindexpolicy: 'ADVANCE_AND_LOG' }))
    await shot('group-form-error')
    expectEqual('the refused form created nothing', (await api.listAll('listProtectionGroups', {}, 'protectiongroup')).length, 0)
    await page.getByTestId('group-t0').fill('2000')
    await page.getByTestId('group-save').click()
    await page.getByTestId('groups-table').waitFor()
    const [group] = await api.listAll('listProtectionGroups', {}, 'protectiongroup')
    expectEqual('the group was created with T0 2000', group.baseperiod, 2000)

    // --- add six VMs (SI and MI_2); a bad class first -------------------------------------------------------------
    const classes = ['SI', 'MI_2', 'SI', 'MI_2', 'SI', 'MI_2']
    for (let i = 0; i < classes.length; i++) {
      await page.getByTestId('add-vm').click()
      await page.getByTestId('vm-new-id').click()
      const vmId = await page.getByTestId('vm-id').inputValue()
      if (i === 0) {
        await page.getByTestId('vm-class').fill('MI_1')
        await page.getByTestId('vm-save').click()
        await page.getByTestId('vm-form-error').waitFor()
        await shot('vm-form-error')
        expectEqual('class MI_1 shows the API error', await text('vm-form-error'),
          await refusal(api, 'addVmToProtectionGroup', { id: group.id, virtualmachineid: vmId, vmclass: 'MI_1' }))
      }
      await page.getByTestId('vm-class').fill(classes[i])
      await page.getByTestId('vm-save').click()
      await waitFor(`VM ${i} added`, async () => (await api.call('listProtectionGroups', { id: group.id })).protectiongroup[0].vmcount === i + 1)
      await page.getByTestId('vm-save').waitFor({ state: 'hidden' })
    }
    await page.locator('.ant-table-row-expand-icon').first().click()
    await page.getByTestId('group-vms').waitFor()
    await shot('groups-vms')

    // --- change VM 1's class in place (MI_2 to MI_3): a bad class first --------------------------------------------
    const vmRow = (n) => page.locator('[data-testid="group-vms"] tr.ant-table-row').nth(n)
    const vmsOf = async () => (await api.call('listProtectionGroups', { id: group.id })).protectiongroup[0].vm
    const vm1 = (await vmsOf())[1]
    await vmRow(1).getByTestId('vm-class-edit').click()
    await vmRow(1).getByTestId('vm-class-input').fill('MI_1')
    await vmRow(1).getByTestId('vm-class-save').click()
    await vmRow(1).getByTestId('vm-class-error').waitFor()
    expectEqual('class MI_1 in the class edit shows the API error', await vmRow(1).getByTestId('vm-class-error').innerText(),
      await refusal(api, 'updateVmInProtectionGroup', { id: group.id, virtualmachineid: vm1.virtualmachineid, vmclass: 'MI_1' }))
    await shot('vm-class-error')
    expectEqual('the refused class changed nothing', (await vmsOf())[1].vmclass, 'MI_2')
    await vmRow(1).getByTestId('vm-class-input').fill('MI_3')
    await vmRow(1).getByTestId('vm-class-save').click()
    await vmRow(1).getByTestId('vm-class-form').waitFor({ state: 'hidden' })
    expectEqual('VM 1 is MI_3 in the API', (await vmsOf())[1].vmclass, 'MI_3')
    await waitFor('VM 1 shown as MI_3', async () => (await vmRow(1).getByTestId('vm-class').innerText()) === 'MI_3')

    // --- enable: an async job, followed to its end ------------------------------------------------------------------
    await page.getByTestId('enable').click()
    await page.getByTestId('job-progress').waitFor({ timeout: 10000 })
    await shot('groups-enabling')
    await page.getByTestId('notice').waitFor({ timeout: 120000 })
    expectEqual('the enable job ended well', (await text('notice')).includes('is enabled'), true)

    // --- timeline: checkpoints and the line appear, and the line moves ------------------------------------------------
    await go(`#/timeline/${group.id}`)
    await waitFor('checkpoints of all six VMs', async () => (await count('[data-testid="checkpoint"]')) >= 6)
    const firstLine = Number(await waitFor('a recovery line', () => page.getByTestId('recovery-line').getAttribute('data-index', { timeout: 1000 })))
    log(`recovery line ${firstLine}`)
    await waitFor('the line to move', async () => Number(await page.getByTestId('recovery-line').getAttribute('data-index')) > firstLine)
    const forced = await count('[data-testid="checkpoint"][data-forced="true"]')
    log(`timeline shows ${await count('[data-testid="checkpoint"]')} checkpoints (${forced} forced), ${await count('[data-testid="segment"]')} log segments`)
    await shot('timeline')

    const hosts0 = await api.listAll('listHosts', {}, 'host')
    // --- storage and hosts ---------------------------------------------------------------------------------------
    await go(`#/storage/${group.id}`)
    await page.getByTestId('storage-vms').waitFor()
    const statistic = (testId) => page.locator(`[data-testid="${testId}"] .ant-statistic-content`).first().innerText()
    await waitFor('stable bytes', async () => !(await statistic('total-stable')).startsWith('0 '))
    const cps = await api.listAll('listVmCheckpoints', { protectiongroupid: group.id, includeremoved: true }, 'vmcheckpoint')
    const hostIds = new Set(hosts0.map((h) => h.id))
    expectEqual('every checkpoint names the host that took it', cps.every((c) => hostIds.has(c.hostid)), true)
    const [fullShown, incrementalShown] = await waitFor('full-pass and incremental bytes', async () => {
      const parts = (await statistic('total-full-incremental')).split(' / ')
      return parts.length === 2 && parts.every((p) => /^[1-9][\d.]* [KMG]?i?B$/.test(p)) ? parts : null
    })
    log(`storage: full passes ${fullShown}, incremental ${incrementalShown}`)
    await shot('storage', { fullPage: true })
    await go('#/hosts')
    await page.getByTestId('hosts-table').waitFor()
    for (const h of ['h1', 'h2', 'h3']) expectEqual(`${h}'s lease`, await text(`lease-${h}`), 'ACTIVE')
    await shot('hosts')
    await go('#/recoveries')
    await page.getByTestId('empty').waitFor()
    await shot('recoveries-empty')

    // --- kill the agent running most of the group's VMs ------------------------------------------------------------
    const hosts = await api.listAll('listHosts', {}, 'host')
    const [g] = (await api.call('listProtectionGroups', { id: group.id })).protectiongroup
    const load = (h) => g.vm.filter((m) => m.hostid === h.id).length
    const victim = hosts.reduce((a, b) => (load(b) > load(a) ? b : a))
    log(`killing ${victim.name} (${load(victim)} VMs)`)
    cluster.killHost(victim.name)
    await go('#/hosts')
    await waitFor(`${victim.name}'s lease to fail`, async () => (await text(`lease-${victim.name}`)) === 'FAILED', { timeoutMs: 30000 })
    await shot('hosts-failed')

    await go('#/recoveries')
    await waitFor('a succeeded recovery', async () => (await text('recovery-state')) === 'SUCCEEDED', { timeoutMs: 120000 })
    const [event] = await api.listAll('listRecoveryEvents', { protectiongroupid: group.id }, 'recoveryevent')
    const row = await page.locator('[data-testid="recoveries-table"] tr.ant-table-row').first().innerText()
    expectEqual('the recovery row names the failed host', row.includes(`host ${victim.name}`), true)
    expectEqual('the recovery row shows the line it went back to', await text('recovery-line-index'), String(event.lineindex))
    expectEqual('the recovery row shows the rolled-back VMs', (row.match(/VM \d+/g) ?? []).length, event.rolledback.length)
    await page.locator('.ant-table-row-expand-icon').first().click()
    await shot('recoveries')

    // --- storage after the recovery: the failed host keeps a row with what it stored, and runs no VM now ------------
    await go(`#/storage/${group.id}`)
    const victimRow = page.locator('[data-testid="storage-hosts"] tr.ant-table-row', { hasText: victim.name }).first()
    await victimRow.waitFor()
    expectEqual(`${victim.name} keeps its storage row, running no VM now`, await victimRow.locator('td').nth(1).innerText(), '0')
    await shot('storage-after-recovery', { fullPage: true })

    // --- the timeline shows the failure, and the line moves on past the recovery's line ---------------------------
    await go(`#/timeline/${group.id}`)
    await page.getByTestId('failure').first().waitFor({ timeout: 20000 })
    await waitFor(`the line to move past ${event.lineindex}`, async () =>
      Number(await page.getByTestId('recovery-line').getAttribute('data-index')) > event.lineindex, { timeoutMs: 90000 })
    await page.waitForTimeout(2500)
    await shot('timeline-recovery')
    await go('#/groups')
    await page.getByTestId('groups-table').waitFor()
    await shot('groups')

    // --- the advisor's proposals from the traffic the group recorded, next to the classes, fixed while it runs --------
    await page.locator('.ant-table-row-expand-icon').first().click()
    await page.getByTestId('group-vms').waitFor()
    expectEqual('a running group offers no class change', await page.getByTestId('vm-class-edit').count(), 0)
    expectEqual('and says why', (await text('vm-class-note')).includes('Classes are fixed while the group runs'), true)
    const shown = await waitFor('the proposals shown as the API lists them', async () => {
      const advice = await api.listAll('listVmClassAdvice', { protectiongroupid: group.id }, 'vmclassadvice')
      const ui = await page.locator('[data-testid="group-vms"] [data-testid="vm-advice"]').allInnerTexts()
      const expected = advice.map((a) => a.proposedclass ?? '—')
      return advice.some((a) => a.proposedclass) && JSON.stringify(ui) === JSON.stringify(expected) ? advice : null
    }, { timeoutMs: 30000 })
    for (const a of shown) log(`advice for VM ${a.virtualmachineid.slice(0, 8)} (${a.vmclass}): ${a.proposedclass ?? '—'}, ${a.reason}`)
    await page.getByTestId('vm-advice').first().hover()
    await page.locator('.ant-tooltip').first().waitFor()
    await shot('groups-advice')

    // --- a narrow window ---------------------------------------------------------------------------------------
    await page.setViewportSize({ width: 420, height: 860 })
    for (const [name, hash] of [['narrow-groups', '#/groups'], ['narrow-timeline', `#/timeline/${group.id}`], ['narrow-recoveries', '#/recoveries']]) {
      await go(hash)
      await page.waitForTimeout(1500)
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      expectEqual(`${name}: the page itself does not scroll sideways`, overflow <= 0, true)
      if (name === 'narrow-timeline') {
        const atNewest = await page.locator('.timeline__scroll').evaluate((el) =>
          el.scrollWidth > el.clientWidth && el.scrollLeft + el.clientWidth >= el.scrollWidth - 4)
        expectEqual('narrow-timeline: the picture scrolls, and starts at the newest boundaries', atNewest, true)
      }
      await shot(name)
    }
    const siderWidth = () => page.locator('.shell__sider').evaluate((el) => Math.round(el.getBoundingClientRect().width))
    expectEqual('narrow: the menu is folded away', await siderWidth(), 0)
    await page.getByTestId('menu-toggle').click()
    await waitFor('the menu to open', async () => (await siderWidth()) === 200)
    await shot('narrow-menu')
    await page.getByTestId('menu-hosts').click()
    await page.getByTestId('hosts-table').waitFor()
    await waitFor('the menu to fold again after a choice', async () => (await siderWidth()) === 0)
    // --- as inside CloudStack's UI: a session key where CloudStack's UI keeps it. This manager has no sessions,
    // so its API refuses the key, and the page shows that refusal (the error state) instead of a sign-in.
    await page.setViewportSize({ width: 1280, height: 800 })
    await page.evaluate(() => localStorage.setItem('primate__Access-Token', JSON.stringify({ value: 'no-such-session' })))
    await page.reload()
    await page.getByTestId('load-error').waitFor()
    expectEqual('with a CloudStack session key: no sign-in form', await page.getByTestId('sign-in').count(), 0)
    const sessionRefusal = await refusal(clientWith({ kind: 'session', sessionKey: 'no-such-session' }),
      'listProtectionGroups', {})
    expectEqual('with a CloudStack session key: the API refusal shown', (await text('load-error')).startsWith(sessionRefusal), true)
    await shot('embedded-refused')
    await page.evaluate(() => localStorage.removeItem('primate__Access-Token'))
    expectEqual('no script errors on the page', pageErrors.join('\n'), '')
  } catch (e) {
    if (page) await page.screenshot({ path: join(shots, 'failure.png') }).catch(() => {})
    throw e
  } finally {
    await browser.close()
  }
}

log('starting a manager and 3 agents (./vmqsc cluster up)')
const cluster = startCluster(join(out, 'cluster'))
let failed = false
try {
  await main(cluster)
  log('passed')
} catch (e) {
  failed = true
  console.error(`e2e FAILED: ${e.stack ?? e}`)
  if (pageErrors.length) console.error(`page errors:\n${pageErrors.join('\n')}`)
} finally {
  log('stopping the cluster (./vmqsc cluster down)')
  cluster.stop()
}
process.exit(failed ? 1 : 0)
