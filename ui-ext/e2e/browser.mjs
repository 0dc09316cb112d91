// Debian's chromium driven by playwright-core: no downloaded browser. Flags as this machine needs them: no
// sandbox (CI runs as root), no GPU, and none of the background connections a closed network refuses.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
const EXECUTABLE = process.env.VMQSC_CHROMIUM ?? '/usr/bin/chromium'

/** A browser whose every new context starts empty (no cache): for cold page loads. */
export function launchFresh() {
  return chromium.launch({ executablePath: EXECUTABLE, headless: true, args: ARGS })
}

export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'vmqsc-ui-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: EXECUTABLE,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ARGS,
  })
  return {
    context,
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}
