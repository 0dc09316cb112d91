// The page's weight and its first paint against a real manager on loopback:
//   npm run build && npm run measure        (starts ./vmqsc cluster up with one agent, stops it after)
// Bundle: every file of dist/, raw and gzip-compressed (the manager sends them uncompressed). First paint: the
// first-contentful-paint of /ui/ in a fresh browser context (empty cache), N loads (the page's "Loading" line
// paints before the script runs), and when the sign-in form is on screen (the script loaded, run and mounted);
// then, signed in, the time until the groups list shows (the page, its scripts and the first signed API calls).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import { launchFresh } from './browser.mjs'
import { startCluster, uiDir } from './cluster.mjs'

const LOADS = Number(process.env.LOADS ?? 7)
const dist = join(uiDir, 'dist')
const files = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]))
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

let raw = 0
let gz = 0
for (const f of files(dist)) {
  const bytes = readFileSync(f)
  const z = gzipSync(bytes, { level: 9 }).length
  raw += bytes.length
  gz += z
  console.log(`  ${relative(dist, f).padEnd(36)} ${kib(bytes.length).padStart(12)} ${kib(z).padStart(12)} gzip`)
}
console.log(`bundle: ${kib(raw)} (${kib(gz)} gzip) in ${files(dist).length} files`)

const cluster = startCluster(join(uiDir, 'test-results', 'measure-cluster'), { agents: 1 })
const browser = await launchFresh()
try {
  const paints = []
  const signIns = []
  const ready = []
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    const t0 = Date.now()
    await page.goto(`${cluster.base}/ui/`)
    await page.getByTestId('sign-in').waitFor()
    // The sign-in form on screen: the script loaded, parsed and run, Vue mounted (navigation start to now).
    signIns.push(await page.evaluate(() => performance.now()))
    paints.push(await page.evaluate(() => new Promise((resolve) => {
      const fcp = () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime
      if (fcp() !== undefined) return resolve(fcp())
      new PerformanceObserver(() => resolve(fcp())).observe({ type: 'paint', buffered: true })
    })))
    // Signed in (keys kept for the tab), a reload: page + scripts + signed listProtectionGroups and listHosts.
    await page.getByTestId('apikey').fill(cluster.credentials.apiKey)
    await page.getByTestId('secretkey').fill(cluster.credentials.secretKey)
    await page.getByTestId('sign-in').click()
    await page.getByTestId('groups-view').waitFor()
    const t1 = Date.now()
    await page.reload()
    await page.locator('[data-testid="empty"], [data-testid="groups-table"]').first().waitFor()
    ready.push(Date.now() - t1)
    await context.close()
    if (i === 0) console.log(`  (first load incl. sign-in: ${Date.now() - t0} ms)`)
  }
  console.log(`first contentful paint of /ui/ (cold cache, ${LOADS} loads): median ${median(paints).toFixed(0)} ms, max ${Math.max(...paints).toFixed(0)} ms`)
  console.log(`the sign-in form on screen (script loaded and mounted): median ${median(signIns).toFixed(0)} ms, max ${Math.max(...signIns).toFixed(0)} ms`)
  console.log(`signed-in reload to the groups list: median ${median(ready)} ms, max ${Math.max(...ready)} ms`)
} finally {
  await browser.close()
  cluster.stop()
}
