import { describe, expect, it } from 'vitest'
import { fullPasses, incrementalShare, storageRows } from '../src/lib/storage.js'
import { checkpoints, group, hosts, lines, segments } from './fixtures.js'

describe('storageRows', () => {
  const { vms, hosts: perHost } = storageRows({ group, checkpoints, segments, line: lines[0], hosts })

  it('sums staged and stable bytes per VM, leaving collected and discarded artifacts out', () => {
    expect(vms.map((v) => v.label)).toEqual(['VM 0', 'VM 1', 'VM 2'])
    expect(vms[0]).toMatchObject({ stagedBytes: 500, stableBytes: 3000, checkpoints: 4, collected: 1 })
    expect(vms[1]).toMatchObject({ stagedBytes: 50, stableBytes: 2100, checkpoints: 2, segments: 2 })
  })

  it('counts as collectable what lies behind the line: older checkpoints, and segments up to the line’s checkpoint', () => {
    expect(vms[0].collectableBytes).toBe(2000) // checkpoints 4 and 5; 6 is the line's, 7 is after it
    expect(vms[1].collectableBytes).toBe(1100) // checkpoint 4 and the segment 4..5
    expect(vms[2].collectableBytes).toBe(0)
  })

  it('sums per host, by name', () => {
    expect(perHost.map((h) => [h.label, h.vms, h.stableBytes, h.collectableBytes]))
      .toEqual([['h1', 2, 4000, 2000], ['h2', 1, 2100, 1100]])
  })

  it('keeps a host that runs none of the VMs now with what it stored', () => {
    const moved = [...checkpoints, { id: 'vm-c-2', virtualmachineid: 'vm-c', index: 2, state: 'STABLE', size: 70, hostid: 'h-9' }]
    const rows = storageRows({ group, checkpoints: moved, segments, line: lines[0], hosts }).hosts
    expect(rows.find((h) => h.key === 'h-9')).toMatchObject({ label: 'h-9', vms: 0, stableBytes: 70, collectableBytes: 70, fullBytes: 70 })
  })

  it("splits the checkpoint bytes written into full passes (a VM's first on a host) and incremental ones", () => {
    // vm-a: 3 was its full pass on h-1 (collected since, still written), 4..6 incremental there, 7 its first on h-2.
    expect(vms[0]).toMatchObject({ fullBytes: 1500, fullPasses: 2, incrementalBytes: 3000, incrementals: 3 })
    expect(vms[1]).toMatchObject({ fullBytes: 1000, incrementalBytes: 1000 }) // 8 was discarded
    expect(vms[2]).toMatchObject({ fullBytes: 1000, incrementalBytes: 0 }) // no host known: its first is full
    // Per host where they were taken: vm-a's 7 on h-2 (staged there), vm-c's (no host named) where vm-c runs.
    expect(perHost.map((h) => [h.label, h.fullBytes, h.incrementalBytes, h.stagedBytes]))
      .toEqual([['h1', 2000, 3000, 0], ['h2', 1500, 1000, 550]])
    expect(incrementalShare(vms[0])).toBeCloseTo(133.3, 1) // 1000 B a checkpoint against 750 B a full pass
    expect(incrementalShare(vms[2])).toBeNull()
  })

  it('a discarded checkpoint is no full pass: the next one on that host is', () => {
    const cps = [
      { id: 'x4', virtualmachineid: 'x', index: 4, state: 'DISCARDED', hostid: 'h', size: 9 },
      { id: 'x5', virtualmachineid: 'x', index: 5, state: 'STABLE', hostid: 'h', size: 9 },
      { id: 'x6', virtualmachineid: 'x', index: 6, state: 'STABLE', hostid: 'h', size: 9 },
    ]
    expect([...fullPasses(cps)]).toEqual(['x5'])
  })

  it('without a line nothing is collectable', () => {
    expect(storageRows({ group, checkpoints, segments, line: null }).vms.every((v) => v.collectableBytes === 0)).toBe(true)
  })
})
